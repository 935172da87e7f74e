/**
 * A root program for the Ctrl-C tests: two runSync calls busy in process workers (each writes
 * `<dir>/busy-<i>.started` with its worker's id), then `computing <id> <id>`. A halted caller
 * never runs past its `yield* runSync(...)`: the `progress` line must never be printed.
 *
 * Usage: ctrl-c-run-sync.ts <marker dir>
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { all, main, spawn, until } from 'effection';
import { runSync } from '../../src/index.ts';
import { hold } from '../fixtures/jobs.ts';

let dir = process.argv[2]!;

await main(function* () {
  yield* spawn(function* () {
    let ids = yield* until(Promise.all([0, 1].map((i) => waitForText(join(dir, `busy-${i}.started`)))));
    console.log(`computing ${ids.join(' ')}`);
  });
  yield* all([runSync(hold, [dir, 'busy-0', 60_000]), runSync(hold, [dir, 'busy-1', 60_000])]);
  console.log('progress');
});

async function waitForText(path: string): Promise<string> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 10));
  return readFileSync(path, 'utf8');
}
