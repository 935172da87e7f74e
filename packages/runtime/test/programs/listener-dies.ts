/**
 * A root whose listening socket fails after it started (injected: its server emits 'error'):
 * the program's nursery fails with the TransportError at once, and the failure is logged.
 */
import { main, suspend } from 'effection';
import { currentActor, isMainModule, openNursery } from '../../src/index.ts';
import { serverListeningOn } from '../../../transport/test/helpers.ts';

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery();
  yield* nursery.startActor('bystander');
  console.log('started');
  serverListeningOn(currentActor().address).emit('error', Object.assign(new Error('injected failure'), { code: 'EINJECTED' }));
  yield* suspend();
});
