/**
 * The soak test's root (soak.test.ts): for `<ms>` milliseconds, round after round of mixed
 * work, two rounds at a time: start an actor (process or thread), call it, stream from it, talk
 * to it through a context, run a runSync job, then end it one of several ways (its scope ends,
 * SIGKILL, a hard cancel, a failing runInActor sibling). Every 2 s it prints
 * `sample <ms since start> <rss bytes> <open fds>`; at the end `rounds <n>`. An error that is
 * not one of those the round provokes ends it with exit code 1.
 *
 * Usage: soak-root.ts <ms>
 */
import { readdirSync } from 'node:fs';
import { all, each, main, scoped, sleep, spawn, type Operation } from 'effection';
import { BrokenActorError, RemoteActorError, openNursery, runSync } from '../../src/index.ts';
import { add, boom } from '../fixtures/basic.ts';
import { add as addInWorker } from '../fixtures/jobs.ts';
import { counter, echo } from '../fixtures/streaming.ts';

const basic = new URL('../fixtures/basic.ts', import.meta.url);
const streaming = new URL('../fixtures/streaming.ts', import.meta.url);

let duration = Number(process.argv[2] ?? 60_000);
let started = Date.now();
let rounds = 0;

function sample(): void {
  let fds = readdirSync('/proc/self/fd').length;
  console.log(`sample ${Date.now() - started} ${process.memoryUsage().rss} ${fds}`);
}

function* round(i: number): Operation<void> {
  let ending = i % 4;
  try {
    yield* scoped(function* () {
      let nursery = yield* openNursery({ cancelTimeout: 500, killTimeout: 500 });
      let spawnKind = i % 3 === 0 ? ('thread' as const) : ('process' as const);
      let portal = yield* nursery.startActor(`soak-${i}`, { enableModules: [basic, streaming], spawn: spawnKind });
      for (let k = 0; k < 20; k++) if ((yield* portal.run(add, k, 1)) !== k + 1) throw new Error('a wrong sum');
      let count = 0;
      for (let _ of yield* each(portal.openStreamFrom(counter, 500))) {
        count++;
        yield* each.next();
      }
      if (count !== 500) throw new Error(`streamed ${count} of 500`);
      let { ctx } = yield* portal.openContext(echo, 'hi');
      let stream = yield* ctx.openStream();
      for (let k = 0; k < 50; k++) {
        yield* stream.send(`m${k}`);
        if ((yield* stream.next()).value !== `m${k}`) throw new Error('a wrong echo');
      }
      yield* stream.close();
      yield* ctx.result();
      if ((yield* runSync(addInWorker, [i, 1])) !== i + 1) throw new Error('a wrong runSync sum');
      if (ending === 1 && spawnKind === 'process') {
        process.kill(portal.actor.pid, 'SIGKILL');
        yield* sleep(10_000); // the nursery fails with BrokenActorError first
      } else if (ending === 2) {
        yield* portal.cancelActor({ hard: true });
      } else if (ending === 3) {
        yield* nursery.runInActor(boom, ['provoked'], { spawn: spawnKind });
        yield* sleep(10_000); // the nursery fails with its RemoteActorError first
      }
    });
  } catch (error) {
    let provoked =
      (ending === 1 && error instanceof BrokenActorError && error.signal === 'SIGKILL') ||
      (ending === 3 && error instanceof RemoteActorError && error.message === 'provoked');
    if (!provoked) throw error;
  }
  rounds++;
}

await main(function* () {
  yield* spawn(function* () {
    for (;;) {
      sample();
      yield* sleep(2_000);
    }
  });
  let next = 0;
  while (Date.now() - started < duration) {
    yield* all([round(next++), round(next++)]);
  }
  sample();
  console.log(`rounds ${rounds}`);
});
