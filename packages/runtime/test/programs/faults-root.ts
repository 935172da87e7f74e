/**
 * A root process for faults.test.ts, to be SIGKILLed while its nursery's warm spare is starting
 * or being handed an actor. Usage: faults-root.ts <mode>
 *
 * - `spare`: opens a nursery (so a spare starts) and waits;
 * - `spawn`: opens a nursery and at once starts an actor, which takes the spare while it is
 *   still starting up (the spawn spec waits in its socket);
 * - `importing`: the same with an actor whose enabled module never finishes importing (it
 *   writes `<HARROW_TEST_MARKERS>/importing` when it starts to load), so it is killed mid-boot;
 * - `respare`: starts an actor from the spare, after which the nursery starts a new spare.
 *
 * It prints `root <pid>` before it starts any actor, and `started <pid>` once one is ready.
 */
import { main, suspend } from 'effection';
import { isMainModule, openNursery } from '../../src/index.ts';

let mode = process.argv[2] as 'spare' | 'spawn' | 'importing' | 'respare';

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery({ bootTimeout: 60_000 });
  console.log(`root ${process.pid}`);
  if (mode === 'spawn' || mode === 'respare') {
    let portal = yield* nursery.startActor('from-spare');
    console.log(`started ${portal.actor.pid}`);
  } else if (mode === 'importing') {
    let portal = yield* nursery.startActor('stuck-at-import', { enableModules: [new URL('../fixtures/hangs-on-import.ts', import.meta.url)] });
    console.log(`started ${portal.actor.pid}`);
  }
  yield* suspend();
});
