import { main } from 'effection';
import { isMainModule, openNursery, remote } from '@harrow/runtime';
import { breakpoint } from '@harrow/debugger';

export const work = remote(import.meta, function* work(n: number) {
  let total = n * 2;
  yield* breakpoint();
  total = total + 1;
  return total;
});

if (isMainModule(import.meta)) {
  await main(function* () {
    let nursery = yield* openNursery({ debugMode: true });
    let portal = yield* nursery.runInActor(work, [20], { name: 'worker' });
    console.log('result:', yield* portal.result());
  });
}
