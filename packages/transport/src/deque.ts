/**
 * A FIFO queue with O(1) push and shift, backed by a growable ring buffer. Effection's own
 * queues `unshift` on every add, which is O(backlog); inboxes and stream windows use this.
 *
 * @example
 * ```ts
 * let queue = new Deque<number>();
 * queue.push(1);
 * queue.push(2);
 * queue.shift(); // 1
 * ```
 */
export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    this.items = new Array(Math.max(2, 1 << Math.ceil(Math.log2(initialCapacity))));
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    let item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }


  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    let old = this.items;
    let next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
