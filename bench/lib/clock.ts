/**
 * Wall-clock time in ms with sub-millisecond resolution (`performance.timeOrigin` plus the
 * monotonic `performance.now()`), for times taken in one process and compared with times taken
 * in another on the same machine. `Date.now()` has whole milliseconds only, and
 * `performance.now()` alone counts from each process's own start.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
