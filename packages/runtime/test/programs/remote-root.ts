// A root that starts one actor on another host (argv[2], an ssh alias), listening on argv[3]
// for it to dial back; prints the remote actor's pid, then runs until killed.
import { main, suspend } from 'effection';
import { openNursery, openRoot } from '../../src/index.ts';
import { whereAmI } from '../fixtures/remote-host.ts';

await main(function* () {
  yield* openRoot({ listen: [process.argv[3]!] });
  let nursery = yield* openNursery();
  let portal = yield* nursery.startActor('far', { host: process.argv[2]!, enableModules: [new URL('../fixtures/remote-host.ts', import.meta.url)] });
  let where = yield* portal.run(whereAmI);
  console.log(`remote ${where.pid} ${where.namespace}`);
  yield* suspend();
});
