import type { Duplex } from 'node:stream';
import type { Wire, WireEvents } from './wire.ts';

/**
 * A wire over a Node duplex stream of bytes: a `net.Socket` (Unix domain or TCP) or the stream
 * `ws` gives for a WebSocket. Backpressure is the stream's own: `write` returns false past its
 * high-water mark and `drain` follows.
 *
 * @example
 * ```ts
 * let channel = createChannel(socketWire(net.connect('/tmp/a.sock'), '/tmp/a.sock'));
 * ```
 */
export function socketWire(socket: Duplex, peer: string): Wire {
  return {
    peer,
    attach(events: WireEvents) {
      socket.on('data', events.data);
      socket.on('drain', events.drain);
      socket.on('end', events.end);
      socket.on('error', events.error);
      socket.on('close', events.close);
      // A socket handed over paused (with data put back, see the runtime's spawn/lifeline.ts)
      // does not start flowing when a 'data' listener is added; a fresh one already flows.
      socket.resume();
    },
    write: (bytes) => socket.write(bytes),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end: (then) => socket.end(then),
    destroy: () => socket.destroy(),
  };
}
