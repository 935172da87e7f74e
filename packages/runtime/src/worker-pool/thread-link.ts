import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { ProtocolError, TransportError, decode } from '@harrow/transport';
import { encodeChecked, type Link, type LinkEvents } from './link.ts';
import type { FromWorker, ToWorker } from './messages.ts';
import type { JobRunner, Outbox } from './worker-loop.ts';

/*
 * A thread worker does not wait for jobs in its event loop. Between jobs it blocks in
 * `Atomics.wait` on a counter the pool bumps after each post, and takes the message from its
 * port with `receiveMessageOnPort`: a direct wake-up, where an event would cost a trip through
 * libuv and an async-tracked callback (piscina's trick; it halves a round trip). The wait has
 * the idle timeout as its own timeout, and a flag tells the worker that the pool closed the
 * link. The catch, as in piscina: between jobs nothing else runs in the worker's event loop, so
 * a synchronous function should not leave asynchronous work behind.
 */

/** `signal[POSTED]`: messages the pool has posted; `signal[CLOSED]`: 1 once the pool closed the link. */
const POSTED = 0;
const CLOSED = 1;

/** The pool's side of a thread worker's link: posts, then wakes the worker. */
export function threadLink(port: MessagePort): Link {
  let signal = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  // The first message, there before the worker's first look at its port.
  port.postMessage(signal);
  let events: LinkEvents | undefined;
  let closed = false;
  let finished = false;
  let ended = (error?: Error) => {
    if (finished || !events) return;
    finished = closed = true;
    port.close();
    events.end(error);
  };
  let wake = () => {
    Atomics.add(signal, POSTED, 1);
    Atomics.notify(signal, POSTED);
  };
  return {
    get closed() {
      return closed;
    },
    attach(handlers) {
      events = handlers;
      port.on('message', (data: unknown) => {
        let message: unknown;
        try {
          if (!(data instanceof Uint8Array)) throw new Error(`a ${typeof data} instead of bytes`);
          message = decode(data);
        } catch (error) {
          ended(new ProtocolError(`a worker port message is not one msgpack value: ${(error as Error).message}`));
          return;
        }
        handlers.message(message);
      });
      port.on('messageerror', (error) => ended(new TransportError(`worker port failed: ${error.message}`, { cause: error })));
      port.on('close', () => ended());
    },
    send(message) {
      if (closed) throw new TransportError('the worker port is closed');
      // Copied into a buffer of its own: posting a view would clone the whole (shared) buffer
      // under it. A small copy is cloned faster than it is transferred.
      let bytes = new Uint8Array(encodeChecked(message));
      port.postMessage(bytes);
      wake();
    },
    close(then) {
      if (!closed) {
        closed = true;
        Atomics.store(signal, CLOSED, 1);
        wake();
        port.close();
      }
      then?.();
    },
  };
}

/** Where a thread worker's replies go: straight onto its port. */
export function portOutbox(port: MessagePort): Outbox {
  return {
    closed: false,
    send(message: FromWorker) {
      let bytes = new Uint8Array(encodeChecked(message));
      port.postMessage(bytes);
    },
  };
}

/**
 * The worker's side: take messages as they come, one job at a time, until the pool closes the
 * link or nothing comes for the idle timeout. Returns to the event loop only while a message
 * waits for an import.
 */
export function serveBlocking(port: MessagePort, runner: JobRunner, outbox: Outbox): void {
  let first = receiveMessageOnPort(port);
  if (!(first?.message instanceof Int32Array)) throw new ProtocolError('a thread worker must be sent its wake-up signal first');
  let signal = first.message;

  let pump = (): void => {
    for (;;) {
      let seen = Atomics.load(signal, POSTED);
      for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) {
        let pending = runner.handle(decode(entry.message as Uint8Array) as ToWorker);
        if (runner.leaving) return;
        if (pending) {
          void pending.then(pump);
          return;
        }
      }
      if (Atomics.load(signal, CLOSED) === 1) return runner.quit(0);
      let timeout = runner.idleTimeout;
      let woke = Atomics.wait(signal, POSTED, seen, timeout ?? Infinity);
      if (woke === 'timed-out' && Atomics.load(signal, POSTED) === seen) return runner.leave('idle');
    }
  };
  outbox.send({ type: 'ready' });
  pump();
}
