/** A root whose scoped() nursery waits at its end for a runInActor child that never returns. */
import { main, scoped } from 'effection';
import { openNursery } from '../../src/index.ts';
import { waitWithCleanup } from '../fixtures/cleanup.ts';

let dir = process.argv[2]!;
await main(function* () {
  yield* scoped(function* () {
    let nursery = yield* openNursery({ spare: false });
    yield* nursery.runInActor(waitWithCleanup, [dir, 'child']);
    console.log('body done; the nursery waits for its child');
  });
});
