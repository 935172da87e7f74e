/** A root process with a default nursery (so a warm spare) and one actor, that then waits. */
import { main, suspend } from 'effection';
import { openNursery } from '../../src/index.ts';

await main(function* () {
  let nursery = yield* openNursery();
  let portal = yield* nursery.startActor('only', { enableModules: [new URL('../fixtures/basic.ts', import.meta.url)] });
  console.log(`root ${process.pid} started ${portal.actor.pid}`);
  yield* suspend();
});
