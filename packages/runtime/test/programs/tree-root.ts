/**
 * A root process for signal tests: builds a tree of actors (`branch` in fixtures/tree.ts) and
 * waits; it prints its pid and address once the tree is started. Usage: tree-root.ts <depth> <breadth> <marker dir> [process|thread]
 */
import { ensure, main, suspend } from 'effection';
import { currentActor, openNursery } from '../../src/index.ts';
import { branch } from '../fixtures/tree.ts';
import { mark } from '../fixtures/markers.ts';

let [depth, breadth, dir, spawn = 'process'] = process.argv.slice(2) as [string, string, string, 'process' | 'thread'];

await main(function* () {
  yield* ensure(() => mark(dir, 'root.cleanup'));
  let nursery = yield* openNursery({ spare: false });
  for (let i = 0; i < Number(breadth); i++) {
    yield* nursery.runInActor(branch, [Number(depth) - 1, Number(breadth), dir, '', spawn], { name: `r.${i}`, spawn });
  }
  console.log(`root ${process.pid} started, listening on ${currentActor().address}`);
  yield* suspend();
});
