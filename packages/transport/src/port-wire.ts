import type { MessagePort } from 'node:worker_threads';
import type { Wire, WireEvents } from './wire.ts';

/** Bytes a sender may have in flight on a port before it waits for the receiver's acknowledgement. */
const PORT_WINDOW_BYTES = 1024 * 1024;

/**
 * A wire over a `MessagePort` (thread actors). Chunks of framed bytes are posted as messages;
 * a port has no backpressure of its own, so the receiver acknowledges the bytes it has taken in
 * (a number posted back) and the sender reports itself full while more than 1 MiB is
 * unacknowledged. A paused receiver holds its acknowledgements back, which is what stops the
 * sender. Either side closing the port, or its thread ending, closes the wire.
 *
 * @example
 * ```ts
 * let channel = createChannel(portWire(workerData.port, 'parent thread'));
 * ```
 */
export function portWire(port: MessagePort, peer = 'message port'): Wire {
  let inFlight = 0;
  let full = false;
  let paused = false;
  let unacknowledged = 0;
  let closed = false;
  let events: WireEvents | undefined;

  function acknowledge(bytes: number) {
    if (paused) {
      unacknowledged += bytes;
    } else if (!closed) {
      port.postMessage(bytes);
    }
  }

  function close() {
    if (closed) return;
    closed = true;
    port.off('message', onMessage);
    port.off('messageerror', onMessageError);
    port.off('close', onClose);
    port.close();
    events?.end();
    events?.close();
  }

  function onMessage(data: unknown) {
    if (typeof data === 'number') {
      inFlight -= data;
      if (full && inFlight < PORT_WINDOW_BYTES) {
        full = false;
        events?.drain();
      }
    } else if (data instanceof Uint8Array) {
      events?.data(data);
      acknowledge(data.byteLength);
    } else {
      events?.error(new Error(`unexpected ${typeof data} on a harrow message port`));
    }
  }

  function onMessageError(error: Error) {
    events?.error(error);
  }

  function onClose() {
    close();
  }

  return {
    peer,
    attach(handlers) {
      events = handlers;
      port.on('message', onMessage);
      port.on('messageerror', onMessageError);
      port.on('close', onClose);
    },
    write(bytes) {
      if (closed) return false;
      port.postMessage(ownBytes(bytes));
      inFlight += bytes.byteLength;
      if (inFlight >= PORT_WINDOW_BYTES) full = true;
      return !full;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      if (unacknowledged > 0) {
        let bytes = unacknowledged;
        unacknowledged = 0;
        acknowledge(bytes);
      }
    },
    // A post is handed over at once: closing after it loses nothing.
    end(then) {
      close();
      then?.();
    },
    destroy: close,
  };
}

/**
 * `bytes` in an `ArrayBuffer` of its own. Posting a view clones its whole `ArrayBuffer`: a small
 * `Buffer` is a slice of Node's shared 8 KiB pool, so posting it as it is would copy the pool,
 * and whatever else of this thread's data is in it, to the other thread with every write.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return new Uint8Array(bytes);
}
