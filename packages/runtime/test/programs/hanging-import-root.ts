/**
 * A root that starts an actor whose enabled module never finishes importing, then waits to be
 * killed. The module writes `<HARROW_TEST_MARKERS>/importing` (its pid) when it starts loading.
 */
import { main, suspend } from 'effection';
import { isMainModule, openNursery } from '../../src/index.ts';

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery({ spare: false, bootTimeout: 60_000 });
  yield* nursery.startActor('stuck-at-import', { enableModules: [new URL('../fixtures/hangs-on-import.ts', import.meta.url)] });
  yield* suspend();
});
