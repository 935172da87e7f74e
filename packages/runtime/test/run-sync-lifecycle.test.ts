import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, expectNoLeaks, perTest, startProgram, waitFor } from './helpers.ts';

/*
 * runSync as a whole program sees it: what its workers print, what happens to them when the
 * program is killed, and whether they hold a finished program open. Each test runs
 * programs/run-sync-root.ts as a root process of its own.
 */

const root = new URL('./programs/run-sync-root.ts', import.meta.url);

const env = perTest({ leakCheck: false });

function pidOf(id: string): number {
  return Number(id.split(':')[0]);
}

describe.each(['process', 'thread'] as const)('a program using %s workers', (workerType) => {
  it('console.log in a worker reaches the program\'s stdout', async () => {
    let program = startProgram(root, ['print', workerType]);
    let exit = await program.exited;
    expect(exit.code, program.stderr).toBe(0);
    let returned = program.lines.find((line) => line.startsWith('returned '));
    expect(returned).toBeDefined();
    let id = returned!.split(' ')[1];
    expect(program.lines).toContain(`hello from a worker ${id}`);
    // Printed before the result came back, so before the root's own line.
    expect(program.lines.indexOf(`hello from a worker ${id}`)).toBeLessThan(program.lines.indexOf(returned!));
    await expectNoLeaks(env.tag, 1_000);
  });
});

describe('the workers of a program that dies', () => {
  it('SIGKILL of the program: its idle workers exit within 1 s', async () => {
    let program = startProgram(root, ['idle', 'process']);
    let line = await program.line(/^workers /);
    let pids = line.split(' ').slice(1).map(pidOf);
    expect(pids).toHaveLength(2);
    for (let pid of pids) expect(alive(pid)).toBe(true);
    program.process.kill('SIGKILL');
    await program.exited;
    await expectNoLeaks(env.tag, 1_000);
  });

  it('SIGKILL of the program: a busy worker exits as soon as its call ends, an idle one at once', async () => {
    let program = startProgram(root, ['busy', 'process', env.dir]);
    let line = await program.line(/^workers /);
    let idle = pidOf(line.split(' ')[1]!);
    let busy = pidOf(await waitForText(join(env.dir, 'busy.started')));
    program.process.kill('SIGKILL');
    await program.exited;
    await waitFor(() => !alive(idle), 1_000, 'the idle worker to exit');
    // A synchronous call cannot be interrupted from inside its process: it finishes first.
    expect(alive(busy)).toBe(true);
    writeFileSync(join(env.dir, 'busy.go'), '');
    await expectNoLeaks(env.tag, 1_000);
  });
});

describe('the default context', () => {
  it('runs in a worker process of its own, reused across calls', async () => {
    let program = startProgram(root, ['default-reuse']);
    let exit = await program.exited;
    expect(exit.code, program.stderr).toBe(0);
    let [first, second] = (await program.line(/^calls /)).split(' ').slice(1);
    expect(first).toBe(second);
    expect(pidOf(first!)).not.toBe(program.process.pid);
    await expectNoLeaks(env.tag, 1_000);
  });

  it('killOnCancel kills its worker; the default context serves on', async () => {
    let program = startProgram(root, ['default-kill', 'process', env.dir]);
    await program.line(/^halted$/);
    // Killed and reaped before the halt returned.
    expect(alive(pidOf(readFileSync(join(env.dir, 'spin.started'), 'utf8')))).toBe(false);
    expect(await program.line(/^served /)).toBe('served 3');
    expect((await program.exited).code, program.stderr).toBe(0);
    await expectNoLeaks(env.tag, 1_000);
  });

  it('does not keep a finished program alive, and its worker exits with the program', async () => {
    let program = startProgram(root, ['natural']);
    let exit = await program.exited;
    expect(exit.code, program.stderr).toBe(0);
    expect(program.lines.some((line) => line.startsWith('returned '))).toBe(true);
    await expectNoLeaks(env.tag, 1_000);
  });
});

async function waitForText(path: string): Promise<string> {
  await waitFor(() => existsSync(path), 20_000, path);
  return readFileSync(path, 'utf8');
}
