/** A root with one actor stuck in a busy loop (and one idle), that then waits to be killed. */
import { main, spawn, suspend } from 'effection';
import { openNursery } from '../../src/index.ts';
import { spin } from '../fixtures/misbehaving.ts';

let dir = process.argv[2]!;
await main(function* () {
  let nursery = yield* openNursery({ spare: false });
  let stuck = yield* nursery.startActor('stuck', { enableModules: [new URL('../fixtures/misbehaving.ts', import.meta.url)] });
  let idle = yield* nursery.startActor('idle');
  yield* spawn(() => stuck.run(spin, dir));
  console.log(`root ${process.pid} started ${stuck.actor.pid} ${idle.actor.pid}`);
  yield* suspend();
});
