import { resource, type Operation, type Stream } from 'effection';
import { runCall } from '../dialog/run.ts';
import type { Peer } from '../dialog/peer.ts';
import { callContext, type Context, type ContextHandle, type StartedValue } from '../dialog/context.ts';
import type { Remote, RemoteFn } from '../base/remote.ts';
import { streamFrom } from '../dialog/stream-source.ts';

/**
 * What a remote function gives its caller: the value of an operation or promise, or the value
 * itself.
 *
 * @example
 * ```ts
 * type N = Returned<ReturnType<typeof add>>; // number, for a generator function returning a number
 * ```
 */
export type Returned<T> = T extends Operation<infer R> ? R : T extends PromiseLike<infer R> ? R : T;

export type { RemoteFn } from '../base/remote.ts';

/**
 * A context function: a `remote()`-marked function that takes its side of the dialog first.
 *
 * @example
 * ```ts
 * function* openTwice<F extends ContextFn>(portal: Portal, fn: F, ...args: ContextArgs<F>) {
 *   return [yield* portal.openContext(fn, ...args), yield* portal.openContext(fn, ...args)];
 * }
 * ```
 */
export type ContextFn = ((ctx: any, ...args: any[]) => unknown) & Remote;

/**
 * The arguments of a context function after its context.
 *
 * @example
 * ```ts
 * type A = ContextArgs<typeof echo>; // [greeting: string]
 * ```
 */
export type ContextArgs<F> = F extends (ctx: any, ...args: infer A) => unknown ? A : never;

/** The `First` written in a context function's `Context` type (`unknown` where it was left out). */
type DeclaredFirst<F> = F extends (ctx: Context<any, any, infer First>, ...args: any[]) => unknown ? First : unknown;

/**
 * The type of the caller's `first` from a context function: its `Context`'s `First` where that
 * was written, else what the function passes to `ctx.started()` (readable from the type of a
 * generator function whose return type is not written out), else `unknown`.
 *
 * @example
 * ```ts
 * type F = ContextFirst<typeof echo>; // string: echo calls ctx.started(greeting.toUpperCase())
 * ```
 */
export type ContextFirst<F> = unknown extends DeclaredFirst<F>
  ? F extends (...args: any[]) => infer R
    ? [StartedValue<R>] extends [never] ? unknown : StartedValue<R>
    : unknown
  : DeclaredFirst<F>;

/**
 * The caller's side of a context function's dialog, a `ContextHandle`: it sends what the
 * function receives, receives what the function sends, and `result()` is the function's return
 * value.
 *
 * @example
 * ```ts
 * function* ping(ctx: CallerContext<typeof echo>) {
 *   const stream = yield* ctx.openStream(); // MsgStream<string, string>
 *   yield* stream.send('ping');
 *   return yield* stream.next();
 * }
 * ```
 */
export type CallerContext<F> = F extends (ctx: Context<infer Send, infer Recv, any>, ...args: any[]) => infer R
  ? ContextHandle<Recv, Send, Returned<R>>
  : ContextHandle;

/**
 * The item type of a stream source: an async generator, an AsyncIterable or an effection Stream
 * (or an operation or promise of one).
 *
 * @example
 * ```ts
 * type I = StreamItem<ReturnType<typeof count>>; // number, for an async generator yielding numbers
 * ```
 */
export type StreamItem<T> = T extends AsyncIterable<infer I> ? I
  : T extends Stream<infer I, any> ? I
  : T extends Operation<infer S> ? StreamItem<S>
  : T extends PromiseLike<infer S> ? StreamItem<S>
  : unknown;

/**
 * The return value of a stream source, its final `{ done: true, value }`.
 *
 * @example
 * ```ts
 * type R = StreamReturn<ReturnType<typeof count>>; // string, for an async generator returning 'done'
 * ```
 */
export type StreamReturn<T> = T extends AsyncGenerator<any, infer R, any> ? R
  : T extends Stream<any, infer R> ? R
  : T extends Operation<infer S> ? StreamReturn<S>
  : T extends PromiseLike<infer S> ? StreamReturn<S>
  : void;

/** What `portal.actor` tells. */
export interface PortalActor {
  name: string;
  uid: string;
  pid: number;
  /** The address other actors reach it by: its Unix socket, or a TCP address where it listens on one. */
  address: string;
  /** The hostname of the machine it runs on. */
  host: string;
}

/** Options of `portal.cancelActor`. */
export interface CancelOptions {
  /** Kill at once (SIGKILL) instead of asking first. */
  hard?: boolean;
}

/** The caller's handle on one actor (API.md §2). `T` is the result type of a `runInActor` actor. */
export interface Portal<T = unknown> {
  readonly actor: PortalActor;
  /**
   * Call a remote function in that actor and return its result. `fn` must be `remote()`-marked
   * (else a type error); the arguments and the result are typed from its signature.
   */
  run<F extends RemoteFn>(fn: F, ...args: Parameters<F>): Operation<Returned<ReturnType<F>>>;
  /** The result of a `runInActor` actor; awaits its exit. */
  result(): Operation<T>;
  /** Cancel that actor gracefully (escalating as in API.md §5) and wait until it has exited. */
  cancelActor(options?: CancelOptions): Operation<void>;
  /**
   * Consume a remote stream source: the value is the `Stream` itself, each subscription starts
   * one remote call, and the source's return value is the final `{ done: true, value }`.
   * `fn` must be `remote()`-marked; the item and return types are read from its return type.
   */
  openStreamFrom<F extends RemoteFn>(fn: F, ...args: Parameters<F>): Stream<StreamItem<ReturnType<F>>, StreamReturn<ReturnType<F>>>;
  /**
   * Start a context dialog (API.md §3) for as long as the current scope lasts: returns once the
   * context function called `ctx.started(first)`. Leaving the scope cancels the dialog if it
   * is still open and waits for the remote function's cleanup. `fn` must be `remote()`-marked;
   * `ctx` is the mirror image of its `Context` (`CallerContext<F>`, whose `result()` is typed as
   * its return value) and `first` is typed as `ContextFirst<F>`.
   */
  openContext<F extends ContextFn>(fn: F, ...args: ContextArgs<F>): Operation<{ ctx: CallerContext<F>; first: ContextFirst<F> }>;
}

/** Timeouts of the cancel ladder, from the nursery the actor belongs to. */
export interface LadderTimeouts {
  cancelTimeout: number;
  killTimeout: number;
}

/**
 * What a portal talks to: a child of a nursery (nursery.ts), or an actor found in the registry
 * (discovery/). Calls go over `peer` alike; the actor's result and its cancellation are the
 * target's own.
 */
export interface PortalTarget {
  readonly peer: Peer;
  readonly actor: PortalActor;
  result(): Operation<unknown>;
  cancelActor(options: CancelOptions): Operation<void>;
  /** How long a stream or context dialog waits for the other side to confirm its cancellation. */
  readonly cancelTimeout: number;
}

export function createPortal<T>(target: PortalTarget): Portal<T> {
  let peer = target.peer;
  return {
    get actor() {
      return target.actor;
    },
    *run(fn, ...args) {
      return (yield* runCall(peer, fn, args)) as never;
    },
    *result() {
      return (yield* target.result()) as T;
    },
    cancelActor(options = {}) {
      return target.cancelActor(options);
    },
    openStreamFrom(fn, ...args) {
      return streamFrom(peer, fn, args, target.cancelTimeout);
    },
    openContext(fn, ...args) {
      return resource(function* (provide) {
        let { dialog, first } = yield* callContext(peer, fn, args, (dialog) => dialog.close(target.cancelTimeout));
        // The dialog's values are typed from the context function's signature: a promise of
        // its types, which nothing here can check.
        let ctx: ContextHandle = dialog.context();
        yield* provide({ ctx: ctx as CallerContext<typeof fn>, first: first as ContextFirst<typeof fn> });
      });
    },
  };
}
