import type { Socket } from 'node:net';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, HEADER_BYTES, ProtocolError, TransportError, encode } from '@harrow/transport';

/*
 * The connection between a pool and one worker. A worker runs one job at a time, so there is
 * at most one message in flight each way and nothing to multiplex, batch or flow-control: a
 * Channel's machinery (and a MessagePort wire's acknowledgements) would only add a hop per
 * call. Messages are the codec's msgpack: length-prefixed frames on a process's socket (here,
 * used on both sides), one message per post on a thread's port (thread-link.ts).
 */

/** What a link reports. */
export interface LinkEvents {
  message(message: unknown): void;
  /** The other side is gone (end of file, port closed), or sent bytes that are not messages. Nothing follows. */
  end(error?: Error): void;
}

export interface Link {
  /** Start delivering events; nothing is delivered before. */
  attach(events: LinkEvents): void;
  /**
   * Encode and send one message. A value the codec cannot carry is its `TypeError` (naming
   * the path, e.g. `args[1].cb is a function`) and nothing is sent; so is a message over the
   * frame limit (a `ProtocolError`); a closed link is a `TransportError`.
   */
  send(message: unknown): void;
  /** Close gracefully: the other side reads end of file after what was sent. `then` runs once it is written. */
  close(then?: () => void): void;
  readonly closed: boolean;
}

/** Bodies at least this large are written after their header instead of being copied behind it. */
const LARGE_BODY_BYTES = 64 * 1024;

/** Encode one message, refusing one over the frame limit. */
export function encodeChecked(message: unknown): Uint8Array {
  let body = encode(message);
  if (body.length > DEFAULT_MAX_FRAME_BYTES) {
    throw new ProtocolError(`a message of ${body.length} bytes exceeds the maximum of ${DEFAULT_MAX_FRAME_BYTES} bytes`);
  }
  return body;
}

/** A link over a stream socket (a process worker's fd 3), in u32 length-prefixed frames. */
export function socketLink(socket: Socket): Link {
  let decoder = new FrameDecoder();
  let events: LinkEvents | undefined;
  let closed = false;
  let finished = false;
  let ended = (error?: Error) => {
    if (finished || !events) return;
    finished = closed = true;
    socket.destroy();
    events.end(error);
  };
  return {
    get closed() {
      return closed || socket.destroyed;
    },
    attach(handlers) {
      events = handlers;
      let emit = (message: unknown) => handlers.message(message);
      socket.on('data', (chunk: Buffer) => {
        try {
          decoder.push(chunk, emit);
        } catch (error) {
          ended(error as Error);
        }
      });
      socket.on('end', () => ended(decoder.midFrame ? new TransportError('the worker connection ended in the middle of a frame') : undefined));
      socket.on('error', (error) => ended(new TransportError(`worker connection failed: ${error.message}`, { cause: error })));
      socket.on('close', () => ended());
      // Handed over paused by boot.mjs (spawn/lifeline.ts): adding listeners does not resume it.
      socket.resume();
    },
    send(message) {
      if (closed || socket.destroyed) throw new TransportError('the worker connection is closed');
      let body = encodeChecked(message);
      if (body.length >= LARGE_BODY_BYTES) {
        let header = Buffer.allocUnsafe(HEADER_BYTES);
        header.writeUInt32BE(body.length, 0);
        socket.cork();
        socket.write(header);
        socket.write(body);
        socket.uncork();
        return;
      }
      let frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
      frame.writeUInt32BE(body.length, 0);
      frame.set(body, HEADER_BYTES);
      socket.write(frame);
    },
    close(then) {
      closed = true;
      if (socket.destroyed) then?.();
      else socket.end(then);
    },
  };
}
