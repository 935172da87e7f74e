import { action, type Operation, type Stream, type Subscription } from 'effection';
import { encodeScratch } from './codec.ts';
import { ProtocolError, TransportError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, HEADER_BYTES, frameHeader } from './framing.ts';
import { Mailbox } from './mailbox.ts';
import type { Wire } from './wire.ts';

/**
 * One connection to a peer, the same over every carrier: messages out with `send`, messages in
 * as an effection `Stream`, and `close`.
 *
 * Incoming messages end (`done`) when the peer closes the connection cleanly between frames.
 * A connection that breaks, or a peer that sends bytes that are not frames of msgpack, fails the
 * channel: `next()` throws the `TransportError` or `ProtocolError` (after every message that
 * arrived intact before it), `send` throws it, and the connection is closed. Nothing is thrown
 * anywhere else.
 */
export interface Channel {
  /** The other end, for messages: an address where the carrier has one. */
  readonly peer: string;
  /**
   * Send one message. Encodes it at once (a value the codec cannot carry is a `TypeError`
   * naming its path, and nothing is written), then suspends only while the carrier is full, so
   * a fast sender is held to the pace of the connection instead of buffering without bound.
   */
  send(message: unknown): Operation<void>;
  /** Suspends while the carrier is full (returns at once when it is not). */
  drain(): Operation<void>;
  /**
   * Queue one message without waiting for the carrier to drain. For control messages whose
   * number is bounded by the protocol above (replies, credits, cancellations); bulk data goes
   * through `send`. Throws like `send` does.
   */
  post(message: unknown): void;
  /**
   * Incoming messages. A channel has one inbox: every subscription reads from it, so two
   * subscribers share the messages rather than each getting all of them.
   */
  readonly messages: Stream<unknown, void>;
  /**
   * Hand every queued message to the carrier now, instead of at the end of this tick, so it
   * leaves even if the process or thread ends right after (`process.exit`).
   */
  flush(): void;
  /** Send what is queued, close gracefully, and wait (up to `closeTimeout`) until closed. */
  close(): Operation<void>;
  /** Close at once, dropping anything not yet sent. */
  destroy(): void;
  /** True once the channel can send nothing more (closed by either side, or failed). */
  readonly closed: boolean;
  /** True once the other side has ended the connection, or it failed: whatever is sent now would not be read. */
  readonly peerGone: boolean;
  /** Why the channel failed, if it did. */
  readonly failure: Error | undefined;
}

/** Tuning shared by every carrier. */
export interface ChannelOptions {
  /** Largest frame body accepted or sent, in bytes. Default 64 MiB. */
  maxFrameBytes?: number;
  /**
   * Bytes of received but unconsumed messages at which the channel stops reading from the
   * carrier, so a slow consumer slows its peer instead of growing this process. Default 1 MiB.
   */
  inboxHighWaterBytes?: number;
  /** How long `close()` waits for the peer to finish closing before dropping the connection. Default 1000 ms. */
  closeTimeout?: number;
}

/** Frames queued in one tick leave together in one write, or sooner once this many bytes pile up. */
const BATCH_BYTES = 64 * 1024;

/** Bodies this large are written as header + body of their own, not copied into a batch. */
const LARGE_BODY_BYTES = 64 * 1024;

/** A batch this small is copied out on flush, so its (large) buffer can be reused. */
const SMALL_FLUSH_BYTES = 4 * 1024;

/** Room for a full batch plus one more frame that is not large. */
const BATCH_CAPACITY = BATCH_BYTES + LARGE_BODY_BYTES + HEADER_BYTES;

/** A channel allocates its batch buffer when it first sends. */
const NO_BATCH = Buffer.alloc(0);

/**
 * Build a channel over a wire. The caller owns the channel and must close or destroy it.
 *
 * @example
 * ```ts
 * let channel = createChannel(socketWire(socket, 'peer'));
 * channel.post({ hello: 'world' });
 * yield* channel.close();
 * ```
 */
export function createChannel(wire: Wire, options: ChannelOptions = {}): Channel {
  return new WireChannel(wire, options);
}

type Waiter<T> = { resolve(value: T): void; reject(error: Error): void };

class WireChannel implements Channel {
  readonly peer: string;
  readonly messages: Stream<unknown, void>;
  failure: Error | undefined;

  private decoder: FrameDecoder;
  private maxFrameBytes: number;
  private highWater: number;
  private closeTimeout: number;

  private inbox: Mailbox<unknown> = new Mailbox(() => this.taken());
  private paused = false;
  private peerEnded = false;

  /** Frames waiting for the next flush, written straight into one buffer. */
  private batch = NO_BATCH;
  private batched = 0;
  private flushScheduled = false;
  private writable = true;
  private drainWaiters: Waiter<void>[] = [];

  private ending = false;
  private isClosed = false;
  private closeWaiters: (() => void)[] = [];

  constructor(private wire: Wire, options: ChannelOptions) {
    this.peer = wire.peer;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.highWater = options.inboxHighWaterBytes ?? 1024 * 1024;
    this.closeTimeout = options.closeTimeout ?? 1000;
    this.decoder = new FrameDecoder(this.maxFrameBytes);
    let inbox: Subscription<unknown, void> = this.inbox;
    this.messages = { *[Symbol.iterator]() { return inbox; } };
    wire.attach({
      data: (chunk) => this.receive(chunk),
      drain: () => this.drained(),
      end: () => this.peerClosed(),
      error: (error) => this.fail(new TransportError(`connection to ${this.peer} failed: ${error.message}`, { cause: error })),
      close: () => this.wireClosed(),
    });
  }

  get peerGone(): boolean {
    return this.peerEnded || this.failure !== undefined;
  }

  get closed(): boolean {
    // `peerEnded` too: `post` refuses once the peer has ended, which a socket reports ('end')
    // before it has fully closed ('close').
    return this.ending || this.isClosed || this.peerEnded || this.failure !== undefined;
  }

  // ── receiving ────────────────────────────────────────────────────────────────────────────

  private receive(chunk: Uint8Array): void {
    if (this.failure) return;
    this.inbox.hold();
    try {
      this.decoder.push(chunk, this.deliver);
    } catch (error) {
      this.fail(error instanceof ProtocolError ? error : new ProtocolError(String(error)));
    } finally {
      this.inbox.release();
    }
  }

  private deliver = (message: unknown, size: number): void => {
    this.inbox.push(message, size);
    if (!this.paused && this.inbox.bytes >= this.highWater) {
      this.paused = true;
      this.wire.pause();
    }
  };

  private taken(): void {
    if (this.paused && this.inbox.bytes <= this.highWater / 2) {
      this.paused = false;
      this.wire.resume();
    }
  }

  private peerClosed(): void {
    if (this.decoder.midFrame) {
      this.fail(new TransportError(`connection to ${this.peer} closed in the middle of a frame`));
      return;
    }
    this.peerEnded = true;
    this.inbox.end();
  }

  // ── sending ──────────────────────────────────────────────────────────────────────────────

  *send(message: unknown): Operation<void> {
    this.post(message);
    if (!this.writable) yield* this.waitForDrain();
  }

  post(message: unknown): void {
    if (this.failure) throw this.failure;
    if (this.ending || this.isClosed || this.peerEnded) throw new TransportError(`channel to ${this.peer} is closed`);
    let body = encodeScratch(message);
    let length = body.end - body.start;
    if (length > this.maxFrameBytes) {
      throw new ProtocolError(`message of ${length} bytes exceeds the maximum frame of ${this.maxFrameBytes} bytes`);
    }
    if (length >= LARGE_BODY_BYTES) {
      this.flush();
      let own = Buffer.allocUnsafeSlow(length);
      body.copy(own, 0, body.start, body.end);
      this.write(frameHeader(length));
      this.write(own);
      return;
    }
    if (this.batch === NO_BATCH) this.batch = Buffer.allocUnsafeSlow(BATCH_CAPACITY);
    this.batch.writeUInt32BE(length, this.batched);
    body.copy(this.batch, this.batched + HEADER_BYTES, body.start, body.end);
    this.batched += HEADER_BYTES + length;
    if (this.batched >= BATCH_BYTES) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushSoon);
    }
  }

  private flushSoon = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  flush(): void {
    let bytes = this.batched;
    if (bytes === 0 || this.failure || this.isClosed) return;
    this.batched = 0;
    if (bytes <= SMALL_FLUSH_BYTES) {
      let out = Buffer.allocUnsafe(bytes);
      this.batch.copy(out, 0, 0, bytes);
      this.write(out);
    } else {
      // The carrier keeps the buffer until it is written; start a new one.
      let out = this.batch.subarray(0, bytes);
      this.batch = Buffer.allocUnsafeSlow(BATCH_CAPACITY);
      this.write(out);
    }
  }

  private write(bytes: Uint8Array): void {
    if (!this.wire.write(bytes)) this.writable = false;
  }

  *drain(): Operation<void> {
    if (!this.writable) yield* this.waitForDrain();
  }

  private waitForDrain(): Operation<void> {
    return action<void>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
      } else if (this.writable) {
        resolve();
      } else {
        this.drainWaiters.push({ resolve, reject });
      }
      return () => {
        this.drainWaiters = this.drainWaiters.filter((waiter) => waiter.resolve !== resolve);
      };
    });
  }

  private drained(): void {
    this.writable = true;
    let waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (let waiter of waiters) waiter.resolve();
  }

  // ── closing ──────────────────────────────────────────────────────────────────────────────

  *close(): Operation<void> {
    if (!this.isClosed && !this.ending) {
      this.flush();
      this.ending = true;
      this.wire.end();
    }
    if (this.isClosed) return;
    yield* action<void>((resolve) => {
      if (this.isClosed) {
        resolve();
        return () => {};
      }
      this.closeWaiters.push(resolve);
      let timer = setTimeout(() => this.destroy(), this.closeTimeout);
      return () => {
        clearTimeout(timer);
        this.closeWaiters = this.closeWaiters.filter((waiter) => waiter !== resolve);
      };
    });
  }

  destroy(): void {
    if (this.isClosed) return;
    this.ending = true;
    this.batched = 0;
    this.wire.destroy();
    this.wireClosed();
  }

  private fail(error: Error): void {
    if (this.failure || this.isClosed) return;
    this.failure = error;
    this.batched = 0;
    this.wire.destroy();
    let waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (let waiter of waiters) waiter.reject(error);
    this.inbox.fail(error);
    this.wireClosed();
  }

  private wireClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (!this.failure && this.decoder.midFrame) {
      this.failure = new TransportError(`connection to ${this.peer} closed in the middle of a frame`);
    }
    let drainWaiters = this.drainWaiters;
    this.drainWaiters = [];
    let closedError = this.failure ?? new TransportError(`channel to ${this.peer} is closed`);
    for (let waiter of drainWaiters) waiter.reject(closedError);
    if (this.failure) this.inbox.fail(this.failure);
    else this.inbox.end();
    let closeWaiters = this.closeWaiters;
    this.closeWaiters = [];
    for (let resolve of closeWaiters) resolve();
  }
}
