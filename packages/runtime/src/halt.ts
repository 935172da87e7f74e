import type { Task } from 'effection';

/**
 * Start halting `task` from plain JavaScript (a message handler) without waiting for it. An
 * effection halt is lazy: `task.halt()` does nothing until it is awaited or yielded to, so a
 * bare `void task.halt()` would never stop the task. Its outcome is observed where the task's
 * own result is.
 */
export function haltSoon(task: Task<unknown>): void {
  task.halt().then(
    () => {},
    () => {},
  );
}
