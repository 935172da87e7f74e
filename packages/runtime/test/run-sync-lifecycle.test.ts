import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, spawn, until } from 'effection';
import { describe, expect, it } from 'vitest';
import { RemoteActorError, openNursery } from '../src/index.ts';
import { holdInGrandchild } from './fixtures/run-sync-in-actor.ts';
import { alive, expectNoLeaks, perTest, startProgram, waitFor } from './helpers.ts';

/*
 * runSync as a whole program sees it: what its workers print, what happens to them when the
 * program is killed, and whether they hold a finished program open. Each test runs
 * programs/run-sync-root.ts as a root process of its own.
 */

const root = new URL('./programs/run-sync-root.ts', import.meta.url);
const inActor = new URL('./fixtures/run-sync-in-actor.ts', import.meta.url);

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

  it('SIGKILL of the program: its busy worker is gone within 1 s too, its call cut short', async () => {
    let program = startProgram(root, ['busy', 'process', env.dir]);
    let line = await program.line(/^workers /);
    let idle = pidOf(line.split(' ')[1]!);
    let busy = pidOf(await waitForText(join(env.dir, 'busy.started')));
    program.process.kill('SIGKILL');
    await program.exited;
    await waitFor(() => !alive(idle) && !alive(busy), 1_000, 'both workers to exit');
    expect(existsSync(join(env.dir, 'busy.done'))).toBe(false);
    // The program's sentinel ends the workers, then itself: a moment after them, under load.
    await expectNoLeaks(env.tag, 1_000);
  });

  it('SIGKILL of an actor below the root: its busy worker is gone within 1 s, its call cut short', async () => {
    let outcome = await run(function* () {
      let nursery = yield* openNursery({ spare: false });
      let portal = yield* nursery.startActor('computer', { enableModules: [inActor] });
      let call = yield* spawn(function* () {
        try {
          return yield* portal.run(holdInGrandchild, env.dir);
        } catch (error) {
          return error;
        }
      });
      let busy = pidOf(yield* until(waitForText(join(env.dir, 'busy.started'))));
      let grandchild = Number(yield* until(waitForText(join(env.dir, 'grandchild.pid'))));
      process.kill(grandchild, 'SIGKILL');
      // While the actors above it live on: nothing but the worker's own watch can end it.
      yield* until(waitFor(() => !alive(busy), 1_000, 'the busy worker to exit'));
      return yield* call;
    });
    expect(outcome).toBeInstanceOf(RemoteActorError);
    expect((outcome as RemoteActorError).type).toBe('BrokenActorError');
    expect(existsSync(join(env.dir, 'busy.done'))).toBe(false);
    await expectNoLeaks(env.tag);
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
