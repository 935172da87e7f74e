import type { Operation } from 'effection';
import { Call } from './call.ts';
import type { ChildActor } from './child.ts';
import { ActorCancelledError } from './errors.ts';

/** What a remote function gives its caller: the value of an operation or promise, or the value itself. */
export type Returned<T> = T extends Operation<infer R> ? R : T extends PromiseLike<infer R> ? R : T;

/** A function that may be called in another actor. */
export type RemoteFn = (...args: any[]) => unknown;

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
      yield* child.stop({ ...ladder, hard: options.hard });
    },
  };
}
