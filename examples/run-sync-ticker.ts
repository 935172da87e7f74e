/**
 * `runSync` keeps the main thread free: two CPU-bound computations run in worker processes,
 * in parallel, while an effection ticker in the main process keeps ticking every 100 ms.
 *
 *   npx tsx --conditions=harrow-source examples/run-sync-ticker.ts [n]
 */
import { all, main, sleep, spawn } from 'effection';
import { isMainModule, remote, runSync } from '@harrow/runtime';

/** Deliberately slow: about half a second of CPU for n = 36 on a small VM. */
export const fib = remote(import.meta, function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
});

if (isMainModule(import.meta)) {
  await main(function* (args) {
    let n = Number(args[0] ?? 36);
    let ticks: number[] = [];
    let start = performance.now();
    yield* spawn(function* ticker() {
      for (;;) {
        yield* sleep(100);
        ticks.push(performance.now());
      }
    });

    let [a, b] = yield* all([runSync(fib, [n]), runSync(fib, [n])]);
    let end = performance.now();

    let gaps = ticks.map((tick, i) => tick - (i === 0 ? start : ticks[i - 1]!));
    console.log(`fib(${n}) = ${a} and ${b}, computed in parallel in ${Math.round(end - start)} ms`);
    console.log(`meanwhile the main process ticked ${ticks.length} times; longest gap ${Math.round(Math.max(...gaps))} ms`);
  });
}
