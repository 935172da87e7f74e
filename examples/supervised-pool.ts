/**
 * A supervised pool (API.md §9): three worker daemons, `w0`, `w1` and `w2`, under a one-for-one
 * supervisor, square 60 numbers handed out from a shared queue, while the root kills a random
 * worker with SIGKILL four times. The supervisor starts each killed worker again under the
 * same name; the root calls through `nursery.portal(name)`, which waits while a worker is being
 * restarted and then reaches its new incarnation. A call in flight on a worker as it dies fails
 * with `BrokenActorError` and is not made again for us (it may have run): squaring is safe to
 * repeat, so the root puts the number back and carries on. The other workers keep taking numbers
 * meanwhile. Each restart is logged as a warning on stderr.
 *
 *   npx tsx --conditions=harrow-source examples/supervised-pool.ts
 */
import { all, main, sleep, spawn, type Operation } from 'effection';
import { BrokenActorError, isMainModule, oneForOne, openNursery, remote, type Nursery } from '@harrow/runtime';

export const WORKERS = ['w0', 'w1', 'w2'];
export const JOBS = 60;
export const KILLS = 4;

/** A job: square `n`, taking 10 to 30 ms; says which process did it. */
export const square = remote(import.meta, function* square(n: number): Operation<{ n: number; squared: number; pid: number }> {
  yield* sleep(10 + Math.random() * 20);
  return { n, squared: n * n, pid: process.pid };
});

export const pid = remote(import.meta, function* pid() {
  return process.pid;
});

/** The pid of `name`'s current incarnation (a call that meets a dying one is made again). */
function* pidOf(nursery: Nursery, name: string): Operation<number> {
  while (true) {
    try {
      return yield* nursery.portal(name).run(pid);
    } catch (error) {
      if (!(error instanceof BrokenActorError)) throw error;
    }
  }
}

if (isMainModule(import.meta)) await main(function* () {
  // Generous: the four kills are well within it. Past it the nursery would fail with a SupervisorError.
  let nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 20, within: 10_000 }) });
  for (let name of WORKERS) yield* nursery.startActor(name, { enableModules: [import.meta.url] });

  let queue = Array.from({ length: JOBS }, (_, i) => i + 1);
  let answers = new Map<number, number>();
  let pids = new Set<number>();
  let madeAgain = 0;

  // The chaos: every 150 ms, SIGKILL one of the live workers, chosen at random.
  let chaos = yield* spawn(function* () {
    let kills = 0;
    while (kills < KILLS) {
      yield* sleep(150);
      let live = nursery.children;
      let victim = live[Math.floor(Math.random() * live.length)];
      if (!victim) continue; // all three are being restarted
      try {
        process.kill(victim.pid, 'SIGKILL');
        kills++;
      } catch {
        // it had just died, and its supervisor has not heard yet
      }
    }
    return kills;
  });

  // One lane per worker: each takes the next number from the queue until it is empty.
  function* lane(name: string): Operation<void> {
    let worker = nursery.portal(name); // follows `name` across its incarnations
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      try {
        let answer = yield* worker.run(square, n);
        answers.set(answer.n, answer.squared);
        pids.add(answer.pid);
      } catch (error) {
        if (!(error instanceof BrokenActorError)) throw error;
        madeAgain++;
        queue.push(n); // the worker died under this call: it is done again, by whichever lane is free
      }
    }
  }
  yield* all(WORKERS.map(lane));
  let killed = yield* chaos;

  // Every worker is there again, each in the incarnation after the last kill.
  for (let name of WORKERS) pids.add(yield* pidOf(nursery, name));
  let correct = [...answers].every(([n, squared]) => squared === n * n);
  let names = nursery.children.map((child) => child.name).sort();

  console.log(`answers: ${answers.size}${correct ? ' (all correct)' : ' (SOME WRONG)'}`);
  console.log(`workers killed: ${killed}`);
  console.log(`calls made again after their worker died: ${madeAgain}`);
  // Each kill ends an incarnation, so more processes than workers have served.
  console.log(`restarts seen: ${pids.size > WORKERS.length ? 'yes' : 'no'}`);
  console.log(`all workers alive: ${names.join(' ')}`);
});
