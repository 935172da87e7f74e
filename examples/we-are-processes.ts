/**
 * Zombie safe: self-destruct a process tree (tractor's parallelism/we_are_processes). One actor
 * per core sleeps forever; after a second the root raises. The error cancels every actor, the
 * nursery's scope waits until each process has exited and been reaped, and only then does the
 * error reach the `catch`, which checks that none of them is left.
 *
 *   npx tsx --conditions=harrow-source examples/we-are-processes.ts
 *
 * Watch the processes from another terminal: `watch -n 0.1 pstree -a -p <root pid>`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { main, scoped, sleep, suspend, type Operation } from 'effection';
import { currentActor, isMainModule, openNursery, remote } from '@harrow/runtime';

export const target = remote(import.meta, function* target(): Operation<void> {
  console.log(`Yo, i'm '${currentActor().name}' running in pid ${process.pid}`);
  yield* suspend();
});

/**
 * The pids of `pids` that still name a live process. A zombie (dead, waiting to be reaped by
 * whoever adopted it) does not count; /proc tells them apart where there is one.
 */
function stillAlive(pids: number[]): number[] {
  let hasProc = existsSync('/proc/self/stat');
  return pids.filter((pid) => {
    if (hasProc) {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

if (isMainModule(import.meta)) await main(function* () {
  let pids: number[] = [];
  try {
    yield* scoped(function* () {
      let nursery = yield* openNursery();
      for (let i = 0; i < availableParallelism(); i++) {
        let portal = yield* nursery.runInActor(target, [], { name: `worker_${i}` });
        pids.push(portal.actor.pid);
      }
      console.log('This process tree will self-destruct in 1 sec...');
      yield* sleep(1000);
      // you could have done this yourself
      throw new Error('Self Destructed');
    });
  } catch (error) {
    let left = stillAlive(pids);
    if (left.length > 0) throw new Error(`zombies escaped: ${left.join(', ')}`, { cause: error });
    console.log(`Zombies Contained (${(error as Error).message}; all ${pids.length} workers are gone)`);
  }
});
