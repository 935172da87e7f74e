import { all, run, scoped, sleep, spawn, until } from 'effection';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentActor, openNursery, type Portal } from '../src/index.ts';
import { add, asyncAdd, slowAdd, whoami } from './fixtures/basic.ts';
import { envOf, waitWithCleanup } from './fixtures/cleanup.ts';
import { compileServices, expectNoLeaks, markers, tagProcesses, tempDir, waitFor, zombieChildren } from './helpers.ts';

const basic = new URL('./fixtures/basic.ts', import.meta.url);
const cleanupModule = new URL('./fixtures/cleanup.ts', import.meta.url);

let tag: string;
beforeEach(() => {
  tag = tagProcesses();
});

describe.each(['process', 'thread'] as const)('nursery and portals (%s actors)', (backend) => {
  afterEach(async () => {
    await expectNoLeaks(tag);
  });

  it('runs functions in a started actor and reports who it is', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let portal = yield* nursery.startActor('worker', { enableModules: [basic], spawn: backend });
      expect(yield* portal.run(add, 1, 2)).toBe(3);
      expect(yield* portal.run(slowAdd, 3, 4)).toBe(7);
      expect(yield* portal.run(asyncAdd, 5, 6)).toBe(11);
      let info = yield* portal.run(whoami);
      expect(info).toMatchObject({ name: 'worker', uid: portal.actor.uid, parent: { name: 'root', uid: currentActor().uid } });
      expect(info.address).toBe(portal.actor.address);
      if (backend === 'process') expect(info.pid).not.toBe(process.pid);
      else expect(info.pid).toBe(process.pid);
      expect(nursery.children).toEqual([{ name: 'worker', uid: portal.actor.uid, pid: portal.actor.pid }]);
    });
  });

  it('awaits a runInActor actor and gives its result', async () => {
    let result = await run(function* () {
      let nursery = yield* openNursery();
      let portal = yield* nursery.runInActor(slowAdd, [40, 2], { spawn: backend });
      expect(portal.actor.name).toBe('slowAdd');
      return yield* portal.result();
    });
    expect(result).toBe(42);
  });

  it('waits for runInActor actors when the scope completes', async () => {
    let portals: Portal<number>[] = [];
    await run(function* () {
      yield* scoped(function* () {
        let nursery = yield* openNursery();
        for (let i = 0; i < 3; i++) portals.push(yield* nursery.runInActor(slowAdd, [i, 1], { spawn: backend, name: `adder-${i}` }));
      });
      // The nursery is closed, and every result was collected before it closed.
      expect(yield* all(portals.map((portal) => portal.result()))).toEqual([1, 2, 3]);
    });
  });

  it('waits for runInActor actors when a task body (not only scoped) completes', async () => {
    let portal: Portal<number> | undefined;
    await run(function* () {
      let task = yield* spawn(function* () {
        let nursery = yield* openNursery();
        portal = yield* nursery.runInActor(slowAdd, [20, 1], { spawn: backend });
      });
      yield* task;
      expect(yield* portal!.result()).toBe(21);
    });
  });

  it("gives an actor this process's environment as it is when the actor starts (even from the warm spare)", async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let first = yield* nursery.startActor('before', { enableModules: [cleanupModule], spawn: backend });
      expect(yield* first.run(envOf, 'HARROW_TEST_LATE')).toBe(null);
      process.env.HARROW_TEST_LATE = 'set later';
      try {
        let second = yield* nursery.startActor('after', { enableModules: [cleanupModule], spawn: backend });
        expect(yield* second.run(envOf, 'HARROW_TEST_LATE')).toBe('set later');
        let third = yield* nursery.startActor('merged', { enableModules: [cleanupModule], spawn: backend, env: { HARROW_TEST_OWN: 'own' } });
        expect(yield* third.run(envOf, 'HARROW_TEST_OWN')).toBe('own');
        expect(yield* third.run(envOf, 'HARROW_TEST_LATE')).toBe('set later');
      } finally {
        delete process.env.HARROW_TEST_LATE;
      }
    });
  });

  it('serves 100 concurrent calls on one actor', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let portal = yield* nursery.startActor('busy', { enableModules: [basic], spawn: backend });
      let results = yield* all(Array.from({ length: 100 }, (_, i) => portal.run(slowAdd, i, i)));
      expect(results).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i));
    });
  });

  it('cancelActor stops one actor and waits for its exit', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let first = yield* nursery.startActor('first', { enableModules: [basic], spawn: backend });
      let second = yield* nursery.startActor('second', { enableModules: [basic], spawn: backend });
      yield* first.cancelActor();
      expect(nursery.children.map((child) => child.name)).toEqual(['second']);
      expect(yield* second.run(add, 2, 2)).toBe(4);
      yield* nursery.cancel();
      expect(nursery.children).toEqual([]);
    });
  });

  it('starts and tears down 50 actors in one nursery', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let portals = yield* all(Array.from({ length: 50 }, (_, i) => nursery.startActor(`many-${i}`, { enableModules: [basic], spawn: backend })));
      expect(nursery.children).toHaveLength(50);
      let sums = yield* all(portals.map((portal, i) => portal.run(add, i, 1)));
      expect(sums).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });
  }, 120_000);

  it('cancels startActor actors when the scope ends, even with calls in flight, which are halted', async () => {
    let dir = tempDir();
    try {
      await run(function* () {
        yield* scoped(function* () {
          let nursery = yield* openNursery();
          let portal = yield* nursery.startActor('sleeper', { enableModules: [cleanupModule], spawn: backend });
          yield* spawn(() => portal.run(waitWithCleanup, dir.path, 'call'));
          // The call is running in the actor when the scope ends.
          yield* until(waitFor(() => markers(dir.path).includes('call.started'), 10_000, 'the call to start'));
        });
      });
      // Its task was halted (its cleanup ran) before the actor exited.
      expect(markers(dir.path)).toEqual(['call.cleanup', 'call.started']);
    } finally {
      dir.remove();
    }
  });
});

describe('thread actors and the compiler their TypeScript loader runs', () => {
  afterEach(async () => {
    await expectNoLeaks(tag);
  });

  // tsx compiles a module it has not cached with a long-lived esbuild process, which would stay
  // a zombie after a thread actor (see spawn/confine-esbuild.mjs). With tsx's cache off, the
  // actor compiles every module it loads.
  it('a thread actor that compiles its modules runs no compile service, and leaves no zombie', async () => {
    await run(function* () {
      let nursery = yield* openNursery({ spare: false });
      let portal = yield* nursery.startActor('compiler', { enableModules: [basic], spawn: 'thread', env: { TSX_DISABLE_CACHE: '1' } });
      expect(yield* portal.run(add, 2, 3)).toBe(5);
      expect(compileServices(tag)).toEqual([]);
    });
    expect(zombieChildren()).toEqual([]);
  });

  it('a process actor that compiled its modules leaves its compile service for a moment at most', async () => {
    await run(function* () {
      let nursery = yield* openNursery({ spare: false });
      let portal = yield* nursery.startActor('compiler', { enableModules: [basic], env: { TSX_DISABLE_CACHE: '1' } });
      expect(yield* portal.run(add, 2, 3)).toBe(5);
    });
    // expectNoLeaks (after each) gives a compile service its moment, then fails on anything left.
  });
});
