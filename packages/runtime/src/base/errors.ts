/**
 * The errors harrow raises (API.md §4). Each is a named export so `instanceof` works, and each
 * carries what a user needs to act on it: which actor, which module, which exit code.
 */

/** An actor named by `{ name, uid }`. */
export interface ActorRef {
  name: string;
  uid: string;
}

/** An error as it crosses a process boundary (the `error` field of protocol messages); see boxing.ts. */
export interface BoxedError {
  /** The original error's `name`, e.g. `'TypeError'`; its class's name where a subclass left `name` as `'Error'`. */
  type: string;
  message: string;
  stack: string;
  /** The actor that raised it. */
  src: ActorRef;
  /** The actors that passed it on, nearest to `src` first. */
  relay: ActorRef[];
  /** The original error's own enumerable properties that the codec can carry (`code`, `status`, ...). */
  data?: Record<string, unknown>;
  /** The original error's `cause`, boxed the same way. */
  cause?: BoxedError;
  /** For an `ActorGroupError`: each of its errors. */
  errors?: BoxedError[];
  /** For a `ContextCancelledError`: the uid of the actor that cancelled. */
  canceller?: string;
}

/**
 * An error raised in another actor. `type`, `message` and `remoteStack` are the original error's;
 * `src` is the actor that raised it and `relay` the actors that passed it on, nearest to `src`
 * first; `data` holds the original's own fields (`code`, `status`, ...) that could cross, and
 * `cause` its `cause`, itself a `RemoteActorError`. Its `stack` shows where it surfaced locally,
 * then the remote stack.
 *
 * @example
 * ```ts
 * try {
 *   yield* portal.run(divide, 1, 0);
 * } catch (error) {
 *   if (error instanceof RemoteActorError) console.log(error.type, error.src.name, error.message); // RangeError worker division by zero
 * }
 * ```
 */
export class RemoteActorError extends Error {
  override name = 'RemoteActorError';
  readonly type: string;
  readonly remoteStack: string;
  readonly src: ActorRef;
  readonly relay: ActorRef[];
  /** The original error's own enumerable properties that the codec could carry; `{}` if none. */
  readonly data: Record<string, unknown>;
  /** When `type` is `'ActorGroupError'`: the errors of the remote group. */
  readonly errors: RemoteActorError[] | undefined;
  declare readonly cause: RemoteActorError | undefined;

  constructor(boxed: BoxedError) {
    super(boxed.message, boxed.cause ? { cause: new RemoteActorError(boxed.cause) } : undefined);
    this.type = boxed.type;
    this.remoteStack = boxed.stack;
    this.src = boxed.src;
    this.relay = boxed.relay;
    this.data = boxed.data ?? {};
    this.errors = boxed.errors?.map((error) => new RemoteActorError(error));
    let path = [boxed.src, ...boxed.relay].map((actor) => `'${actor.name}' (${actor.uid})`).join(' → ');
    let local = (this.stack ?? '').split('\n').slice(1).join('\n');
    this.stack = `${this.name}: ${boxed.type} in actor ${path}: ${boxed.message}\n${local}\n` +
      `    ── remote stack, actor '${boxed.src.name}' ──\n${indent(boxed.stack)}`;
  }
}

/**
 * Several children of one nursery failed. `errors` holds each child's error (and, last, the
 * error of the nursery's own body if it failed too), so no failure is swallowed.
 *
 * @example
 * ```ts
 * try {
 *   yield* scoped(function* () {
 *     let nursery = yield* openNursery();
 *     yield* nursery.runInActor(fails, ['a']);
 *     yield* nursery.runInActor(fails, ['b']);
 *   });
 * } catch (error) {
 *   if (error instanceof ActorGroupError) for (let each of error.errors) console.log(each.message);
 * }
 * ```
 */
export class ActorGroupError extends AggregateError {
  override name = 'ActorGroupError';
  declare readonly errors: Error[];

  constructor(errors: Error[], message?: string) {
    super(errors, message ?? `${errors.length} actors failed: ${errors.map(describeBriefly).join('; ')}`);
  }
}

/**
 * A supervising nursery gave up (API.md §9): its children needed more than `maxRestarts`
 * restarts within `within` ms. `errors` holds the last failures that made them restart (each a
 * `RemoteActorError`, `BrokenActorError` or `ActorBootError`), oldest first. The nursery then
 * fails, and cancels everything, as any failing nursery does; in an actor, it fails that actor
 * too, so that its own supervisor hears of it (supervision trees nest).
 *
 * @example
 * ```ts
 * try {
 *   const nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 2, within: 1000 }) });
 *   yield* nursery.startActor('flaky', { enableModules: [flaky] });
 *   yield* suspend();
 * } catch (error) {
 *   if (error instanceof SupervisorError) console.log(error.errors.length, error.errors.at(-1)?.message);
 * }
 * ```
 */
export class SupervisorError extends AggregateError {
  override name = 'SupervisorError';
  declare readonly errors: Error[];
  readonly maxRestarts: number;
  readonly within: number;

  constructor(maxRestarts: number, within: number, errors: Error[]) {
    let last = errors.at(-1);
    super(errors, `more than ${maxRestarts} restarts within ${within} ms: the supervisor gives up${last ? ` (the last failure: ${describeBriefly(last)})` : ''}`);
    this.maxRestarts = maxRestarts;
    this.within = within;
  }
}

/**
 * A child could not start: its module failed to import, node refused its flags, it exited or
 * timed out before it was ready. Thrown by `startActor`/`runInActor`, never a hang.
 *
 * @example
 * ```ts
 * try {
 *   yield* nursery.startActor('db', { enableModules: [new URL('./broken.ts', import.meta.url)] });
 * } catch (error) {
 *   if (error instanceof ActorBootError) console.log(error.actor.name, error.message); // db ... failed to start: importing ... failed
 * }
 * ```
 */
export class ActorBootError extends Error {
  override name = 'ActorBootError';
  readonly actor: ActorRef;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last of what the child printed to stderr while it booted (up to 4 KiB; '' for a thread actor, whose stderr is the program's). */
  readonly stderr: string;

  constructor(actor: ActorRef, message: string, options: { exitCode?: number | null; signal?: string | null; cause?: unknown; stderr?: string } = {}) {
    let stderr = options.stderr ?? '';
    super(`actor '${actor.name}' (${actor.uid}) failed to start: ${message}${showTail(stderr)}`, { cause: options.cause });
    this.actor = actor;
    this.exitCode = options.exitCode ?? null;
    this.signal = options.signal ?? null;
    this.stderr = stderr;
  }
}

/** The last lines a child printed, for a message. */
function showTail(stderr: string): string {
  let lines = stderr.trimEnd().split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return '';
  let shown = lines.slice(-8);
  return `\n  its stderr${shown.length < lines.length ? ' ended' : ''}:\n${shown.map((line) => `    | ${line}`).join('\n')}`;
}

/**
 * A child died without reporting a result: killed by a signal, `process.exit`, a native crash.
 * `exitCode` and `signal` are what the operating system (or the worker thread) reported.
 *
 * @example
 * ```ts
 * try {
 *   yield* portal.run(crash); // calls process.exit(3)
 * } catch (error) {
 *   if (error instanceof BrokenActorError) console.log(error.exitCode, error.signal); // 3 null
 * }
 * ```
 */
export class BrokenActorError extends Error {
  override name = 'BrokenActorError';
  readonly actor: ActorRef;
  readonly exitCode: number | null;
  readonly signal: string | null;

  constructor(actor: ActorRef, exitCode: number | null, signal: string | null, context = 'died') {
    let how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    super(`actor '${actor.name}' (${actor.uid}) ${context}: it ${how}`);
    this.actor = actor;
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/**
 * The other side cancelled a context. `canceller` is the uid of the actor that asked. The side
 * that called `ctx.cancel()` gets no error from it.
 *
 * @example
 * ```ts
 * // callee
 * export const serveOnce = remote(import.meta, function* serveOnce(ctx: Context) {
 *   yield* ctx.started();
 *   yield* ctx.cancel(); // the caller's next stream operation throws ContextCancelledError
 * });
 * ```
 */
export class ContextCancelledError extends Error {
  override name = 'ContextCancelledError';
  readonly canceller: string;

  constructor(canceller: string, message = `context cancelled by actor ${canceller}`) {
    super(message);
    this.canceller = canceller;
  }
}

/**
 * The actor was cancelled (by its nursery, `cancelActor` or `nursery.cancel`) before it could
 * answer: raised by `portal.result()` of a `runInActor` actor, and by calls still in flight to
 * it. `canceller` is the uid of the actor that cancelled it.
 *
 * @example
 * ```ts
 * let portal = yield* nursery.runInActor(slow, []);
 * yield* portal.cancelActor();
 * yield* portal.result(); // throws ActorCancelledError
 * ```
 */
export class ActorCancelledError extends Error {
  override name = 'ActorCancelledError';
  readonly actor: ActorRef;
  readonly canceller: string;

  constructor(actor: ActorRef, canceller: string) {
    super(`actor '${actor.name}' (${actor.uid}) was cancelled before it returned`);
    this.actor = actor;
    this.canceller = canceller;
  }
}

/**
 * Raised in the target actor when a call names a function that is not `remote()`-marked or a
 * module the actor has not enabled; the caller receives it as a `RemoteActorError` whose `type`
 * is `'ModuleNotExposedError'`. Nothing was imported or run.
 *
 * @example
 * ```ts
 * let portal = yield* nursery.startActor('plain'); // no enableModules
 * yield* portal.run(add, 1, 2); // RemoteActorError, type 'ModuleNotExposedError'
 * ```
 */
export class ModuleNotExposedError extends Error {
  override name = 'ModuleNotExposedError';
}

/**
 * A wait with a `timeout` ran out: `waitForActor(name, { timeout })` with no actor of that name
 * registered in time. `actor` is the name waited for, `timeout` the milliseconds waited.
 *
 * @example
 * ```ts
 * try {
 *   yield* waitForActor('db', { timeout: 500 });
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.log(error.actor); // 'db'
 * }
 * ```
 */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly actor: string;
  readonly timeout: number;

  constructor(actor: string, timeout: number) {
    super(`no actor named '${actor}' to register within ${timeout} ms`);
    this.actor = actor;
    this.timeout = timeout;
  }
}

function describeBriefly(error: Error): string {
  if (error instanceof RemoteActorError) return `${error.type} in '${error.src.name}': ${error.message}`;
  return `${error.name}: ${error.message}`;
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n');
}

/**
 * A `runSync` worker died during a call, before it sent a result: `process.exit`, a signal
 * (SIGKILL from outside, the OOM killer), a native crash (SIGSEGV, SIGABRT), or an `init` that
 * threw. `exitCode` and `signal` are what the operating system (or the worker thread) reported;
 * `pid` is the worker's process (for a thread worker, the process it ran in). The pool drops
 * the dead worker and stays usable.
 *
 * @example
 * ```ts
 * try {
 *   yield* runSync(exitsAtOnce, []); // calls process.exit(7)
 * } catch (error) {
 *   if (error instanceof BrokenWorkerError) console.log(error.exitCode); // 7
 * }
 * ```
 */
export class BrokenWorkerError extends Error {
  override name = 'BrokenWorkerError';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly pid: number;

  constructor(worker: string, pid: number, exitCode: number | null, signal: string | null, options: { context?: string; cause?: unknown } = {}) {
    let how = signal ? `was killed by ${signal}` : exitCode === null ? 'could not be started' : `exited with code ${exitCode}`;
    super(`runSync worker ${worker} ${options.context ?? 'died during a call'}: it ${how}`, { cause: options.cause });
    this.exitCode = exitCode;
    this.signal = signal;
    this.pid = pid;
  }
}
