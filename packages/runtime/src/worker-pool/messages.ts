import type { BoxedError } from '../base/errors.ts';

/*
 * What a runSync worker and its pool say to each other: one job at a time, never multiplexed,
 * so no message needs an id. Field names are chosen so that a codec error names a useful path:
 * `args[1].cb is a function` for an argument, `result.cb is a function` for a result.
 */

/** A remote() function, by module URL and name. */
export interface FunctionRef {
  module: string;
  name: string;
}

/** Pool → worker. */
export type ToWorker =
  /** First message to every worker: how it should live. */
  | { type: 'config'; idleTimeout: number | null; init: FunctionRef | null; retire: FunctionRef | null }
  | { type: 'job'; module: string; fn: string; args: unknown[] };

/** Worker → pool. */
export type FromWorker =
  /** The worker's loop is running: its Node start-up, the expensive part, is over. */
  | { type: 'ready' }
  | { type: 'return'; result: unknown }
  | { type: 'error'; error: BoxedError }
  /** The result cannot cross: the codec's complaint, raised at the caller as a `TypeError`, as for an argument. */
  | { type: 'unsendable'; message: string }
  /** `init` (or importing its module) threw; the worker exits with code 1. */
  | { type: 'init-failed'; error: BoxedError }
  /**
   * The worker is exiting on its own (idle timeout, or `retire` said so) and will run nothing
   * more. A job that crossed this message on the way is retried on another worker.
   */
  | { type: 'leaving'; reason: 'idle' | 'retired' };
