import type { Operation, Task } from 'effection';
import { box } from './errors.ts';
import type { Dialog, Peer } from './peer.ts';
import type { DialogMessage } from './protocol.ts';

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

  /** Run `operation` as this call's task, in the actor's scope of served calls. */
  runTask(operation: Operation<unknown>): void {
    this.task = this.peer.actor.calls.run(() => operation);
    this.settleWith(this.task);
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
    if (this.cancelled) this.peer.post({ type: 'cancelled', cid: this.cid });
    else if (ok) succeed(this.peer, this.cid, result);
    else fail(this.peer, this.cid, result);
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
export function succeed(peer: Peer, cid: number, value: unknown): void {
  try {
    peer.post({ type: 'return', cid, value });
  } catch (error) {
    fail(peer, cid, error);
  }
}

export function fail(peer: Peer, cid: number, error: unknown): void {
  peer.post({ type: 'error', cid, error: box(error, peer.actor.ref) });
}
