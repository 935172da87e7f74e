import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, HEADER_BYTES, ProtocolError, TransportError, encode, type Wire } from '@harrow/transport';

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

/**
 * A link over a byte wire, in u32 length-prefixed frames: a process worker's fd 3 (on both
 * sides), or, for a pool in a worker thread, the bytes the main thread relays from that socket
 * (spawn/process-host.ts).
 */
export function wireLink(wire: Wire): Link {
  let decoder = new FrameDecoder();
  let events: LinkEvents | undefined;
  let closed = false;
  let finished = false;
  let ended = (error?: Error) => {
    if (finished || !events) return;
    finished = closed = true;
    wire.destroy();
    events.end(error);
  };
  return {
    get closed() {
      return closed;
    },
    attach(handlers) {
      events = handlers;
      let emit = (message: unknown) => handlers.message(message);
      wire.attach({
        data(chunk) {
          try {
            decoder.push(chunk, emit);
          } catch (error) {
            ended(error as Error);
          }
        },
        drain() {},
        end: () => ended(decoder.midFrame ? new TransportError('the worker connection ended in the middle of a frame') : undefined),
        error: (error) => ended(new TransportError(`worker connection failed: ${error.message}`, { cause: error })),
        close: () => ended(),
      });
    },
    send(message) {
      if (closed) throw new TransportError('the worker connection is closed');
      let body = encodeChecked(message);
      if (body.length >= LARGE_BODY_BYTES) {
        let header = Buffer.allocUnsafe(HEADER_BYTES);
        header.writeUInt32BE(body.length, 0);
        wire.write(header);
        wire.write(body);
        return;
      }
      let frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
      frame.writeUInt32BE(body.length, 0);
      frame.set(body, HEADER_BYTES);
      wire.write(frame);
    },
    close(then) {
      if (finished) return then?.();
      closed = true;
      wire.end(then);
    },
  };
}
