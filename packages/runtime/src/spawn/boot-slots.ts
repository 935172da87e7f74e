import { availableParallelism } from 'node:os';
import { action, type Operation } from 'effection';

/**
 * How many children of this process may be booting at once. A Node start-up is CPU-bound
 * (~250 ms with TypeScript support here): fifty started together on two cores each take
 * seconds and all run past their boot timeout, while started a few at a time they all come up
 * in about the same total time. Queued spawns wait here; a child's boot timeout starts when it
 * actually starts.
 */
const SLOTS = Math.max(2, availableParallelism());

let booting = 0;
const waiting: (() => void)[] = [];

/** Wait for a boot slot; returns the function that gives it back. */
export function* bootSlot(): Operation<() => void> {
  if (booting >= SLOTS) {
    let granted = false;
    let taken = false;
    try {
      yield* action<void>((resolve) => {
        let wake = () => {
          granted = true;
          resolve();
        };
        waiting.push(wake);
        return () => {
          let at = waiting.indexOf(wake);
          if (at >= 0) waiting.splice(at, 1);
        };
      });
      taken = true;
    } finally {
      // Halted after a slot was handed to us but before we resumed: pass it on, or it is lost.
      if (granted && !taken) giveBack();
    }
  } else {
    booting++;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    giveBack();
  };
}

function giveBack(): void {
  let next = waiting.shift();
  // The slot passes straight to the next waiter, so `booting` stays as it is.
  if (next) next();
  else booting--;
}
