import { Socket } from 'node:net';

/**
 * The socket on fd 3 of a spawned process: its channel to the parent and its lifeline. boot.cjs
 * opens it first thing (so that the parent's death ends a child that is still loading) and hands
 * it over here with anything already received put back; without boot.cjs it is opened now.
 */
export function takeLifeline(): Socket {
  let handOver = (globalThis as Record<symbol, unknown>)[Symbol.for('harrow.lifeline')] as (() => Socket) | undefined;
  return handOver ? handOver() : new Socket({ fd: 3, readable: true, writable: true });
}
