/**
 * Cancelling `runSync`. With `killOnCancel: true` a timed-out call's worker is killed at once,
 * and the caller goes on as soon as it has exited; by default a cancelled call runs to its end
 * (its result dropped) and the cancellation waits for it.
 *
 *   npx tsx --conditions=harrow-source examples/run-sync-cancel.ts
 */
import { main, race, sleep } from 'effection';
import { isMainModule, remote, runSync } from '@harrow/runtime';

/** Busy for `ms` milliseconds: a stand-in for a computation that cannot be interrupted from inside. */
export const busyFor = remote(import.meta, function busyFor(ms: number): number {
  let until = Date.now() + ms;
  while (Date.now() < until) {
    // computing
  }
  return ms;
});

export const workerPid = remote(import.meta, function workerPid(): number {
  return process.pid;
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (isMainModule(import.meta)) {
  await main(function* () {
    // Warm a worker; the most recently used worker takes the next call.
    let pid = yield* runSync(workerPid, []);

    let start = performance.now();
    yield* race([runSync(busyFor, [60_000], { killOnCancel: true }), sleep(200)]);
    let elapsed = performance.now() - start;
    console.log(`killOnCancel: gave up after ${Math.round(elapsed)} ms; worker ${pid} alive: ${isAlive(pid)}`);
    let next = yield* runSync(workerPid, []);
    console.log(`the pool serves on, with a new worker: ${next !== pid}`);

    start = performance.now();
    yield* race([runSync(busyFor, [500]), sleep(50)]);
    elapsed = performance.now() - start;
    console.log(`default: the timeout fired at 50 ms; the cancellation waited for the 500 ms call: ${elapsed >= 500}`);
  });
}
