// A long-running tree that other programs join: a root listening on TCP (its cookie from
// HARROW_COOKIE) with a daemon 'db'. Prints its registry address, then runs until signalled.
import { main, suspend } from 'effection';
import { openNursery, openRoot } from '../../src/index.ts';

await main(function* () {
  let root = yield* openRoot({ name: 'hub', listen: [process.argv[2] ?? 'tcp://127.0.0.1:0'] });
  let nursery = yield* openNursery();
  yield* nursery.startActor('db', { enableModules: [new URL('../fixtures/discovery.ts', import.meta.url)] });
  console.log(`registry ${root.address}`);
  yield* suspend();
});
