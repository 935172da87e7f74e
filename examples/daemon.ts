/**
 * A long-lived actor (tractor's actor_spawning_and_causality_with_daemon): start an actor that
 * serves this module's functions, call two of them, then cancel it explicitly. Without the
 * `cancelActor` the nursery would cancel it when `main` ends.
 *
 *   npx tsx --conditions=harrow-source examples/daemon.ts
 */
import { main, type Operation } from 'effection';
import { isMainModule, openNursery, remote } from '@harrow/runtime';

export const movieTheatreQuestion = remote(import.meta, function* movieTheatreQuestion(): Operation<string> {
  return 'What is the meaning of life?';
});

// Remote functions may be async functions too (but only operations can be cancelled midway).
export const cellarDoor = remote(import.meta, async function cellarDoor(): Promise<string> {
  return "Dang that's beautiful";
});

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery();
  let portal = yield* nursery.startActor('frank', {
    // the modules whose remote() functions frank will run
    enableModules: [import.meta.url],
  });
  console.log(yield* portal.run(movieTheatreQuestion));
  console.log(yield* portal.run(cellarDoor));
  // The actor's process is gone when this returns.
  yield* portal.cancelActor();
  console.log(`frank (pid ${portal.actor.pid}) was cancelled; the nursery has ${nursery.children.length} children left`);
});
