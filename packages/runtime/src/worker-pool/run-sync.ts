import type { Operation } from 'effection';
import { Pool, type RunSyncOptions } from './pool.ts';
import { contextSettings } from './options.ts';
import type { RemoteFn } from '../base/remote.ts';

/*
 * The default context belongs to the process, not to a scope: it is made on the first call. In
 * a program it is never closed. That is safe because it holds nothing open: idle workers do not
 * keep the event loop alive, each exits after its idle timeout, and each exits at once when this
 * process ends, however it ends (end of file on its link, or its sentinel). An actor closes it
 * as it stops (`closeDefaultPool`), so that nothing of it outlives the actor.
 */
let defaultPool: Pool | undefined;

/**
 * Run the `remote()`-marked synchronous function `fn(...args)` in a worker process of the
 * default context and return its result (API.md §6). Workers are reused most recently used
 * first; at most `os.availableParallelism()` calls run at once; an idle worker exits after
 * ten minutes.
 *
 * A halt of the caller waits for the running call to finish and drops its result; with
 * `{ killOnCancel: true }` it kills the worker at once instead, and completes once the worker
 * has exited. What `fn` throws arrives as a `RemoteActorError`; a worker that dies during the
 * call is a `BrokenWorkerError`; an argument the codec cannot carry is a `TypeError`. A function
 * that was not `remote()`-marked is a type error (and a `TypeError` at runtime).
 *
 * @example
 * ```ts
 * export const fib = remote(import.meta, function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
 * });
 *
 * let value = yield* runSync(fib, [30]);
 * ```
 */
export function runSync<F extends RemoteFn>(fn: F, args?: Parameters<F>, options?: RunSyncOptions): Operation<ReturnType<F>> {
  defaultPool ??= new Pool(contextSettings({}));
  return defaultPool.runSync(fn, args, options);
}

/** End the default context, if there is one: wait for its calls, stop its workers. An actor's last step. */
export function* closeDefaultPool(): Operation<void> {
  let pool = defaultPool;
  defaultPool = undefined;
  if (pool) yield* pool.close();
}
