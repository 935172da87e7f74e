import { availableParallelism } from 'node:os';
import type { Operation } from 'effection';
import { Limiter } from '../base/limiter.ts';

/**
 * How many children of this process may be booting at once. A Node start-up is CPU-bound
 * (~250 ms with TypeScript support here): fifty started together on two cores each take
 * seconds and all run past their boot timeout, while started a few at a time they all come up
 * in about the same total time. Queued spawns wait here; a child's boot timeout starts when it
 * actually starts.
 */
const slots = new Limiter(Math.max(2, availableParallelism()));

/** Wait for a boot slot; returns the function that gives it back (once, however often it is called). */
export function* bootSlot(): Operation<() => void> {
  yield* slots.acquire();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    slots.release();
  };
}
