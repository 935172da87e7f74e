/**
 * `portal.openStreamFrom`: an async generator in another actor, consumed with effection's
 * `each`. Each subscription is one remote call; leaving the loop early cancels it.
 *
 *   npx tsx --conditions=harrow-source examples/streaming-counter.ts
 */
import { each, main } from 'effection';
import { isMainModule, openNursery, remote } from '@harrow/runtime';

export const count = remote(import.meta, async function* count(to: number) {
  for (let i = 1; i <= to; i++) yield i;
  return `counted to ${to}`;
});

if (isMainModule(import.meta)) {
  await main(function* () {
    let nursery = yield* openNursery();
    let portal = yield* nursery.startActor('counter', { enableModules: [import.meta.url] });
    let seen: number[] = [];
    for (let n of yield* each(portal.openStreamFrom(count, 5))) {
      seen.push(n);
      yield* each.next();
    }
    console.log(`received ${seen.join(', ')}`);

    // The source's return value is the final { done: true, value }.
    let subscription = yield* portal.openStreamFrom(count, 2);
    let next = yield* subscription.next();
    while (!next.done) next = yield* subscription.next();
    console.log(`returned: ${next.value}`);
  });
}
