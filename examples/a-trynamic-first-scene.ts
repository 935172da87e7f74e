/**
 * tractor's `a_trynamic_first_scene`: the root starts two actors, 'donny' and 'gretchen', and
 * asks each to say hello to the other. Neither is handed a portal on the other: each finds the
 * other by name in the tree's registry with `waitForActor`, and calls `hi` through the portal it
 * gets. donny is asked before gretchen is even started, so his `waitForActor` waits until she
 * has registered. The root waits for both answers; when `main` ends, the nursery stops both.
 * (tractor runs them with `run_in_actor`; here they are daemons, started with `startActor` and
 * called with `portal.run`, so that neither can exit while the other may still be calling it.)
 *
 *   npx tsx --conditions=harrow-source examples/a-trynamic-first-scene.ts
 */
import { main, spawn } from 'effection';
import { currentActor, isMainModule, openNursery, remote, waitForActor } from '@harrow/runtime';

const theLine = (name: string) => `Hi my name is ${name}`;

/** Runs in whichever actor it is called in: that actor says its own name. */
export const hi = remote(import.meta, function* hi() {
  return theLine(currentActor().name);
});

/** Find `otherActor` by name (waiting until it is there) and have it say hi. */
export const sayHello = remote(import.meta, function* sayHello(otherActor: string) {
  let portal = yield* waitForActor(otherActor, { timeout: 10_000 });
  return yield* portal.run(hi);
});

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery();
  console.log('Alright... Action!');

  let donny = yield* nursery.startActor('donny', { enableModules: [import.meta.url] });
  let donnyHeard = yield* spawn(() => donny.run(sayHello, 'gretchen'));
  let gretchen = yield* nursery.startActor('gretchen', { enableModules: [import.meta.url] });
  let gretchenHeard = yield* spawn(() => gretchen.run(sayHello, 'donny'));

  console.log(yield* gretchenHeard);
  console.log(yield* donnyHeard);
  console.log("CUTTTT CUUTT CUT!!! Donny!! You're supposed to say...");
});
