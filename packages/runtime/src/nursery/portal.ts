import { ensure, resource, type Operation, type Stream } from 'effection';
import { Call } from '../dialog/run.ts';
import type { ChildActor } from './child-actor.ts';
import { ContextDialog, type Context } from '../dialog/context.ts';
import { ActorCancelledError } from '../base/errors.ts';
import { streamFrom } from '../dialog/stream-source.ts';

/** What a remote function gives its caller: the value of an operation or promise, or the value itself. */
export type Returned<T> = T extends Operation<infer R> ? R : T extends PromiseLike<infer R> ? R : T;

/** A function that may be called in another actor. */
export type RemoteFn = (...args: any[]) => unknown;

/** A context function: takes its side of the dialog first. */
export type ContextFn = (ctx: any, ...args: any[]) => unknown;

/** The arguments of a context function after its context. */
export type ContextArgs<F> = F extends (ctx: any, ...args: infer A) => unknown ? A : never;

/** The caller's side of a context function's dialog: it sends what the function receives. */
export type CallerContext<F> = F extends (ctx: Context<infer Send, infer Recv>, ...args: any[]) => unknown ? Context<Recv, Send> : Context;

/** The item type of a stream source: an async generator, an AsyncIterable or an effection Stream (or an operation or promise of one). */
export type StreamItem<T> = T extends AsyncIterable<infer I> ? I
  : T extends Stream<infer I, any> ? I
  : T extends Operation<infer S> ? StreamItem<S>
  : T extends PromiseLike<infer S> ? StreamItem<S>
  : unknown;

/** The return value of a stream source, its final `{ done: true, value }`. */
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
  address: string;
}

/** Options of `portal.cancelActor`. */
export interface CancelOptions {
  /** Kill at once (SIGKILL) instead of asking first. */
  hard?: boolean;
}

/** The caller's handle on one actor (API.md §2). `T` is the result type of a `runInActor` actor. */
export interface Portal<T = unknown> {
  readonly actor: PortalActor;
  /** Call a remote function in that actor and return its result. */
  run<F extends RemoteFn>(fn: F, ...args: Parameters<F>): Operation<Returned<ReturnType<F>>>;
  /** The result of a `runInActor` actor; awaits its exit. */
  result(): Operation<T>;
  /** Cancel that actor gracefully (escalating as in API.md §5) and wait until it has exited. */
  cancelActor(options?: CancelOptions): Operation<void>;
  /**
   * Consume a remote stream source: the value is the `Stream` itself, each subscription starts
   * one remote call, and the source's return value is the final `{ done: true, value }`.
   */
  openStreamFrom<F extends RemoteFn>(fn: F, ...args: Parameters<F>): Stream<StreamItem<ReturnType<F>>, StreamReturn<ReturnType<F>>>;
  /**
   * Start a context dialog (API.md §3) for as long as the current scope lasts: returns once the
   * context function called `ctx.started(first)`. Leaving the scope cancels the dialog if it
   * is still open and waits for the remote function's cleanup.
   */
  openContext<F extends ContextFn>(fn: F, ...args: ContextArgs<F>): Operation<{ ctx: CallerContext<F>; first: unknown }>;
}

/** Timeouts of the cancel ladder, from the nursery the actor belongs to. */
export interface LadderTimeouts {
  cancelTimeout: number;
  killTimeout: number;
}

export function createPortal<T>(child: ChildActor, ladder: LadderTimeouts): Portal<T> {
  return {
    get actor() {
      return { name: child.ref.name, uid: child.ref.uid, pid: child.pid, address: child.address };
    },
    *run(fn, ...args) {
      let call: Call | undefined;
      child.peer.call(fn, args, 'run', (cid) => (call = new Call(child.peer, cid)));
      return (yield* call!.result()) as never;
    },
    *result() {
      if (child.kind !== 'run') throw new TypeError(`actor '${child.ref.name}' was started with startActor; only runInActor actors have a result`);
      let outcome = yield* child.finished();
      switch (outcome.status) {
        case 'ok':
          return outcome.value as T;
        case 'failed':
        case 'boot-failed':
          throw outcome.error;
        default:
          throw new ActorCancelledError(child.ref, child.peer.actor.uid);
      }
    },
    *cancelActor(options = {}) {
      yield* child.stop({ ...ladder, hard: options.hard, why: 'portal.cancelActor() was called' });
    },
    openStreamFrom(fn, ...args) {
      return streamFrom(child.peer, fn, args, ladder.cancelTimeout);
    },
    openContext(fn, ...args) {
      return resource(function* (provide) {
        let dialog!: ContextDialog;
        child.peer.call(fn, args, 'context', (cid) => (dialog = new ContextDialog(child.peer, cid, 'caller')));
        yield* ensure(() => dialog.close(ladder.cancelTimeout));
        let first = yield* dialog.firstValue();
        yield* provide({ ctx: dialog.context() as CallerContext<typeof fn>, first });
      });
    },
  };
}
