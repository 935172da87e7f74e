import type { Operation } from 'effection';
import type { Wire } from './wire.ts';

/** A listening endpoint of one carrier kind, as `listen` sees it. */
export interface Server {
  /** The address actually bound (the real port when port 0 was asked for). */
  readonly address: string;
  /** Stop accepting, close the listening socket and remove what it created (a UDS path). */
  stop(): Operation<void>;
}

/** What a carrier's server reports to its listener. */
export interface ServerEvents {
  /** An accepted connection's wire. */
  accept(wire: Wire): void;
  /** The listening socket failed after it started listening: the listener is done. */
  failed(error: Error): void;
}
