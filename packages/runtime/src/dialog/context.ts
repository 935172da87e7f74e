import { action, ensure, suspend, type Operation, type Task } from 'effection';
import { ContextCancelledError } from '../base/errors.ts';
import { box, unboxDialogError } from '../base/boxing.ts';
import { invoke } from './invoke.ts';
import { fail } from './run.ts';
import { runServed } from './served-task.ts';
import { DEFAULT_WINDOW, DialogStream, type MsgStream, type StreamOptions } from './msg-stream.ts';
import type { Dialog, Peer } from './peer.ts';
import type { DialogMessage } from './protocol.ts';

/*
 * The context dialog (API.md §3), both sides: `ContextDialog` is either side's state, the
 * caller's made by `portal.openContext`, the callee's by `serveContext`.
 */

/**
 * The context function's side of a context dialog (API.md §3): a context function takes it
 * first. `Send` is what the function sends, `Recv` what it receives (the caller's side,
 * `CallerContext`, is the mirror image), `First` what it may pass to `ctx.started()`.
 *
 * `First` may be left out: the caller's `first` is then typed from the values the function
 * passes to `ctx.started()` (in a generator function whose return type is not written out),
 * else `unknown`.
 *
 * @example
 * ```ts
 * export const echo = remote(import.meta, function* echo(ctx: Context<string, string>, greeting: string) {
 *   yield* ctx.started(greeting.toUpperCase()); // the caller's `first`: a string
 *   const stream = yield* ctx.openStream();
 *   for (const msg of yield* each(stream)) {
 *     yield* stream.send(msg);
 *     yield* each.next();
 *   }
 *   return 'bye'; // the caller's `ctx.result()`
 * });
 * ```
 */
export interface Context<Send = unknown, Recv = unknown, First = unknown> {
  /**
   * Unblock the caller's `openContext` with `value` as its `first`. The value may be left out
   * where `First` allows `undefined` (the caller's `first` is then `undefined`).
   *
   * The `Started<V>` it returns is an `Operation<void>` whose type records `V`, so that the
   * caller's `first` is typed from it.
   */
  started<V extends First = First & undefined>(...value: undefined extends First ? [value?: V] : [value: V]): Started<V>;
  /** Open the one bidirectional stream of this dialog (both sides must open it). */
  openStream(options?: StreamOptions): Operation<MsgStream<Send, Recv>>;
  /**
   * Cancel the dialog on both sides. The caller sees `ContextCancelledError` with this actor's
   * uid as `canceller`. The context function is halted right away (this operation does not
   * return).
   */
  cancel(): Operation<void>;
}

/**
 * The caller's handle on a context dialog, the `ctx` that `portal.openContext` gives: it sends
 * what the context function receives and receives what it sends; `Result` is the function's
 * return value. `CallerContext<F>` is this handle for the context function `F`.
 *
 * @example
 * ```ts
 * const { ctx, first } = yield* portal.openContext(echo, 'hi'); // ctx: ContextHandle<string, string, string>
 * const stream = yield* ctx.openStream();
 * yield* stream.send('ping');
 * yield* stream.close();
 * const result = yield* ctx.result();
 * ```
 */
export interface ContextHandle<Send = unknown, Recv = unknown, Result = unknown> {
  /** Open the one bidirectional stream of this dialog (both sides must open it). */
  openStream(options?: StreamOptions): Operation<MsgStream<Send, Recv>>;
  /** The context function's return value (or its error). */
  result(): Operation<Result>;
  /**
   * Cancel the dialog on both sides and wait until the context function has finished. The
   * context function sees `ContextCancelledError` with this actor's uid as `canceller`; this
   * side gets no error from it.
   */
  cancel(): Operation<void>;
}

/** The type-only brand of the effects a `Started<V>` claims to yield; none exists at runtime. */
declare const startedValue: unique symbol;

/**
 * What the iterator of `Started<V>` is typed to yield: an effect (it yields none) that records
 * `V`, so that a context function's inferred generator type says what it passes to `started`.
 * It is assignable to `Effect<unknown>`, so a context function stays an `Operation`, but not a
 * subtype of it (`enter` is `any`): TypeScript would otherwise drop it from the union of the
 * effects an inferred generator type yields.
 *
 * @example
 * ```ts
 * const echo = remote(import.meta, function* echo(ctx: Context<string, string>, greeting: string) {
 *   yield* ctx.started(greeting.toUpperCase());
 *   // …
 *   return 'bye';
 * });
 * // typeof echo: ((ctx: Context<string, string>, greeting: string) =>
 * //   Generator<Effect<unknown> | StartedEffect<string>, string, unknown>) & Remote
 * ```
 */
export interface StartedEffect<V> {
  readonly description: string;
  readonly enter: any;
  readonly [startedValue]: V;
}

/**
 * What `ctx.started(value)` returns: an `Operation<void>` whose type records the type of
 * `value`, so that `portal.openContext` types the caller's `first` from the context function.
 *
 * @example
 * ```ts
 * yield* ctx.started(42); // the caller's `first`: number
 * ```
 */
export interface Started<V> extends Operation<void> {
  [Symbol.iterator](): Iterator<StartedEffect<V>, void, unknown>;
}

/**
 * What a context function passes to `ctx.started()`, read from its return type: the `V` of
 * every `Started<V>` its generator delegates to; `never` where there is none to read (an async
 * function, a generator whose type was written out), `unknown` where its yields are `any`.
 */
export type StartedValue<R> = R extends Iterator<infer Y, any, any> ? (0 extends 1 & Y ? unknown : StartedIn<Y>) : never;

type StartedIn<Y> = Y extends StartedEffect<infer V> ? V : never;

/** Either side's context, as `ContextDialog.context()` makes it; each side's type shows its own members. */
type EitherSide = Context & ContextHandle;

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/**
 * Call `fn(...args)` as a context at the other end of `peer`, for as long as the current scope
 * lasts (call it in a resource): the caller's side of the dialog and the context's first value.
 * When the scope ends, `close` ends the dialog.
 */
export function* callContext(peer: Peer, fn: Function, args: unknown[], close: (dialog: ContextDialog) => Operation<void>): Operation<{ dialog: ContextDialog; first: unknown }> {
  let dialog!: ContextDialog;
  peer.call(fn, args, 'context', (cid) => (dialog = new ContextDialog(peer, cid, 'caller')));
  yield* ensure(() => close(dialog));
  return { dialog, first: yield* dialog.firstValue() };
}

/**
 * The state of a context dialog on one side: the `started` handshake, the stream, the outcome,
 * and cancellation in either direction.
 */
export class ContextDialog implements Dialog {
  readonly stream: DialogStream<unknown, unknown>;
  /** Callee: the task running the context function. */
  task: Task<unknown> | undefined;
  /** The uid of the actor that cancelled the dialog, if one did. */
  cancelledBy: string | undefined;
  private first: { value: unknown } | undefined;
  private outcome: Outcome | undefined;
  /** Whether the caller's code has been given the dialog's error (by `result()` or the stream). */
  private errorSeen = false;
  private waiters = new Set<() => void>();

  constructor(readonly peer: Peer, readonly cid: number, readonly role: 'caller' | 'callee') {
    this.stream = new DialogStream(peer, cid);
  }

  receive(message: DialogMessage): void {
    switch (message.type) {
      case 'yield':
        return this.stream.deliver(message.values);
      case 'credit':
        return this.stream.grant(message.n);
      case 'close':
        return this.stream.remoteClosed();
      case 'started':
        if (this.role === 'caller' && !this.first) {
          this.first = { value: message.value };
          this.wake();
        }
        return;
      case 'return':
        this.stream.remoteClosed();
        return this.settle({ ok: true, value: message.value });
      case 'error':
        return this.settle({ ok: false, error: unboxDialogError(message.error) });
      case 'cancelled':
        // The callee confirmed our cancellation: the dialog ended without a result.
        this.stream.remoteClosed();
        return this.settle({ ok: true, value: undefined });
      case 'cancel':
        if (this.role === 'callee') this.cancelledByPeer(message.canceller);
        return;
    }
  }

  broken(error: Error): void {
    this.stream.fail(error);
    this.settle({ ok: false, error });
    // A dialog's lifetime is bounded by its connection.
    if (this.role === 'callee' && this.task) this.peer.actor.haltCall(this.task);
  }

  /** The user-facing context of this side: the caller's is a `ContextHandle`, the callee's a `Context`. */
  context(): EitherSide {
    let dialog = this;
    return {
      *started(value?: unknown): Generator<never, void, unknown> {
        if (dialog.role !== 'callee') throw new TypeError('only the context function calls ctx.started()');
        if (dialog.first) throw new Error('ctx.started() was already called');
        dialog.first = { value };
        dialog.peer.post({ type: 'started', cid: dialog.cid, value });
      },
      *openStream(options: StreamOptions = {}) {
        dialog.stream.open(options.window ?? DEFAULT_WINDOW);
        return dialog.stream.view();
      },
      *result() {
        if (dialog.role !== 'caller') throw new TypeError("ctx.result() is the caller's: the context function returns its result");
        let outcome = yield* dialog.settled();
        if (outcome.ok) return outcome.value;
        dialog.errorSeen = true;
        throw outcome.error;
      },
      *cancel() {
        if (dialog.role === 'caller') yield* dialog.cancelAsCaller(Infinity);
        else yield* dialog.cancelAsCallee();
      },
    };
  }

  /** Caller: wait for the callee's `started` (or the dialog's end, whose error is thrown). */
  *firstValue(): Operation<unknown> {
    yield* this.until(() => this.first !== undefined || this.outcome !== undefined);
    if (this.first) return this.first.value;
    if (this.outcome && !this.outcome.ok) throw this.outcome.error;
    return undefined;
  }

  /**
   * Caller: the end of the caller's scope. An open dialog is cancelled (see `cancelAsCaller`);
   * a dialog that failed without the caller's code ever being given its error raises it here,
   * so that no remote failure goes unreported.
   */
  *close(timeout: number): Operation<void> {
    yield* this.cancelAsCaller(timeout);
    let outcome = this.outcome;
    if (outcome && !outcome.ok && !this.errorSeen && !this.stream.inbox.failureSeen && this.cancelledBy !== this.peer.actor.uid) {
      throw outcome.error;
    }
  }

  /**
   * Caller: cancel the dialog and wait (up to `timeout` ms) for the callee to confirm that its
   * context function has finished. Used by `ctx.cancel()` and when the caller's scope ends
   * with the dialog still open.
   */
  *cancelAsCaller(timeout: number): Operation<void> {
    if (this.outcome) return;
    this.cancelledBy = this.peer.actor.uid;
    this.stream.remoteClosed();
    this.stream.endSending(new Error('send() on a context this side cancelled'));
    // A callee whose connection is gone has stopped the dialog itself.
    if (this.peer.connected) this.peer.post({ type: 'cancel', cid: this.cid, canceller: this.peer.actor.uid });
    let settled = () => this.outcome !== undefined;
    // A wait without end (ctx.cancel()) is the caller's own choice; a timed one shares the clock.
    if (Number.isFinite(timeout)) yield* this.peer.awaitCancelConfirmation(timeout, (ms) => this.until(settled, ms), settled);
    else yield* this.until(settled);
    if (!this.outcome) this.settle({ ok: true, value: undefined });
  }

  /** Callee: the context function's task ended; tell the caller how. */
  finish(ok: boolean, result: unknown): void {
    if (this.role !== 'callee' || this.outcome) return;
    this.peer.unregister(this.cid);
    this.stream.flush();
    if (this.cancelledBy && this.cancelledBy !== this.peer.actor.uid) {
      this.peer.answer({ type: 'cancelled', cid: this.cid });
    } else if (ok) {
      // Returning ends the callee's side of the stream.
      try {
        this.peer.answer({ type: 'return', cid: this.cid, value: result });
      } catch (error) {
        this.peer.answer({ type: 'error', cid: this.cid, error: box(error, this.peer.actor.ref) });
      }
    } else {
      fail(this.peer, this.cid, result);
    }
    this.settle(ok ? { ok: true, value: result } : { ok: false, error: result as Error });
  }

  /** Callee: the context function was halted before it ended: by its caller, or by this actor's teardown. */
  halted(): void {
    if (this.cancelledBy && this.cancelledBy !== this.peer.actor.uid) return this.finish(true, undefined);
    // This actor's teardown: no answer; the caller hears the actor was cancelled.
    this.peer.unregister(this.cid);
    this.settle({ ok: true, value: undefined });
  }

  private *cancelAsCallee(): Operation<void> {
    if (this.outcome) return;
    let canceller = this.peer.actor.uid;
    this.cancelledBy = canceller;
    this.peer.unregister(this.cid);
    // What this side already sent arrives before the cancellation.
    this.stream.flush();
    this.peer.answer({ type: 'error', cid: this.cid, error: box(new ContextCancelledError(canceller), this.peer.actor.ref) });
    this.settle({ ok: true, value: undefined });
    this.stream.fail(new ContextCancelledError(canceller, 'this context was cancelled by this actor'));
    if (this.task) this.peer.actor.haltCall(this.task);
    yield* suspend();
  }

  private cancelledByPeer(canceller: string): void {
    if (this.cancelledBy || this.outcome) return;
    this.cancelledBy = canceller;
    // A pending stream operation of the context function throws ContextCancelledError; the
    // halt follows once that has been delivered, so the function can observe it.
    this.stream.fail(new ContextCancelledError(canceller));
    setImmediate(() => this.task && this.peer.actor.haltCall(this.task));
  }

  private settle(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    if (this.role === 'caller') this.peer.unregister(this.cid);
    if (!outcome.ok) this.stream.fail(outcome.error);
    else this.stream.endSending(new Error('send() on a context that has ended'));
    this.wake();
  }

  private *settled(): Operation<Outcome> {
    yield* this.until(() => this.outcome !== undefined);
    return this.outcome!;
  }

  private *until(ready: () => boolean, timeout = Infinity): Operation<void> {
    let deadline = Date.now() + timeout;
    while (!ready() && Date.now() < deadline) {
      yield* action<void>((resolve) => {
        this.waiters.add(resolve);
        let timer = Number.isFinite(timeout) ? setTimeout(resolve, Math.max(0, deadline - Date.now())) : undefined;
        return () => {
          clearTimeout(timer);
          this.waiters.delete(resolve);
        };
      });
    }
  }

  private wake(): void {
    let waiters = [...this.waiters];
    this.waiters.clear();
    for (let waiter of waiters) waiter();
  }
}

/** Callee: run a context function with its side of a new context dialog as its first argument. */
export function serveContext(peer: Peer, cid: number, fn: Function, args: unknown[]): void {
  let dialog = new ContextDialog(peer, cid, 'callee');
  peer.register(cid, dialog);
  let invocation;
  try {
    invocation = invoke(fn, [dialog.context(), ...args]);
  } catch (error) {
    dialog.finish(false, error);
    return;
  }
  if (invocation.kind === 'value') {
    dialog.finish(true, invocation.value);
  } else if (invocation.kind === 'promise') {
    invocation.promise.then((value) => dialog.finish(true, value), (error) => dialog.finish(false, error));
  } else {
    dialog.task = runServed(peer.actor.calls, invocation.operation, (outcome) => {
      if (outcome) dialog.finish(outcome.ok, outcome.ok ? outcome.value : outcome.error);
      else dialog.halted();
    });
  }
}
