import { Mailbox, ProtocolError, assertEncodable } from '@harrow/transport';
import { action, type Operation, type Stream, type Subscription } from 'effection';
import { broadcast } from './broadcast.ts';
import type { Peer } from './peer.ts';

/** Options of `ctx.openStream()`. */
export interface StreamOptions {
  /** How many unconsumed messages this side will hold; the other side's `send` waits beyond it. Default 256. */
  window?: number;
}

/** The default flow-control window: messages a receiver will hold unconsumed. */
export const DEFAULT_WINDOW = 256;

/** Items sent within one tick leave together, up to this many per message. */
const MAX_BATCH = 128;

/**
 * How many messages go in one batch, and how many consumed messages are acknowledged with one
 * credit, for a window of `window`: a quarter of it, at most `MAX_BATCH`. Four batches in flight
 * keep both sides busy: with two (a half-window batch), the producer spent its credits and slept
 * until the consumer's next credit woke it, for every batch. Measured in one `stream.throughput`
 * run on 2 cores (docs/internals.md): window 256, half-window batches 1.64M msgs/s, quarter 2.05M.
 */
function batchFor(window: number): number {
  return Math.min(MAX_BATCH, Math.max(1, Math.floor(window / 4)));
}

/**
 * One direction-pair of messages between two actors in a context dialog (API.md §3). It is an
 * effection `Stream` of what the other side sends, so `each(stream)` iterates it; `send` waits
 * while the other side holds `window` unconsumed messages; `close` ends the other side's
 * iteration while this side may still receive.
 */
export interface MsgStream<Send = unknown, Recv = unknown> extends Stream<Recv, void>, Subscription<Recv, void> {
  send(value: Send): Operation<void>;
  next(): Operation<IteratorResult<Recv, void>>;
  close(): Operation<void>;
  /**
   * A `Stream` that many local tasks can each subscribe to: every subscriber receives every
   * message that arrives after it subscribed. The slowest subscriber sets the pace.
   */
  broadcast(): Stream<Recv, void>;
}

/**
 * The flow-controlled stream of one dialog, on one side. Credit-based, per direction
 * (DESIGN.md): the receiver grants `window` credits when it opens its stream, the sender spends
 * one per message and waits at zero, and the receiver returns credits in batches of a quarter
 * of the window (`batchFor`) as its consumer takes messages. So memory per stream is bounded by
 * the window in both processes, a slow consumer slows its producer, and nothing is dropped.
 */
export class DialogStream<Send, Recv, TClose = void> {
  opened = false;
  window = DEFAULT_WINDOW;
  /** Messages from the other side; ends when it closes (or returns), fails with the dialog. */
  readonly inbox: Mailbox<Recv, TClose> = new Mailbox(() => this.consumed());
  private credits = 0;
  /** Items per outgoing batch: `batchFor` the other side's window, known from its first grant. */
  private batch = MAX_BATCH;
  private granted = false;
  private creditWaiters: (() => void)[] = [];
  private unreturned = 0;
  private outbound: unknown[] = [];
  private flushScheduled = false;
  /** Whether a flush already happened in this turn of the event loop (see `send`). */
  private flushedThisTurn = false;
  private localClosed = false;
  /** Why this side can no longer send or receive, once it cannot. */
  private failure: Error | undefined;
  /** Why this side can no longer send, though it may still receive (the dialog ended). */
  private sendingEnded: Error | undefined;

  constructor(private peer: Peer, private cid: number) {}

  /** Open this side: grant the other side `window` credits. A window of 0 opens for sending only. */
  open(window: number): void {
    if (this.opened) return;
    if (!Number.isInteger(window) || window < 0) throw new TypeError(`window must be a non-negative integer, got ${window}`);
    this.opened = true;
    this.window = window;
    // Over a connection that is gone nothing will come: the dialog is failing with why.
    if (window > 0 && this.peer.connected) this.peer.post({ type: 'credit', cid: this.cid, n: window });
  }

  *send(value: Send): Operation<void> {
    while (this.credits === 0) {
      this.checkSend();
      yield* action<void>((resolve) => {
        this.creditWaiters.push(resolve);
        return () => {
          this.creditWaiters = this.creditWaiters.filter((waiter) => waiter !== resolve);
        };
      });
    }
    this.checkSend();
    assertEncodable(value, 'value');
    this.credits--;
    this.outbound.push(value);
    if (this.outbound.length >= this.batch) {
      // A full batch is written now, not at the end of the producer's turn: the consumer can
      // take it while the producer makes the next one. So for small windows too: leaving a
      // window of 4, 16 or 32 to the end of the turn instead was slower (docs/internals.md).
      this.flush();
      this.peer.channel.flush();
    } else if (!this.flushScheduled) {
      // The first flush of a turn goes out at the end of the current microtask burst (lowest
      // latency for request/response). A producer paced by microtasks (an async generator)
      // would then send one item per message; its later items wait for the turn to end instead.
      this.flushScheduled = true;
      if (this.flushedThisTurn) setImmediate(this.flushSoon);
      else queueMicrotask(this.flushSoon);
    }
    yield* this.peer.channel.drain();
  }

  /**
   * Send the items queued by `send` now. On a connection that is gone they have nobody to go to:
   * the dialog fails on both sides with the broken connection (and `send` throws it).
   */
  flush(): void {
    if (this.outbound.length === 0) return;
    let values = this.outbound;
    this.outbound = [];
    if (this.peer.connected) this.peer.post({ type: 'yield', cid: this.cid, values });
  }

  private flushSoon = (): void => {
    this.flushScheduled = false;
    this.flush();
    if (!this.flushedThisTurn) {
      this.flushedThisTurn = true;
      setImmediate(() => (this.flushedThisTurn = false));
    }
  };

  next(): Operation<IteratorResult<Recv, TClose>> {
    return this.inbox.next();
  }

  *close(): Operation<void> {
    if (this.localClosed) return;
    this.localClosed = true;
    this.flush();
    // Closing a stream whose connection is gone is a no-op: the other side has already stopped.
    if (this.peer.connected) this.peer.post({ type: 'close', cid: this.cid });
  }

  /** Items from the other side. More than it was granted is a protocol error. */
  deliver(values: unknown[]): void {
    if (this.inbox.length + values.length > this.window) {
      this.fail(new ProtocolError(`stream ${this.cid}: the peer sent more than the ${this.window} messages it was granted`));
      return;
    }
    for (let value of values) this.inbox.push(value as Recv);
  }

  /** The other side may send `n` more. */
  grant(n: number): void {
    // The first grant is the other side's whole window (`open`).
    if (!this.granted) {
      this.granted = true;
      this.batch = batchFor(n);
    }
    this.credits += n;
    this.wake();
  }

  /** The other side will send nothing more. */
  remoteClosed(value?: TClose): void {
    this.inbox.end(value);
  }

  /** This side will send nothing more (the dialog ended); what already arrived may still be read. */
  endSending(reason: Error): void {
    this.sendingEnded ??= reason;
    this.wake();
  }

  /** The dialog failed: pending and later operations on both directions throw `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    this.inbox.fail(error);
    this.wake();
  }

  /** The stream as its user sees it. */
  view(): MsgStream<Send, Recv> {
    let stream = this as unknown as DialogStream<Send, Recv, void>;
    let view: MsgStream<Send, Recv> = {
      send: (value) => stream.send(value),
      next: () => stream.next(),
      close: () => stream.close(),
      broadcast: () => broadcast(view, stream.window || DEFAULT_WINDOW),
      *[Symbol.iterator]() {
        return view;
      },
    };
    return view;
  }

  private checkSend(): void {
    if (this.failure) throw this.failure;
    if (this.localClosed) throw new Error('send() on a stream this side has closed');
    if (this.sendingEnded) throw this.sendingEnded;
  }

  private consumed(): void {
    if (this.window === 0) return;
    this.unreturned++;
    if (this.unreturned >= batchFor(this.window)) {
      // Credits for a sender that is gone are moot; what it sent before may still be read.
      // Written now, not once the consumer's turn ends: a consumer draining a backlog would
      // otherwise hold every credit until it is idle, and producer and consumer take turns.
      if (this.peer.connected) {
        this.peer.post({ type: 'credit', cid: this.cid, n: this.unreturned });
        this.peer.channel.flush();
      }
      this.unreturned = 0;
    }
  }

  private wake(): void {
    let waiters = this.creditWaiters;
    this.creditWaiters = [];
    for (let waiter of waiters) waiter();
  }
}
