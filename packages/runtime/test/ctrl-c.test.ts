import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, expectNoLeaks, perTest, waitFor } from './helpers.ts';
import { Terminal } from './terminal.ts';

/*
 * Ctrl-C typed at a real terminal (tmux) into a program whose runSync calls are busy, under the
 * two ways the docs start a program: `node --import tsx` (the signal reaches the program and its
 * workers' process groups do not), and tsx's own launcher (which relays the signal and may kill
 * the program outright). Either way nothing the program started may be left computing.
 */

const env = perTest();
const program = new URL('./programs/ctrl-c-run-sync.ts', import.meta.url).pathname;
const repository = new URL('../../../', import.meta.url).pathname;

function workerPids(screen: string): number[] {
  let line = screen.split('\n').find((each) => each.startsWith('computing '))!;
  return line.split(' ').slice(1).map((id) => Number(id.split(':')[0]));
}

/** The program has ended: no caller ran past its runSync, the workers are gone within 1 s, their calls cut short. */
async function expectNothingRanOn(screen: string, workers: number[]): Promise<void> {
  expect(screen).not.toMatch(/^progress/m);
  await waitFor(() => workers.every((pid) => !alive(pid)), 1_000, 'the workers to exit');
  for (let i of [0, 1]) expect(existsSync(join(env.dir, `busy-${i}.done`))).toBe(false);
  await expectNoLeaks(env.tag, 1_000);
}

describe('Ctrl-C while runSync calls are busy', () => {
  it('node --import tsx: the first says what the program waits for, the second kills the workers', async () => {
    let terminal = new Terminal([process.execPath, '--import', 'tsx', program, env.dir], { cwd: repository });
    try {
      let workers = workerPids(await terminal.waitFor(/^computing \S+ \S+/m));
      terminal.keys('C-c');
      await terminal.waitFor(/waiting for 2 runSync calls to finish; Ctrl-C again to kill them/);
      for (let pid of workers) expect(alive(pid)).toBe(true);
      terminal.keys('C-c');
      let screen = await terminal.waitFor(/\[exit \d+\]/, 5_000);
      expect(screen).toMatch(/\[exit 130\]/);
      await expectNothingRanOn(screen, workers);
    } finally {
      terminal.close();
    }
  });

  it("tsx's launcher: Ctrl-C ends the program, and its busy workers within 1 s", async () => {
    let terminal = new Terminal([join(repository, 'node_modules/.bin/tsx'), program, env.dir], { cwd: repository });
    try {
      let workers = workerPids(await terminal.waitFor(/^computing \S+ \S+/m));
      terminal.keys('C-c');
      // tsx waits 30 ms to hear that the program got the signal, then sends it again, then
      // SIGKILL: which of these ends it depends on timing. Each way must leave nothing.
      let screen = await terminal.waitFor(/\[exit \d+\]|Ctrl-C again to kill them/, 5_000);
      if (!/\[exit \d+\]/.test(screen)) {
        terminal.keys('C-c');
        screen = await terminal.waitFor(/\[exit \d+\]/, 5_000);
      }
      await expectNothingRanOn(screen, workers);
    } finally {
      terminal.close();
    }
  });
});
