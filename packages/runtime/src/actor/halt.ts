import type { Task } from 'effection';

/**
 * Start halting `task` from plain JavaScript (a signal handler) without waiting for it. An
 * effection halt is lazy: `task.halt()` does nothing until it is awaited or yielded to, so a
 * bare `void task.halt()` would never stop the task. (Calls halted for their callers go through
 * `Actor.haltCall`, which also keeps track of them.)
 */
export function haltSoon(task: Task<unknown>): void {
  task.halt().then(
    () => {},
    () => {},
  );
}
