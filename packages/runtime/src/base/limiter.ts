import { action, type Operation } from 'effection';

/**
 * At most `total` holders at once; the others wait in line (FIFO). Used for the runSync pool's
 * `limit` (a call holds its slot until its reply is in, which is the pool's backpressure) and for
 * the boot slots of spawned children.
 */
export class Limiter {
  private borrowed = 0;
  private waiting = new Set<() => void>();

  constructor(readonly total: number) {}

  /** Take a slot if one is free and nobody is waiting for one; give it back with `release`. */
  tryAcquire(): boolean {
    if (this.borrowed >= this.total || this.waiting.size > 0) return false;
    this.borrowed++;
    return true;
  }

  /** Wait for a slot; give it back with `release`. */
  *acquire(): Operation<void> {
    if (this.tryAcquire()) return;
    let granted = false;
    let taken = false;
    try {
      yield* action<void>((resolve) => {
        let wake = () => {
          granted = true;
          resolve();
        };
        this.waiting.add(wake);
        return () => this.waiting.delete(wake);
      });
      taken = true;
    } finally {
      // Halted after `release` handed us the slot but before we resumed: pass it on.
      if (granted && !taken) this.release();
    }
  }

  release(): void {
    let next = this.waiting.values().next();
    if (next.done) {
      this.borrowed--;
    } else {
      // The slot passes straight to the next in line, so `borrowed` stays as it is.
      this.waiting.delete(next.value);
      next.value();
    }
  }
}
