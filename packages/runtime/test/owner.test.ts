import { all, ensure, run, scoped, sleep, spawn, suspend } from 'effection';
import { describe, expect, it } from 'vitest';
import { ActorCancelledError, BrokenActorError, RemoteActorError, openNursery, type Portal } from '../src/index.ts';
import { ownsFailingChild, slowFail, slowValue, untilCancelled } from './fixtures/owners.ts';
import { failureOf, perTest, startProgram } from './helpers.ts';

/*
 * How the scope that opened a nursery ended decides what happens to its runInActor children
 * (API.md §2): a body that completed waits for them and raises their failures; a body that
 * failed or was halted cancels them at once. One test per way a body can end
 * (src/nursery/owner.ts says how that is known).
 */

const owners = new URL('./fixtures/owners.ts', import.meta.url);
const env = perTest();

function isChildFailure(error: unknown): boolean {
  return error instanceof RemoteActorError && error.message === 'child failed';
}

describe('a nursery whose owner completed waits for its runInActor children', () => {
  it("main's body: the child's failure fails the program", async () => {
    let program = startProgram(new URL('./programs/main-owner.ts', import.meta.url));
    let exit = await program.exited;
    expect(program.lines).toContain('main body done');
    expect(exit.code, program.stderr).toBe(1);
    expect(program.stderr).toMatch(/RemoteActorError: Error in actor 'slowFail' .*: child failed/);
  });

  it('scoped(): the child is awaited and its failure raised', async () => {
    let error = await run(() => failureOf(function* () {
      let nursery = yield* openNursery({ spare: false });
      yield* nursery.runInActor(slowFail, [300]);
    }));
    expect(isChildFailure(error)).toBe(true);
  });

  it("a spawned task's body: the task fails with the child's error", async () => {
    let error = await run(() => failureOf(function* () {
      yield* spawn(function* () {
        let nursery = yield* openNursery({ spare: false });
        yield* nursery.runInActor(slowFail, [300]);
      });
      yield* suspend();
    }));
    expect(isChildFailure(error)).toBe(true);
  });

  it("a remote function's body: the call fails with the grandchild's error, relayed", async () => {
    let error = await run(() => failureOf(function* () {
      let nursery = yield* openNursery({ spare: false });
      let portal = yield* nursery.startActor('owner', { enableModules: [owners] });
      yield* portal.run(ownsFailingChild, 300);
    }));
    expect(isChildFailure(error)).toBe(true);
    expect((error as RemoteActorError).relay.map((actor) => actor.name)).toContain('owner');
  });

  it('a body that caught a failure of all(): its nurseries still wait, before and after', async () => {
    let portals: Portal<string>[] = [];
    await run(function* () {
      yield* scoped(function* () {
        let before = yield* openNursery({ spare: false });
        portals.push(yield* before.runInActor(slowValue, [300, 'before']));
        try {
          yield* all([sleep(1), (function* () { throw new Error('caught'); })()]);
        } catch {
          // the body goes on
        }
        let after = yield* openNursery({ spare: false });
        portals.push(yield* after.runInActor(slowValue, [300, 'after']));
      });
      expect(yield* portals[0]!.result()).toBe('before');
      expect(yield* portals[1]!.result()).toBe('after');
    });
  });
});

describe('a nursery whose owner did not complete cancels its runInActor children at once', () => {
  it('a halted owner: the halt returns within the cancel ladder; the child was cancelled', async () => {
    let portal: Portal | undefined;
    let started = 0;
    await run(function* () {
      let task = yield* spawn(function* () {
        let nursery = yield* openNursery({ spare: false, cancelTimeout: 500, killTimeout: 500 });
        portal = yield* nursery.runInActor(untilCancelled, []);
        yield* suspend();
      });
      while (!portal) yield* sleep(10);
      started = Date.now();
      yield* task.halt();
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    let outcome = await run(() => failureOf(() => portal!.result()));
    expect(outcome).toBeInstanceOf(ActorCancelledError);
  });

  it("a failed owner: its own error is raised at once, and the child is cancelled, not awaited", async () => {
    let portal: Portal | undefined;
    let started = Date.now();
    let error = await run(() => failureOf(function* () {
      let nursery = yield* openNursery({ spare: false });
      portal = yield* nursery.runInActor(slowValue, [30_000, 'late']);
      throw new Error('the body failed');
    }));
    expect((error as Error).message).toBe('the body failed');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await run(() => failureOf(() => portal!.result()))).toBeInstanceOf(ActorCancelledError);
  });
});

describe('a child that fails while its owner tears down', () => {
  it("is raised from the owner's scope, never past the caller's try/catch", async () => {
    let caught = await run(function* () {
      try {
        yield* scoped(function* () {
          let nursery = yield* openNursery({ spare: false });
          let victim = yield* nursery.startActor('victim', { enableModules: [owners] });
          // Spawned after the nursery, so halted before the nursery's own task when the body
          // ends: the child's failure comes in the middle of the teardown.
          yield* spawn(function* () {
            yield* ensure(function* () {
              process.kill(victim.actor.pid, 'SIGKILL');
              yield* sleep(500);
            });
            yield* suspend();
          });
          yield* sleep(0); // the task starts, and its ensure is registered
        });
      } catch (error) {
        return error;
      }
      return 'not failed';
    }).catch((error: unknown) => ({ escaped: error }));
    expect(caught).toBeInstanceOf(BrokenActorError);
  });

  it('a body waiting inside all() (a boundary of its own) still fails at once', async () => {
    let started = Date.now();
    let error = await run(() =>
      failureOf(function* () {
        let nursery = yield* openNursery({ spare: false });
        let victim = yield* nursery.startActor('victim', { enableModules: [owners] });
        process.kill(victim.actor.pid, 'SIGKILL');
        yield* all([sleep(30_000), sleep(30_000)]);
      }),
    );
    expect(error).toBeInstanceOf(BrokenActorError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
