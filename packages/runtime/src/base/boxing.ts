import { fileURLToPath } from 'node:url';
import { assertEncodable } from '@harrow/transport';
import { ActorGroupError, ContextCancelledError, RemoteActorError, SupervisorError, type ActorRef, type BoxedError } from './errors.ts';

/*
 * Errors on the wire. Whatever a remote function throws becomes one well-formed `BoxedError`:
 * strings where strings are due, only what the codec can carry, however odd the thrown value
 * (a symbol or a number as `name`, a `stack` that is not a string, a getter that throws, a
 * cycle of causes, something that is not an `Error` at all). A box that failed to build would
 * end the connection instead of the call, so nothing here throws.
 */

/** How deep causes (and group members) are boxed; deeper ones are dropped. */
const MAX_DEPTH = 8;

/** Properties of an error that are boxed for what they are, not as `data`. */
const OWN_FIELDS = new Set(['name', 'message', 'stack', 'cause', 'errors']);

/** Box any thrown value for the wire, as raised (or passed on) by actor `self`. */
export function box(error: unknown, self: ActorRef): BoxedError {
  return boxAt(error, self, 0, new Set());
}

/** The error a receiver raises for a boxed error. */
export function unbox(boxed: BoxedError): RemoteActorError {
  return new RemoteActorError(boxed);
}

/**
 * The error a side of a dialog raises for a boxed one: the other side cancelling the dialog is
 * a `ContextCancelledError` naming the canceller; anything else a `RemoteActorError`.
 */
export function unboxDialogError(boxed: BoxedError): Error {
  if (boxed.type === 'ContextCancelledError' && boxed.canceller) return new ContextCancelledError(boxed.canceller, boxed.message);
  return unbox(boxed);
}

function boxAt(error: unknown, self: ActorRef, depth: number, seen: Set<unknown>): BoxedError {
  if (typeof error === 'object' && error !== null) seen.add(error);
  let inner = (value: unknown): BoxedError | undefined =>
    depth < MAX_DEPTH && !seen.has(value) ? boxAt(value, self, depth + 1, seen) : undefined;

  if (error instanceof RemoteActorError) {
    // Passed on: it keeps where it came from, and gains this actor in its relay.
    return withOptional({
      type: error.type,
      message: error.message,
      stack: error.remoteStack,
      src: error.src,
      relay: [...error.relay, self],
    }, {
      data: Object.keys(error.data).length > 0 ? error.data : undefined,
      cause: error.cause === undefined ? undefined : inner(error.cause),
      errors: error.errors?.map(inner).filter(isDefined),
    });
  }
  if (!(error instanceof Error)) {
    let message = describe(error);
    return withOptional({ type: 'Error', message, stack: `(a non-Error value was thrown: ${message})`, src: self, relay: [] }, {
      data: typeof error === 'object' && error !== null ? carriedFields(error) : undefined,
    });
  }
  let type = typeOf(error);
  let message = read(() => error.message, (value) => (typeof value === 'string' ? value : describe(value))) ?? '';
  let stack = read(() => error.stack, (value) => (typeof value === 'string' ? userStack(value) : undefined)) ?? `${type}: ${message}`;
  let cause = read(() => error.cause, (value) => value);
  let group = error instanceof AggregateError ? read(() => error.errors, (value) => (Array.isArray(value) ? value : undefined)) : undefined;
  return withOptional({ type, message, stack, src: self, relay: [] }, {
    data: carriedFields(error),
    cause: cause === undefined ? undefined : inner(cause),
    errors: error instanceof ActorGroupError || error instanceof SupervisorError ? group?.map(inner).filter(isDefined) : undefined,
    canceller: error instanceof ContextCancelledError ? error.canceller : undefined,
  });
}

/** `name`, or the class's name where a subclass left it as `'Error'` (or set no string at all). */
function typeOf(error: Error): string {
  let name = read(() => error.name, (value) => value);
  let className = read(() => error.constructor?.name, (value) => (typeof value === 'string' && value ? value : undefined));
  if (typeof name === 'string' && name && (name !== 'Error' || !className)) return name;
  if (name !== undefined && name !== null && typeof name !== 'string') return describe(name);
  return className ?? 'Error';
}

/** The error's own enumerable properties, each only if the codec can carry it; undefined if none. */
function carriedFields(error: object): Record<string, unknown> | undefined {
  let data: Record<string, unknown> = {};
  let found = false;
  let keys = read(() => Object.keys(error), (value) => value) ?? [];
  for (let key of keys) {
    if (OWN_FIELDS.has(key)) continue;
    let value = read(() => (error as Record<string, unknown>)[key], (value) => value);
    try {
      assertEncodable(value);
    } catch {
      continue; // a function, a class instance, a cycle: dropped, never fatal
    }
    data[key] = value;
    found = true;
  }
  return found ? data : undefined;
}

/** `get()`, then `map` its value; undefined where either throws. */
function read<T, R>(get: () => T, map: (value: T) => R): R | undefined {
  try {
    return map(get());
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  try {
    if (typeof value === 'string') return value;
    if (typeof value === 'symbol' || typeof value === 'bigint' || typeof value === 'function') return String(value);
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}

/** `boxed` with those of `optional` that are set: absent fields stay absent on the wire. */
function withOptional(boxed: BoxedError, optional: Partial<BoxedError>): BoxedError {
  for (let [key, value] of Object.entries(optional)) {
    if (value !== undefined) (boxed as unknown as Record<string, unknown>)[key] = value;
  }
  return boxed;
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** Paths of harrow's (runtime and transport) and effection's own modules, whose frames say nothing about the user's code. */
const INTERNAL_PATHS = [
  fileURLToPath(new URL('../', import.meta.url)),
  fileURLToPath(new URL('.', import.meta.resolve('@harrow/transport'))),
  '/node_modules/effection/',
  '/effection@',
];

/** The generator steps effection drives a remote function with. */
const STEPPING = /^\s+at (\S+\.)?(next|throw|return) \(<anonymous>\)$/;

/**
 * A stack with the user's frames first: harrow's and effection's frames (a call's error passes
 * through both) are left out and counted, so that the frames of the limit are the user's. Node's
 * own frames stay: they say where a builtin threw.
 */
export function userStack(stack: string): string {
  let lines = stack.split('\n');
  let kept: string[] = [];
  let dropped = 0;
  for (let line of lines) {
    if (/^\s+at /.test(line) && (STEPPING.test(line) || INTERNAL_PATHS.some((path) => line.includes(path)))) dropped++;
    else kept.push(line);
  }
  if (dropped > 0) kept.push(`    (${dropped} frames of harrow and effection left out)`);
  return kept.join('\n');
}

/** Frames an error keeps in an actor or a worker: enough for the user's own past harrow's. */
const STACK_FRAMES = 50;

/**
 * Let errors in this actor (or worker) record `STACK_FRAMES` frames instead of Node's 10: its
 * errors are meant to cross, and `userStack` leaves out the runtime's frames they pass through.
 * Only in processes and threads the runtime owns, never in the user's root.
 */
export function keepLongStacks(): void {
  if (Error.stackTraceLimit < STACK_FRAMES) Error.stackTraceLimit = STACK_FRAMES;
}
