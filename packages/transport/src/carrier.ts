import type { Operation } from 'effection';
import type { Wire } from './wire.ts';

/** A listening endpoint of one carrier kind, as `listen` sees it. */
export interface Server {
  /** The address actually bound (the real port when port 0 was asked for). */
  readonly address: string;
  /** Stop accepting, close the listening socket and remove what it created (a UDS path). */
  stop(): Operation<void>;
}

/** Called with each accepted connection's wire. */
export type Accept = (wire: Wire) => void;
