import { Mailbox } from '@harrow/transport';
import { action, resource, type Operation, type Stream, type Subscription } from 'effection';

/**
 * Many local subscribers over one source (API.md §3, `stream.broadcast()`). There is no pump
 * task: whichever subscriber needs the next message and finds nobody else fetching it pulls it
 * from the source and hands it to every subscriber. A pull first waits until every subscriber
 * holds fewer than `window` messages, so the slowest subscriber sets the pace, memory stays
 * bounded, and the source's own flow control slows the producer.
 */
export function broadcast<T>(source: Subscription<T, void>, window: number): Stream<T, void> {
  let hub = hubs.get(source) as Hub<T> | undefined;
  if (!hub) hubs.set(source, (hub = new Hub(source, window)));
  let shared = hub;
  return resource(function* (provide) {
    let inbox = shared.join();
    try {
      yield* provide({ next: () => shared.next(inbox) });
    } finally {
      shared.leave(inbox);
    }
  });
}

const hubs = new WeakMap<Subscription<unknown, void>, Hub<unknown>>();

class Hub<T> {
  private subscribers = new Set<Mailbox<T>>();
  private pulling = false;
  private ended: { error?: Error } | undefined;
  /** Subscribers waiting for a message or for the pull to become free; the puller waiting for room. */
  private waiters = new Set<() => void>();

  constructor(private source: Subscription<T, void>, private window: number) {}

  join(): Mailbox<T> {
    let inbox = new Mailbox<T>(() => this.notify());
    if (this.ended?.error) inbox.fail(this.ended.error);
    else if (this.ended) inbox.end();
    this.subscribers.add(inbox);
    return inbox;
  }

  leave(inbox: Mailbox<T>): void {
    this.subscribers.delete(inbox);
    inbox.clear();
    this.notify();
  }

  *next(inbox: Mailbox<T>): Operation<IteratorResult<T, void>> {
    while (inbox.length === 0 && !inbox.finished) {
      if (this.pulling) yield* this.wait(() => inbox.length > 0 || inbox.finished || !this.pulling);
      else yield* this.pull();
    }
    return yield* inbox.next();
  }

  private *pull(): Operation<void> {
    this.pulling = true;
    try {
      yield* this.wait(() => [...this.subscribers].every((inbox) => inbox.length < this.window));
      let next = yield* this.source.next();
      if (next.done) this.finish({});
      else for (let inbox of this.subscribers) inbox.push(next.value);
    } catch (error) {
      this.finish({ error: error as Error });
    } finally {
      this.pulling = false;
      this.notify();
    }
  }

  private finish(ended: { error?: Error }): void {
    this.ended = ended;
    for (let inbox of this.subscribers) {
      if (ended.error) inbox.fail(ended.error);
      else inbox.end();
    }
  }

  private *wait(ready: () => boolean): Operation<void> {
    while (!ready()) {
      yield* action<void>((resolve) => {
        this.waiters.add(resolve);
        return () => this.waiters.delete(resolve);
      });
    }
  }

  private notify(): void {
    let waiters = [...this.waiters];
    this.waiters.clear();
    for (let waiter of waiters) waiter();
  }
}
