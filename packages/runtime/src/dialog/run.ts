/*
 * The run dialog (`portal.run`, and a `runInActor` actor's main on cid 0), both sides: the
 * caller's `Call`, and the callee's `serveRun` with `ServedCall`, which stream sources extend.
 */
import { action, type Operation, type Task } from 'effection';
import { box, unbox } from '../base/boxing.ts';
import { errorLeaving } from '../actor/debug-port.ts';
import { invoke } from './invoke.ts';
import type { Dialog, Peer } from './peer.ts';
import type { DialogMessage } from './protocol.ts';
import { runServed } from './served-task.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** Call `fn(...args)` in the actor at the other end of `peer` and return its result (`portal.run`). */
export function* runCall(peer: Peer, fn: Function, args: unknown[]): Operation<unknown> {
  let call: Call | undefined;
  peer.call(fn, args, 'run', (cid) => (call = new Call(peer, cid)));
  return yield* call!.result();
}

/**
 * The caller's side of a plain call (`portal.run`). Waiting costs an `action`, not a task: a
 * task per call would cost as much as the socket round trip itself (DESIGN.md).
 *
 * If the waiting caller is halted, a cancel request goes to the callee, which halts the call's
 * task; the caller does not wait for that (the halt of a delegated operation cannot suspend,
 * see effection#1190). A nursery's teardown still waits for every actor it started to exit, so
 * nothing outlives its scope.
 */
export class Call implements Dialog {
  private outcome: Outcome | undefined;
  private waiter: ((outcome: Outcome) => void) | undefined;

  constructor(private peer: Peer, readonly cid: number) {}

  receive(message: DialogMessage): void {
    switch (message.type) {
      case 'return':
        return this.settle({ ok: true, value: message.value });
      case 'error':
        return this.settle({ ok: false, error: unbox(message.error) });
      case 'cancelled':
        return this.settle({ ok: false, error: new Error('the call was cancelled') });
    }
  }

  broken(error: Error): void {
    this.settle({ ok: false, error });
  }

  /** The call's return value, or its error raised here. */
  *result(): Operation<unknown> {
    let outcome = this.outcome ?? (yield* action<Outcome>((resolve) => {
      this.waiter = resolve;
      return () => {
        this.waiter = undefined;
        if (!this.outcome) this.cancel();
      };
    }));
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  private cancel(): void {
    // The dialog stays registered until the callee answers, so its late reply is absorbed. A
    // callee whose connection is gone has stopped the call itself.
    if (this.peer.connected) this.peer.post({ type: 'cancel', cid: this.cid, canceller: this.peer.actor.uid });
  }

  private settle(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.peer.unregister(this.cid);
    let waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(outcome);
  }
}

/**
 * Run `fn(...args)` as the dialog `cid` and answer with its outcome; `onDone` is told when the
 * answer has been sent. Used for `portal.run` calls and for a `runInActor` actor's main.
 */
export function serveRun(peer: Peer, cid: number, fn: Function, args: unknown[], onDone?: () => void): void {
  let invocation;
  try {
    invocation = invoke(fn, args);
  } catch (error) {
    fail(peer, cid, error);
    onDone?.();
    return;
  }
  if (invocation.kind === 'value') {
    succeed(peer, cid, invocation.value);
    onDone?.();
    return;
  }
  let served = new ServedCall(peer, cid, onDone);
  if (invocation.kind === 'promise') served.settleWith(invocation.promise);
  else served.runTask(invocation.operation);
}

/**
 * The callee's side of a call that did not finish at once: it runs as a task (or a promise) and
 * can be cancelled by its caller. It answers exactly once: with its return value, its error, or
 * (when the caller cancelled it) a confirmation that it has stopped, sent after its cleanup ran.
 */
export class ServedCall implements Dialog {
  task: Task<unknown> | undefined;
  private cancelled = false;
  private finished = false;

  constructor(protected peer: Peer, protected cid: number, private onDone?: () => void) {
    peer.register(cid, this);
  }

  /** Run `operation` as this call's task, in the actor's scope of served calls; it answers from inside. */
  runTask(operation: Operation<unknown>): void {
    this.task = runServed(this.peer.actor.calls, operation, (outcome) => {
      if (outcome) this.finish(outcome.ok, outcome.ok ? outcome.value : outcome.error);
      else if (this.cancelled) this.finish(true, undefined);
      // Halted by this actor's own teardown: no answer; the caller hears the actor was cancelled.
      else this.unanswered();
    });
  }

  /** Answer when `promise` settles (an async function: it cannot be stopped, only ignored). */
  settleWith(promise: PromiseLike<unknown>): void {
    promise.then((value) => this.finish(true, value), (error) => this.finish(false, error));
  }

  receive(message: DialogMessage): void {
    if (message.type === 'cancel') this.cancel();
  }

  /** A call's lifetime is bounded by the connection that made it. */
  broken(): void {
    this.cancel();
  }

  finish(ok: boolean, result: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.peer.unregister(this.cid);
    this.beforeAnswer();
    if (this.cancelled) {
      // Its caller stopped waiting: a failure in a halted task's cleanup has nobody else to go
      // to. (An async function cannot be halted; what it does after its caller left is ignored.)
      if (!ok && this.task) this.peer.actor.reportFailure(result);
      this.peer.answer({ type: 'cancelled', cid: this.cid });
    } else if (ok) {
      succeed(this.peer, this.cid, result);
    } else {
      fail(this.peer, this.cid, result);
    }
    this.onDone?.();
  }

  private unanswered(): void {
    if (this.finished) return;
    this.finished = true;
    this.peer.unregister(this.cid);
    this.onDone?.();
  }

  /** What must leave before the answer (a stream source flushes the items it queued). */
  protected beforeAnswer(): void {}

  private cancel(): void {
    if (this.cancelled || this.finished) return;
    this.cancelled = true;
    if (this.task) this.peer.actor.haltCall(this.task);
  }
}

/** Answer with a value; one the codec cannot carry becomes the call's `TypeError` instead. */
function succeed(peer: Peer, cid: number, value: unknown): void {
  try {
    peer.answer({ type: 'return', cid, value });
  } catch (error) {
    fail(peer, cid, error);
  }
}

/** Answer with an error, boxed (any thrown value boxes: base/boxing.ts). */
export function fail(peer: Peer, cid: number, error: unknown): void {
  errorLeaving(error);
  peer.answer({ type: 'error', cid, error: box(error, peer.actor.ref) });
}
