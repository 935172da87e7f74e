/**
 * Run a function in a process (tractor's parallelism/single_func): `burnCpu` runs in a new
 * actor process while the parent burns a core of its own, then the parent collects the
 * child's result (its pid). The nursery reaps the child before the program ends.
 *
 *   npx tsx --conditions=harrow-source examples/single-func.ts
 *
 * Watch the processes from another terminal: `watch -n 0.1 pstree -a -p <root pid>`.
 */
import { main, sleep, type Operation } from 'effection';
import { isMainModule, openNursery, remote } from '@harrow/runtime';

/**
 * Keep a core busy for about `ms` milliseconds and return this process's pid. It yields to the
 * event loop every few milliseconds, as an effection operation should, so that it stays
 * cancellable and its actor keeps answering its parent.
 */
export const burnCpu = remote(import.meta, function* burnCpu(ms = 400): Operation<number> {
  let end = Date.now() + ms;
  while (Date.now() < end) {
    let slice = Date.now() + 5;
    while (Date.now() < slice) {
      // burn
    }
    yield* sleep(0);
  }
  return process.pid;
});

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery();
  let portal = yield* nursery.runInActor(burnCpu, []);
  // burn rubber in the parent too
  yield* burnCpu();
  // wait for the result of the function in the child
  let pid = yield* portal.result();
  console.log(`Collected subproc ${pid} (the parent is pid ${process.pid})`);
});
