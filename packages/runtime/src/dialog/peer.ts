import { ProtocolError, TransportError, assertEncodable, type Channel } from '@harrow/transport';
import { action, type Operation } from 'effection';
import type { Actor } from '../actor/actor.ts';
import type { ActorRef } from '../base/errors.ts';
import { parseMessage, type ActorMessage, type CallKind, type DialogMessage, type Message } from './protocol.ts';
import { markOf } from '../base/remote.ts';

/** Calls from other actors this actor (process or thread) is serving, over all its connections. */
let served = 0;

/**
 * How many calls from other actors this actor is serving now (`harrow ps`): each served dialog
 * from its registration to its end. A synchronous function's call ends before it is ever
 * registered, and is not counted.
 */
export function callsInFlight(): number {
  return served;
}

/** One call and everything it leads to, as seen by one side. */
export interface Dialog {
  receive(message: DialogMessage): void;
  /** The connection is gone; `error` says why (a `BrokenActorError` when the actor died). */
  broken(error: Error): void;
}

/** Handles an incoming call; provided by the serving side (see serve.ts). */
export type CallHandler = (peer: Peer, message: Extract<Message, { type: 'call' }>) => void;

export interface PeerOptions {
  /** The actor on this side. */
  actor: Actor;
  /** Call ids this side allocates: the spawner's are even, the spawned side's odd. */
  parity: 0 | 1;
  /** Serve calls from the other side with this handler; without it, a call is a protocol error. */
  serve?: CallHandler;
  /** Actor-level messages (the spawn handshake, cancel requests); without it they are protocol errors. */
  control?: (message: ActorMessage) => void;
}

/**
 * A connection to another actor, multiplexing any number of dialogs over one channel. Incoming
 * messages are dispatched synchronously to their dialog, so no dialog can hold up another:
 * each dialog's own buffering is bounded by its flow control, not by this loop.
 */
export class Peer {
  /** The actor on the other side, once known. */
  remote: ActorRef | undefined;
  readonly actor: Actor;
  private dialogs = new Map<number, Dialog>();
  private nextCid: number;
  private serve: CallHandler | undefined;
  private control: ((message: ActorMessage) => void) | undefined;
  /** Set once the connection is gone; new calls fail with it. */
  private brokenWith: Error | undefined;
  /** Since when the other side owes a confirmation of a cancellation (see `awaitCancelConfirmation`). */
  private unconfirmedSince: number | undefined;
  private confirmationsAwaited = 0;
  private brokenListeners: (() => void)[] = [];
  /** Set by `detach`: `run` stops reading, and the connection is someone else's. */
  detached = false;
  /**
   * Set when `run` stopped before the connection ended (its scope was halted, or it was
   * detached): then nobody will `break` this peer on the connection's end.
   */
  private unread = false;

  constructor(readonly channel: Channel, options: PeerOptions) {
    this.actor = options.actor;
    this.nextCid = options.parity === 0 ? 2 : 1;
    this.serve = options.serve;
    this.control = options.control;
  }

  /**
   * Read and dispatch messages until the connection ends. Returns the error it ended with: a
   * `TransportError`/`ProtocolError`, or `undefined` for a clean close. The owner then decides
   * what the in-flight dialogs are told (see `break`).
   */
  *run(): Operation<Error | undefined> {
    let ended = false;
    try {
      let inbox = yield* this.channel.messages;
      while (true) {
        let next = yield* inbox.next();
        if (next.done) return ((ended = true), undefined);
        this.dispatch(next.value);
        if (this.detached) return undefined;
      }
    } catch (error) {
      ended = true;
      this.channel.destroy();
      return error instanceof Error ? error : new TransportError(String(error));
    } finally {
      if (!ended) this.unread = true;
    }
  }

  /**
   * `run`, then `break` this peer with why the connection ended: the error it ended with, or
   * `closed()` for a clean close, each as `reason` makes it. A detached peer is left alone: its
   * connection has a new owner. Every reader but a child's own channel (whose outcome waits for
   * the child's exit: nursery/child-actor.ts) reads this way, so a call deferred while the
   * connection was ending is always settled.
   */
  *runUntilBroken(closed: () => Error, reason: (why: Error) => Error = (why) => why): Operation<void> {
    let error = yield* this.run();
    if (!this.detached) this.break(reason(error ?? closed()));
  }

  private dispatch(value: unknown): void {
    let message = parseMessage(value);
    // The other side is running: a wait that ran out earlier no longer counts against it.
    if (this.confirmationsAwaited === 0) this.unconfirmedSince = undefined;
    if (!('cid' in message)) {
      if (!this.control) throw new ProtocolError(`unexpected ${message.type} message from ${this.channel.peer}`);
      this.control(message);
      return;
    }
    if (message.type === 'call') {
      if (!this.serve) throw new ProtocolError(`unexpected call from ${this.channel.peer}`);
      this.serve(this, message);
      return;
    }
    // Messages for a dialog that already ended (a reply racing a cancellation) are dropped.
    this.dialogs.get(message.cid)?.receive(message);
  }

  /**
   * Start a call: encode and send it at once, register `dialog` under its id, and return the
   * id. A value the codec cannot carry is a `TypeError` naming it (`args[1].cb is a function`),
   * thrown before anything is sent. A call to a side that has gone is settled by `break`.
   */
  call(fn: Function, args: unknown[], kind: CallKind, dialog: (cid: number) => Dialog): number {
    if (this.brokenWith) throw this.brokenWith;
    if (!Array.isArray(args)) throw new TypeError('arguments must be an array');
    let mark = markOf(fn);
    let cid = this.nextCid;
    // The other side has ended the connection, but its owner has not yet said why (a child's
    // outcome waits for its exit status): the call fails with that reason once `break` gives
    // it, as the calls already in flight do, not with a bare "channel is closed".
    if (!this.channel.peerGone || this.unread) {
      this.post({ type: 'call', cid, kind, module: mark?.module ?? null, fn: mark?.name ?? (fn.name || '<anonymous>'), args });
    } else {
      assertEncodable(args, 'args');
    }
    this.nextCid += 2;
    this.dialogs.set(cid, dialog(cid));
    return cid;
  }

  /**
   * Stop reading this connection after the message being dispatched, leaving the rest of its
   * messages to a new owner (an actor on another host dialled back over it: see serve.ts).
   */
  detach(): void {
    this.detached = true;
  }

  register(cid: number, dialog: Dialog): void {
    if (this.serving(cid) && !this.dialogs.has(cid)) served++;
    this.dialogs.set(cid, dialog);
  }

  unregister(cid: number): void {
    if (this.dialogs.delete(cid) && this.serving(cid)) served--;
  }

  /** Whether `cid` is a call from the other side (numbered with its parity), which this side serves. */
  private serving(cid: number): boolean {
    return cid % 2 !== this.nextCid % 2;
  }

  /** Whether messages can still be sent: the other side has not gone, and this side has not closed the connection. */
  get connected(): boolean {
    return !this.brokenWith && !this.channel.closed;
  }

  /**
   * Send a message of a dialog or of the actor now. A connection that is gone is a
   * `TransportError` saying why, never a silent drop: where a message is moot once the other
   * side is gone (a cancel request, a credit), the caller checks `connected` first and says so.
   * A value the codec cannot carry is its `TypeError`.
   */
  post(message: Message): void {
    if (this.brokenWith) {
      throw new TransportError(`cannot send ${message.type} to ${this.describeRemote()}: ${this.brokenWith.message}`, { cause: this.brokenWith });
    }
    if (this.channel.closed) {
      let why = this.channel.peerGone ? (this.channel.failure?.message ?? 'it has ended the connection') : 'this side has closed the connection';
      throw new TransportError(`cannot send ${message.type} to ${this.describeRemote()}: ${why}`, { cause: this.channel.failure });
    }
    this.channel.post(message);
  }

  /**
   * Send the answer of a served call. If the caller's side is gone (it ended the connection, or
   * the connection failed, even before this side has noticed) there is nobody to tell. If this
   * side has closed the connection with the call still unanswered, the answer is lost: that is
   * reported as this actor's failure (its parent hears of it), never dropped in silence.
   */
  answer(message: DialogMessage): void {
    if (this.brokenWith || this.channel.peerGone) return;
    if (this.channel.closed) {
      this.actor.reportFailure(new TransportError(`actor '${this.actor.name}' closed its connection to ${this.describeRemote()} before answering call ${message.cid} (${message.type})`));
      return;
    }
    this.channel.post(message);
  }

  private describeRemote(): string {
    return this.remote ? `actor '${this.remote.name}' (${this.remote.uid})` : this.channel.peer;
  }

  /** Send, waiting while the connection is full (stream data). */
  *send(message: Message): Operation<void> {
    if (this.brokenWith) throw this.brokenWith;
    yield* this.channel.send(message);
  }

  /**
   * Wait for the other side to confirm a cancellation asked of it (a dialog cancelled as its
   * scope ends, or the actor itself: its cancel ladder), for at most `timeout` ms: `wait(ms)`
   * waits for the confirmation or the time, `confirmed()` tells which it was. The waits of one
   * teardown share one clock, started by the first: waits made one after another (each open
   * dialog's, then the ladder's) add up to one `timeout`, not one each, so that an actor that
   * answers nothing (stopped, wedged) is escalated within API.md §5's bound. The clock stops
   * once the other side has confirmed everything asked of it, or is heard from again.
   */
  *awaitCancelConfirmation(timeout: number, wait: (ms: number) => Operation<unknown>, confirmed: () => boolean): Operation<void> {
    let now = Date.now();
    this.unconfirmedSince ??= now;
    this.confirmationsAwaited++;
    try {
      yield* wait(Math.max(0, this.unconfirmedSince + timeout - now));
    } finally {
      this.confirmationsAwaited--;
      if (confirmed() && this.confirmationsAwaited === 0) this.unconfirmedSince = undefined;
    }
  }

  /** The connection is gone: fail every dialog with `error` and refuse new calls. */
  break(error: Error): void {
    if (this.brokenWith) return;
    this.brokenWith = error;
    let dialogs = [...this.dialogs.values()];
    for (let cid of this.dialogs.keys()) if (this.serving(cid)) served--;
    this.dialogs.clear();
    for (let dialog of dialogs) dialog.broken(error);
    let listeners = this.brokenListeners;
    this.brokenListeners = [];
    for (let listener of listeners) listener();
  }

  /** Wait until the connection is gone (see `break`). */
  *gone(): Operation<void> {
    if (this.brokenWith) return;
    yield* action<void>((resolve) => {
      this.brokenListeners.push(resolve);
      return () => {
        this.brokenListeners = this.brokenListeners.filter((listener) => listener !== resolve);
      };
    });
  }
}
