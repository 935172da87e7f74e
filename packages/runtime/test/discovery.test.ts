import { run, scoped, sleep, spawn, suspend } from 'effection';
import { describe, expect, it } from 'vitest';
import { findActor, openNursery, queryRegistry, TimeoutError, waitForActor } from '../src/index.ts';
import { askByName, holdSubtree, identify, registryNames, startDetachedSleeper, waitAndAsk } from './fixtures/discovery.ts';
import { alive, failureOf, perTest, waitFor } from './helpers.ts';
import { sharedConnectionCount } from '../src/discovery/shared-connection.ts';

const discovery = new URL('./fixtures/discovery.ts', import.meta.url);

describe('the registry', () => {
  perTest();

  it('lists a 3-level tree from the root and from a leaf', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let mid = yield* nursery.runInActor(holdSubtree, ['leaf'], { name: 'mid' });
      let leaf = yield* waitForActor('leaf', { timeout: 10_000 });
      let entries = yield* queryRegistry();
      expect(entries.map((entry) => entry.name)).toEqual(['root', 'mid', 'leaf']);
      let byName = Object.fromEntries(entries.map((entry) => [entry.name, entry]));
      expect(byName.mid).toMatchObject({ uid: mid.actor.uid, pid: mid.actor.pid, parent: { name: 'root' } });
      expect(byName.leaf.parent).toEqual({ name: 'mid', uid: mid.actor.uid });
      expect(byName.leaf.host).toBe(leaf.actor.host);
      expect(yield* leaf.run(registryNames)).toEqual(['root', 'mid', 'leaf']);
      expect(yield* leaf.run(identify)).toMatchObject({ name: 'leaf', uid: byName.leaf.uid });
      // From the leaf, by name, to its grandparent's other child... and to itself.
      expect(yield* leaf.run(askByName, 'mid')).toBe('mid');
      expect(yield* leaf.run(askByName, 'nobody')).toBe(null);
      yield* nursery.cancel();
    });
  });

  it('removes an exited actor within a second', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let daemon = yield* nursery.startActor('short-lived', { enableModules: [discovery] });
      expect((yield* queryRegistry()).map((entry) => entry.name)).toContain('short-lived');
      process.kill(daemon.actor.pid, 'SIGKILL');
      let killedAt = Date.now();
      yield* until(() => !alive(daemon.actor.pid));
      while ((yield* queryRegistry()).some((entry) => entry.name === 'short-lived')) yield* sleep(10);
      expect(Date.now() - killedAt).toBeLessThan(1000);
      yield* nursery.cancel();
    }).catch((error) => {
      // The nursery fails with the killed actor's BrokenActorError: that is expected here.
      if (error?.name !== 'BrokenActorError') throw error;
    });
  });

  it('removes a SIGKILLed actor within a second, and its nursery hears of it, while a process it started outside its group holds its stderr', async () => {
    let sleeper = 0;
    try {
      await run(function* () {
        // The root outlives the nursery that fails, so its registry can be asked afterwards.
        yield* openNursery({ spare: false });
        let killedAt = 0;
        let error = yield* failureOf(function* () {
          let nursery = yield* openNursery({ spare: false });
          let holder = yield* nursery.startActor('holder', { enableModules: [discovery] });
          sleeper = yield* holder.run(startDetachedSleeper);
          process.kill(holder.actor.pid, 'SIGKILL');
          killedAt = Date.now();
          // The nursery fails once it has judged the exit, which ends this scope.
          yield* suspend();
        });
        expect(error).toMatchObject({ name: 'BrokenActorError' });
        expect(Date.now() - killedAt).toBeLessThan(1000);
        while ((yield* queryRegistry()).some((entry) => entry.name === 'holder')) yield* sleep(10);
        expect(Date.now() - killedAt).toBeLessThan(1000);
      });
    } finally {
      // It left the tree on purpose (a group of its own): the test ends it.
      if (sleeper) {
        process.kill(sleeper, 'SIGKILL');
        await waitFor(() => !alive(sleeper), 2_000, 'the detached sleep to exit');
      }
    }
  });

  it('waits for a sibling started later, and times out naming the actor', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let first = yield* nursery.startActor('first', { enableModules: [discovery] });
      let answer = yield* spawn(() => first.run(waitAndAsk, 'second', 10_000));
      yield* nursery.startActor('second', { enableModules: [discovery] });
      expect(yield* answer).toBe('second');
      let error = yield* failureOf(() => first.run(waitAndAsk, 'never', 200));
      expect(error).toMatchObject({ name: 'RemoteActorError', type: 'TimeoutError' });
      expect((error as Error).message).toContain("'never'");
      let local = yield* failureOf(() => waitForActor('never', { timeout: 50 }));
      expect(local).toBeInstanceOf(TimeoutError);
      expect(local).toMatchObject({ actor: 'never', timeout: 50 });
      yield* nursery.cancel();
    });
  });

  it('shares one connection among the portals a scope finds, and closes it when the scope ends; the actor lives on', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let daemon = yield* nursery.startActor('shared', { enableModules: [discovery] });
      let kept = yield* scoped(function* () {
        let first = (yield* findActor('shared'))!;
        let again = (yield* findActor('shared'))!;
        expect(again).toBe(first);
        expect(yield* again.run(identify)).toMatchObject({ name: 'shared' });
        return first;
      });
      // The finder's scope is over: its portal's connection is closed, the actor is not.
      let error = yield* failureOf(() => kept.run(identify));
      expect(String(error)).toMatch(/closed|cannot send|gone/);
      expect(nursery.children.map((child) => child.uid)).toEqual([daemon.actor.uid]);
      expect(yield* daemon.run(identify)).toMatchObject({ name: 'shared' });
      yield* nursery.cancel();
    });
  });

  it('lets go of the portal on each incarnation that ends: a scope that finds a restarted actor again and again holds no dead connection', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      for (let incarnation = 0; incarnation < 4; incarnation++) {
        let daemon = yield* nursery.startActor('phoenix', { enableModules: [discovery] });
        let found = (yield* findActor('phoenix'))!;
        expect(found.actor.uid).toBe(daemon.actor.uid);
        expect(yield* found.run(identify)).toMatchObject({ name: 'phoenix' });
        expect(sharedConnectionCount()).toBe(1);
        yield* daemon.cancelActor();
        // Still in the scope that found it: once the connection is gone, nothing holds it.
        yield* within(1000, 'the found portal on a cancelled actor to be let go', () => sharedConnectionCount() === 0);
      }
    });
  });

  it('cancels an actor through a found portal, which the nursery counts as cancelled', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let daemon = yield* nursery.startActor('victim', { enableModules: [discovery] });
      let found = (yield* findActor('victim'))!;
      expect(found.actor).toMatchObject({ name: 'victim', uid: daemon.actor.uid, pid: daemon.actor.pid });
      expect(yield* found.run(identify)).toMatchObject({ name: 'victim' });
      yield* found.cancelActor();
      expect(alive(daemon.actor.pid)).toBe(false);
      expect(nursery.children).toEqual([]);
      expect((yield* queryRegistry()).map((entry) => entry.name)).toEqual(['root']);
    });
  });

});

function* until(check: () => boolean) {
  while (!check()) yield* sleep(5);
}

function* within(ms: number, what: string, check: () => boolean) {
  let deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    yield* sleep(5);
  }
}
