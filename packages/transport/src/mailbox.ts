import { action, type Operation, type Subscription } from 'effection';
import { Deque } from './deque.ts';

type Reader<T, TClose> = { resolve(result: IteratorResult<T, TClose>): void; reject(error: Error): void };

/**
 * A queue that is an effection `Subscription`. `next()` returns at once while items are queued
 * (no suspension, so draining a backlog costs no scheduling), and suspends only when empty.
 * Readers share it: each item goes to one reader, the longest waiting first, so several tasks
 * can take work from one mailbox. Items can carry a size, summed in `bytes`, for high-water
 * accounting. After `end(value)` every reader gets `{ done: true, value }` once the queue is
 * drained; after `fail(error)` they get the remaining items, then the error.
 *
 * @example
 * ```ts
 * let mailbox = new Mailbox<string>();
 * mailbox.push('one');
 * mailbox.end();
 * yield* mailbox.next(); // { done: false, value: 'one' }
 * yield* mailbox.next(); // { done: true, value: undefined }
 * ```
 */
export class Mailbox<T, TClose = void> implements Subscription<T, TClose> {
  /** Sum of the sizes of the queued items. */
  bytes = 0;
  private items = new Deque<T>();
  private sizes = new Deque<number>();
  /** The reader waiting longest; a field of its own, because one reader is the common case. */
  private reader: Reader<T, TClose> | undefined;
  /** Readers that came while `reader` was already waiting, in order. */
  private readers: Reader<T, TClose>[] = [];
  private ended = false;
  private closeValue: TClose | undefined;
  private errorSeen = false;
  private error: Error | undefined;
  private holds = 0;

  /** @param onTaken called after each item is handed to a reader, to resume a paused producer. */
  constructor(private onTaken?: () => void) {}

  get length(): number {
    return this.items.length;
  }

  get finished(): boolean {
    return this.ended || this.error !== undefined;
  }

  /** Whether a reader has been given the error passed to `fail`. */
  get failureSeen(): boolean {
    return this.errorSeen;
  }

  /**
   * Queue items without waking readers until `release`. A channel holds its inbox while it
   * decodes a chunk, so a reader wakes once per chunk and then drains the queue without
   * suspending, instead of suspending and resuming once per message.
   */
  hold(): void {
    this.holds++;
  }

  release(): void {
    if (--this.holds > 0) return;
    while (this.reader && this.items.length > 0) {
      let reader = this.takeReader()!;
      let value = this.items.shift()!;
      this.bytes -= this.sizes.shift()!;
      reader.resolve({ done: false, value });
      this.onTaken?.();
    }
    if (this.finished) this.wakeAtEnd();
  }

  push(item: T, size = 0): void {
    if (this.finished) return;
    if (this.reader && this.holds === 0) {
      this.takeReader()!.resolve({ done: false, value: item });
      this.onTaken?.();
      return;
    }
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
  }

  end(value?: TClose): void {
    if (this.finished) return;
    this.ended = true;
    this.closeValue = value;
    this.wakeAtEnd();
  }

  fail(error: Error): void {
    if (this.finished) return;
    this.error = error;
    this.wakeAtEnd();
  }

  *next(): Operation<IteratorResult<T, TClose>> {
    if (this.items.length > 0) {
      let value = this.items.shift()!;
      this.bytes -= this.sizes.shift()!;
      this.onTaken?.();
      return { done: false, value };
    }
    if (this.error) {
      this.errorSeen = true;
      throw this.error;
    }
    if (this.ended) return this.done();
    return yield* action<IteratorResult<T, TClose>>((resolve, reject) => {
      let reader = { resolve, reject };
      if (this.reader) this.readers.push(reader);
      else this.reader = reader;
      return () => {
        if (this.reader === reader) this.takeReader();
        else this.readers = this.readers.filter((other) => other !== reader);
      };
    });
  }

  /** Drop everything queued (on teardown, so queued items can be garbage collected). */
  clear(): void {
    this.items.clear();
    this.sizes.clear();
    this.bytes = 0;
  }

  /** The longest-waiting reader, no longer waiting. */
  private takeReader(): Reader<T, TClose> | undefined {
    let reader = this.reader;
    this.reader = this.readers.length > 0 ? this.readers.shift() : undefined;
    return reader;
  }

  private wakeAtEnd(): void {
    if (this.holds > 0 || this.items.length > 0) return;
    while (this.reader) {
      let reader = this.takeReader()!;
      if (this.error) {
        this.errorSeen = true;
        reader.reject(this.error);
      } else {
        reader.resolve(this.done());
      }
    }
  }

  private done(): IteratorResult<T, TClose> {
    return { done: true, value: this.closeValue as TClose };
  }
}
