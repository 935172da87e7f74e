/**
 * A nursery opened in `main`'s body, whose runInActor child fails after the body has returned
 * (issue #10): the program must fail with the child's RemoteActorError, not exit 0.
 */
import { main } from 'effection';
import { isMainModule, openNursery } from '../../src/index.ts';
import { slowFail } from '../fixtures/owners.ts';

if (isMainModule(import.meta)) await main(function* () {
  const nursery = yield* openNursery();
  yield* nursery.runInActor(slowFail, [300]);
  console.log('main body done');
});
