/**
 * A root for packages/runtime/test/protocol-properties.test.ts: it starts one process actor and
 * one thread actor serving test/fixtures/fuzz-target.ts, and prints one JSON line naming their
 * addresses and pids. Then, for each line it reads on stdin, it calls `identify` in both actors
 * and prints the answers as one JSON line (`{"check":[...]}`, or `{"checkFailed":"..."}`); it
 * ends when stdin ends. Everything it and its actors write to stderr is for the test to inspect.
 */
import { createInterface } from 'node:readline';
import { main, until } from 'effection';
import { openNursery } from '../../src/index.ts';
import { identify } from '../fixtures/fuzz-target.ts';

const fixture = new URL('../fixtures/fuzz-target.ts', import.meta.url);

await main(function* () {
  let nursery = yield* openNursery({ spare: false });
  let portals = [
    yield* nursery.startActor('fuzz-process', { enableModules: [fixture], spawn: 'process' }),
    yield* nursery.startActor('fuzz-thread', { enableModules: [fixture], spawn: 'thread' }),
  ];
  let actors = portals.map((portal) => ({ name: portal.actor.name, address: portal.actor.address, pid: portal.actor.pid }));
  console.log(JSON.stringify({ actors }));
  let lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  while (!(yield* until(lines.next())).done) {
    try {
      let answers = [];
      for (let [i, portal] of portals.entries()) answers.push(yield* portal.run(identify, i, 40));
      console.log(JSON.stringify({ check: answers }));
    } catch (error) {
      console.log(JSON.stringify({ checkFailed: String((error as Error)?.stack ?? error) }));
    }
  }
});
