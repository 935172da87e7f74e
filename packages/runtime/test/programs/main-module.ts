/** Prints what isMainModule says here, and in an actor that imports this very module. */
import { main } from 'effection';
import { isMainModule, openNursery, remote } from '../../src/index.ts';

export const askActor = remote(import.meta, function* askActor() {
  return isMainModule(import.meta);
});

console.log(`evaluated in pid ${process.pid}: isMainModule ${isMainModule(import.meta)}`);

if (isMainModule(import.meta)) {
  await main(function* () {
    let nursery = yield* openNursery({ spare: false });
    let portal = yield* nursery.startActor('asker', { enableModules: [import.meta.url] });
    console.log(`in the actor: isMainModule ${yield* portal.run(askActor)}`);
  });
}
