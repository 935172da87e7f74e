import { action, type Operation } from 'effection';
import { unbox } from './errors.ts';
import type { Dialog, Peer } from './peer.ts';
import type { DialogMessage } from './protocol.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

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
    // The dialog stays registered until the callee answers, so its late reply is absorbed.
    this.peer.post({ type: 'cancel', cid: this.cid, canceller: this.peer.actor.uid });
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
