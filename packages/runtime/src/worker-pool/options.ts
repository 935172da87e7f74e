import { availableParallelism } from 'node:os';
import { markOf, type Remote } from '../base/remote.ts';
import type { FunctionRef, ToWorker } from './messages.ts';
import type { WorkerType } from './worker.ts';

/** Options of `openWorkerContext` (API.md §6). Times are milliseconds. */
export interface WorkerContextOptions {
  /** How long an idle worker waits for a job before it exits on its own. Default 600000; `Infinity`: never. */
  idleTimeout?: number;
  /** A `remote()` synchronous function taking no arguments, run once in each new worker before its first job. */
  init?: (() => unknown) & Remote;
  /** A `remote()` synchronous function taking no arguments, run after every job; a truthy result retires the worker. */
  retire?: (() => unknown) & Remote;
  /** `'process'` (default: crash isolation) or `'thread'`. */
  workerType?: WorkerType;
  /** How many calls may run at once. Default `os.availableParallelism()`. */
  limit?: number;
}

/** A context's settings, checked. */
export interface ContextSettings {
  workerType: WorkerType;
  limit: number;
  config: Extract<ToWorker, { type: 'config' }>;
}

/** Check `options` and fill in the defaults; a wrong type is a `TypeError`, a wrong value a `RangeError`. */
export function contextSettings(options: WorkerContextOptions): ContextSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('openWorkerContext(options): options must be an object');
  let idleTimeout = options.idleTimeout ?? 600_000;
  if (typeof idleTimeout !== 'number') throw new TypeError(`idleTimeout must be a number of milliseconds, got ${typeof idleTimeout}`);
  if (!(idleTimeout >= 0)) throw new RangeError(`idleTimeout must be 0 or more, got ${idleTimeout}`);
  let limit = options.limit ?? availableParallelism();
  if (typeof limit !== 'number') throw new TypeError(`limit must be a number, got ${typeof limit}`);
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number of at least 1, got ${limit}`);
  let workerType = options.workerType ?? 'process';
  if (workerType !== 'process' && workerType !== 'thread') {
    throw new TypeError(`workerType must be 'process' or 'thread', got ${JSON.stringify(workerType)}`);
  }
  return {
    workerType,
    limit,
    config: {
      type: 'config',
      idleTimeout: Number.isFinite(idleTimeout) ? idleTimeout : null,
      init: hook('init', options.init),
      retire: hook('retire', options.retire),
    },
  };
}

function hook(option: 'init' | 'retire', fn: unknown): FunctionRef | null {
  if (fn === undefined || fn === null) return null;
  let ref = syncRemote(fn, option);
  if ((fn as Function).length > 0) throw new TypeError(`${option} takes no arguments, but ${ref.name} declares ${(fn as Function).length}`);
  return ref;
}

const KINDS: Record<string, string> = {
  AsyncFunction: 'an async function',
  GeneratorFunction: 'a generator function (an operation)',
  AsyncGeneratorFunction: 'an async generator function (a stream source)',
};

/**
 * Where a function that must run synchronously in a worker lives. It must be `remote()`-marked
 * (the worker finds it by module and name) and a plain function: an async function or a
 * generator would hand back a promise or an iterator that no worker loop runs.
 */
export function syncRemote(fn: unknown, what: string): FunctionRef {
  let known = typeof fn === 'function' ? checked.get(fn) : undefined;
  if (known) return known;
  let ref = checkSyncRemote(fn, what);
  checked.set(fn as Function, ref);
  return ref;
}

/** Functions already found fit, so that a call in a hot loop checks its function once. */
const checked = new WeakMap<Function, FunctionRef>();

function checkSyncRemote(fn: unknown, what: string): FunctionRef {
  if (typeof fn !== 'function') throw new TypeError(`${what} must be a remote() function, got ${fn === null ? 'null' : typeof fn}`);
  let kind = KINDS[fn.constructor?.name ?? ''];
  if (kind) {
    throw new TypeError(`${what}: ${fn.name || 'the function'} is ${kind}, but runSync workers run synchronous functions; ` +
      'call operations and async functions in an actor (portal.run) instead');
  }
  let mark = markOf(fn);
  if (!mark) {
    let name = fn.name || 'myFunction';
    throw new TypeError(`${what}: ${fn.name || 'the function'} is not marked with remote(); ` +
      `write export const ${name} = remote(import.meta, function ${name}(...) { ... })`);
  }
  return mark;
}
