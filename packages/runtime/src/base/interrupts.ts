/*
 * SIGINT and SIGTERM as the root process's parts see them. effection's `main` turns the first
 * one into a halt of its body, and that is how a tree is cancelled; but what is already in
 * teardown (a nursery waiting for its `runInActor` children, a halted `runSync` call waiting for
 * its worker) does not feel a halt, and `main` stops listening once its body has returned. So
 * those parts subscribe here: the first signal asks them to hurry (cancel what they wait for,
 * say what they still wait for), the second to stop at once (kill).
 *
 * This never changes what a signal does to a program: the process's listeners are added only
 * where the program already handles that signal itself (a program that is meant to die on
 * Ctrl-C still dies, and its children go through their lifelines and the sentinel). Once the
 * second signal has been dealt with, the listeners go, so that a third is the program's again
 * (or Node's: it ends the process).
 */

/** What a subscriber is told: the signal, and how many of SIGINT/SIGTERM this process has had (1, 2). */
export type InterruptListener = (signal: 'SIGINT' | 'SIGTERM', count: number) => void;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

let listeners = new Set<InterruptListener>();
let count = 0;
let last: 'SIGINT' | 'SIGTERM' | undefined;
let installed: ('SIGINT' | 'SIGTERM')[] = [];

function received(signal: 'SIGINT' | 'SIGTERM'): void {
  count++;
  last = signal;
  for (let listener of [...listeners]) listener(signal, count);
  if (count >= 2) uninstall();
}

function install(): void {
  for (let signal of SIGNALS) {
    if (installed.includes(signal) || process.listenerCount(signal) === 0) continue;
    process.on(signal, received);
    installed.push(signal);
  }
}

function uninstall(): void {
  for (let signal of installed) process.off(signal, received);
  installed = [];
}

/**
 * Call `listener` for each SIGINT or SIGTERM this process receives from now on, while the
 * program handles that signal (see above). Returns the unsubscribe function.
 */
export function onInterrupt(listener: InterruptListener): () => void {
  listeners.add(listener);
  if (count < 2) install();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) uninstall();
  };
}

/** How many of SIGINT/SIGTERM this process has received while anything was subscribed. */
export function interruptCount(): number {
  return count;
}

/** The last of SIGINT/SIGTERM this process received while anything was subscribed. */
export function lastInterrupt(): 'SIGINT' | 'SIGTERM' | undefined {
  return last;
}
