/**
 * tractor's `subactor_breakpoint`, in TypeScript: a child re-enters the debugger forever. In
 * the root's terminal: `c` continues to the next round, `q` leaves, and `breakpoint()` throws
 * `DebuggerQuit`, which reaches the root as the child's error.
 *
 *   node --conditions=harrow-source --import tsx examples/subactor-breakpoint.ts
 */
import { main } from 'effection';
import { isMainModule, openNursery, remote } from '@harrow/runtime';
import { breakpoint } from '@harrow/debugger';

export const breakpointForever = remote(import.meta, function* breakpointForever() {
  let round = 0;
  while (true) {
    round++;
    yield* breakpoint();
  }
});

if (isMainModule(import.meta)) {
  await main(function* () {
    let nursery = yield* openNursery({ debugMode: true });
    let portal = yield* nursery.runInActor(breakpointForever);
    yield* portal.result();
  });
}
