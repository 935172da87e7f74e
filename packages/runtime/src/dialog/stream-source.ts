import { action, ensure, resource, until, type Operation, type Stream, type Subscription } from 'effection';
import { unboxDialogError } from '../base/boxing.ts';
import { ServedCall } from './run.ts';
import { DEFAULT_WINDOW, DialogStream } from './msg-stream.ts';
import type { Dialog, Peer } from './peer.ts';
import type { DialogMessage } from './protocol.ts';
import { isAsyncIterable, isIterator, isOperation, isSubscription, isThenable } from './shapes.ts';

/**
 * The caller's side of `portal.openStreamFrom(fn, ...args)`: a `Stream` whose every
 * subscription starts one remote call of `fn`, receives its items with flow control, and ends
 * with `{ done: true, value }`, `value` being the source's return value. Leaving the
 * subscriber's scope cancels the remote source and waits (up to `cancelTimeout`) for its
 * cleanup to finish.
 */
export function streamFrom<T, R>(peer: Peer, fn: Function, args: unknown[], cancelTimeout: number): Stream<T, R> {
  return resource<Subscription<T, R>>(function* (provide) {
    let dialog!: SourceDialog<T, R>;
    peer.call(fn, args, 'stream', (cid) => (dialog = new SourceDialog<T, R>(peer, cid)));
    dialog.stream.open(DEFAULT_WINDOW);
    yield* ensure(() => dialog.cancel(cancelTimeout));
    yield* provide({ next: () => dialog.stream.next() });
  });
}

/** The caller's state of one `openStreamFrom` subscription. */
class SourceDialog<T, R> implements Dialog {
  readonly stream: DialogStream<never, T, R>;
  private ended = false;
  private waiter: (() => void) | undefined;

  constructor(private peer: Peer, private cid: number) {
    this.stream = new DialogStream<never, T, R>(peer, cid);
  }

  receive(message: DialogMessage): void {
    switch (message.type) {
      case 'yield':
        return this.stream.deliver(message.values);
      case 'return':
        this.stream.remoteClosed(message.value as R);
        return this.end();
      case 'error':
        this.stream.fail(unboxDialogError(message.error));
        return this.end();
      case 'cancelled':
        this.stream.remoteClosed();
        return this.end();
    }
  }

  broken(error: Error): void {
    this.stream.fail(error);
    this.end();
  }

  *cancel(timeout: number): Operation<void> {
    if (this.ended) return;
    // A source whose connection is gone has stopped itself.
    if (!this.peer.connected) return this.end();
    this.peer.post({ type: 'cancel', cid: this.cid, canceller: this.peer.actor.uid });
    let confirmation = (ms: number) =>
      action<void>((resolve) => {
        this.waiter = resolve;
        let timer = setTimeout(resolve, ms);
        return () => {
          clearTimeout(timer);
          this.waiter = undefined;
        };
      });
    yield* this.peer.awaitCancelConfirmation(timeout, confirmation, () => this.ended);
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.peer.unregister(this.cid);
    this.waiter?.();
  }
}

/**
 * The callee's side of an `openStreamFrom` call: run the source and send its items as the
 * caller's credits allow; answer with its return value, its error, or (if the caller cancelled)
 * a confirmation once its cleanup has run.
 */
export function serveStream(peer: Peer, cid: number, fn: Function, args: unknown[]): void {
  let served = new ServedSource(peer, cid);
  served.runTask(pump(fn, args, served.stream));
}

/** A served call whose items go out on a stream, as the caller's credits allow. */
class ServedSource extends ServedCall {
  readonly stream: DialogStream<unknown, never>;

  constructor(peer: Peer, cid: number) {
    super(peer, cid);
    this.stream = new DialogStream<unknown, never>(peer, cid);
    this.stream.open(0);
  }

  override receive(message: DialogMessage): void {
    if (message.type === 'credit') this.stream.grant(message.n);
    else super.receive(message);
  }

  /** The items sent before the source ended arrive before its answer. */
  protected override beforeAnswer(): void {
    this.stream.flush();
  }
}

type Source = { kind: 'async'; iterator: AsyncIterator<unknown, unknown> } | { kind: 'effection'; subscription: Subscription<unknown, unknown> };

/** Send every item of the source, as credits allow; return the source's return value. */
function* pump(fn: Function, args: unknown[], stream: DialogStream<unknown, never>): Operation<unknown> {
  let source = yield* openSource(fn.name, fn(...args));
  if (source.kind === 'effection') {
    while (true) {
      let next = yield* source.subscription.next();
      if (next.done) return next.value;
      yield* stream.send(next.value);
    }
  }
  let iterator = source.iterator;
  let finished = false;
  // Halting the pump (the caller left) runs the generator's own `finally` blocks.
  yield* ensure(function* () {
    if (!finished && iterator.return) yield* until(iterator.return(undefined));
  });
  while (true) {
    let next = yield* until(iterator.next());
    if (next.done) {
      finished = true;
      return next.value;
    }
    yield* stream.send(next.value);
  }
}

/**
 * What a stream source function gave: an async generator or other `AsyncIterable`, an
 * effection `Stream`, or an operation or promise that produces one of those.
 */
function* openSource(name: string, result: unknown): Operation<Source> {
  if (isThenable(result)) result = yield* until(result);
  else if (isIterator(result)) result = yield* (result as unknown as Operation<unknown>);
  if (isAsyncIterable(result)) return { kind: 'async', iterator: result[Symbol.asyncIterator]() };
  if (isSubscription(result)) return { kind: 'effection', subscription: result };
  if (isOperation(result)) return { kind: 'effection', subscription: yield* (result as Stream<unknown, unknown>) };
  throw new TypeError(`${name} is not a stream source: it must be an async generator, return an AsyncIterable, or return an effection Stream`);
}
