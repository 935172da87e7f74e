/**
 * A root process for the runSync tests that need a program of their own (its stdout, its death,
 * its exit). Usage: run-sync-root.ts <mode> [process|thread] [marker dir]
 *
 * - `print`: a worker prints a line; the root prints `returned <id>` and exits.
 * - `idle`: start two workers, print `workers <id> <id>`, then wait (to be killed).
 * - `busy`: one idle worker and one running `hold` until `<dir>/busy.go` exists (its id is in
 *   `<dir>/busy.started`); print `workers <idle id>`, then wait (to be killed).
 * - `natural`: no `main()`: one call on the default context inside `await run()`, print
 *   `returned <id>`, and let the process end by itself.
 * - `default-reuse`: two calls on the default context; print `calls <id> <id>`.
 * - `default-kill`: a `killOnCancel` call of `spinForever` on the default context, halted once
 *   it runs (its id is in `<dir>/spin.started`); print `halted`, then `served <1 + 2>` from a
 *   call after it.
 */
import { all, main, run, spawn, suspend, until } from 'effection';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkerContext, runSync } from '../../src/index.ts';
import { add, hold, interval, say, spinForever, whoAmI } from '../fixtures/jobs.ts';

let [mode, workerType = 'process', dir = ''] = process.argv.slice(2) as [string, 'process' | 'thread', string];

if (mode === 'natural') {
  let id = await run(() => runSync(whoAmI, []));
  console.log(`returned ${id}`);
} else if (mode === 'default-reuse') {
  await main(function* () {
    console.log(`calls ${yield* runSync(whoAmI)} ${yield* runSync(whoAmI, [])}`);
  });
} else if (mode === 'default-kill') {
  await main(function* () {
    let task = yield* spawn(() => runSync(spinForever, [dir, 'spin'], { killOnCancel: true }));
    yield* until(waitForFile(join(dir, 'spin.started')));
    yield* task.halt();
    console.log('halted');
    console.log(`served ${yield* runSync(add, [1, 2])}`);
  });
} else {
  await main(function* () {
    let ctx = yield* openWorkerContext({ workerType, limit: 2 });
    if (mode === 'print') {
      let id = yield* ctx.runSync(say, ['hello from a worker']);
      console.log(`returned ${id}`);
    } else if (mode === 'idle') {
      let both = yield* all([ctx.runSync(interval, [100]), ctx.runSync(interval, [100])]);
      console.log(`workers ${both.map((result) => result.id).join(' ')}`);
      yield* suspend();
    } else if (mode === 'busy') {
      yield* spawn(() => ctx.runSync(hold, [dir, 'busy', 60_000]));
      yield* until(waitForFile(join(dir, 'busy.started')));
      let idle = yield* ctx.runSync(whoAmI, []);
      console.log(`workers ${idle}`);
      yield* suspend();
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
  });
}

async function waitForFile(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 10));
}
