import { race, run, scoped, sleep, spawn, suspend, type Operation } from 'effection';
import { describe, expect, it } from 'vitest';
import {
  ActorBootError,
  BrokenActorError,
  findActor,
  oneForAll,
  oneForOne,
  openNursery,
  restForOne,
  SupervisorError,
  type Nursery,
} from '../src/index.ts';
import { add } from './fixtures/basic.ts';
import { crashSoon, exitNormally, failingInit, pid, superviseCrasher, throwUncaught } from './fixtures/supervision.ts';
import { alive, failureOf, perTest } from './helpers.ts';
import { Intensity } from '../src/nursery/supervisor.ts';

const fixture = new URL('./fixtures/supervision.ts', import.meta.url);
const hangsOnImport = new URL('./fixtures/hangs-on-import.ts', import.meta.url);
const quick = { initial: 0, max: 0 };

/**
 * The pid of `name`'s current incarnation, through `nursery.portal(name)`. A call that reaches an
 * incarnation as it dies fails with BrokenActorError (it is not repeated for us: it may have
 * run); asked again, the portal waits for the next incarnation.
 */
function* pidOf(nursery: Nursery, name: string): Operation<number> {
  while (true) {
    try {
      return yield* nursery.portal(name).run(pid);
    } catch (error) {
      if (!(error instanceof BrokenActorError)) throw error;
    }
  }
}

function* pids(nursery: Nursery, names: string[]): Operation<Record<string, number>> {
  let found: Record<string, number> = {};
  for (let name of names) found[name] = yield* pidOf(nursery, name);
  return found;
}

/** Wait until `name`'s current incarnation is not `old` (it was restarted). */
function* restarted(nursery: Nursery, name: string, old: number): Operation<number> {
  while (true) {
    let now = yield* pidOf(nursery, name);
    if (now !== old) return now;
    yield* sleep(5);
  }
}

describe('restart intensity and back-off', () => {
  it('allows maxRestarts within the window, and backs off doubling, capped, with bounded jitter', () => {
    let strategy = oneForOne({ maxRestarts: 3, within: 1000, backoff: { initial: 10, max: 40, jitter: 0.2 } });
    let intensity = new Intensity(strategy);
    let delays: number[] = [];
    for (let at of [0, 10, 20]) {
      expect(intensity.allow(at)).toBe(true);
      delays.push(intensity.delay());
    }
    // 10, 20, 40 ms, each within ±20 %.
    [10, 20, 40].forEach((base, i) => expect(Math.abs(delays[i]! - base)).toBeLessThanOrEqual(base * 0.2));
    expect(intensity.allow(30)).toBe(false); // the fourth within 1000 ms
    expect(Math.abs(intensity.delay() - 40)).toBeLessThanOrEqual(8); // capped at max
    expect(intensity.allow(5000)).toBe(true); // the window has passed
  });
});

describe('supervision', () => {
  perTest();

  it('restarts a crashing actor maxRestarts times, then fails with SupervisorError holding the last failures', async () => {
    let error = await run(() =>
      failureOf(function* () {
        let nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 2, within: 10_000, backoff: quick }) });
        yield* nursery.startActor('flaky', { enableModules: [fixture], init: crashSoon });
        yield* suspend();
      }),
    );
    expect(error).toBeInstanceOf(SupervisorError);
    let errors = (error as SupervisorError).errors;
    expect(errors).toHaveLength(3);
    for (let each of errors) expect(each).toMatchObject({ name: 'BrokenActorError', exitCode: 3 });
    expect((error as Error).message).toMatch(/more than 2 restarts within 10000 ms/);
  });

  it('a caller retrying through nursery.portal(name) on BrokenActorError ends with the SupervisorError once the supervisor gives up', async () => {
    let started = Date.now();
    let error = await run(() =>
      failureOf(function* () {
        let nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 2, within: 10_000, backoff: quick }) });
        yield* nursery.startActor('flaky', { enableModules: [fixture], init: crashSoon });
        // Keeps calling, as the docs' `again` does, for as long as the calls meet dying incarnations.
        while (true) yield* pidOf(nursery, 'flaky');
      }),
    );
    expect(error).toBeInstanceOf(SupervisorError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('one-for-all restarts every child (new pids, the same names); rest-for-one only the one and those after it', async () => {
    await run(function* () {
      let all = yield* openNursery({ supervise: oneForAll({ backoff: quick }) });
      for (let name of ['a', 'b', 'c']) yield* all.startActor(name, { enableModules: [fixture] });
      let before = yield* pids(all, ['a', 'b', 'c']);
      process.kill(before.b!, 'SIGKILL');
      yield* restarted(all, 'b', before.b!);
      let after = yield* pids(all, ['a', 'b', 'c']);
      for (let name of ['a', 'b', 'c']) expect(after[name], name).not.toBe(before[name]);
      expect(all.children.map((child) => child.name).sort()).toEqual(['a', 'b', 'c']);
      yield* all.cancel();

      let rest = yield* openNursery({ supervise: restForOne({ backoff: quick }) });
      for (let name of ['x', 'y', 'z']) yield* rest.startActor(name, { enableModules: [fixture] });
      let first = yield* pids(rest, ['x', 'y', 'z']);
      process.kill(first.y!, 'SIGKILL');
      yield* restarted(rest, 'y', first.y!);
      let then = yield* pids(rest, ['x', 'y', 'z']);
      expect(then.x).toBe(first.x);
      expect(then.y).not.toBe(first.y);
      expect(then.z).not.toBe(first.z);
    });
  });

  it('restarts a transient actor after a failure, not after a normal exit; a temporary one never', async () => {
    await run(function* () {
      let nursery = yield* openNursery({ supervise: oneForOne({ backoff: quick }) });
      let normal = yield* nursery.startActor('normal', { enableModules: [fixture], restart: 'transient' });
      let thrower = yield* nursery.startActor('thrower', { enableModules: [fixture], restart: 'transient' });
      let temporary = yield* nursery.startActor('temporary', { enableModules: [fixture], restart: 'temporary' });
      let throwerPid = thrower.actor.pid;

      yield* normal.run(exitNormally);
      yield* thrower.run(throwUncaught);
      yield* temporary.run(throwUncaught);
      let newThrower = yield* restarted(nursery, 'thrower', throwerPid);
      expect(newThrower).not.toBe(throwerPid);
      while (alive(normal.actor.pid) || alive(temporary.actor.pid)) yield* sleep(5);
      // Neither comes back, and the nursery has not failed for them.
      expect(nursery.children.map((child) => child.name)).toEqual(['thrower']);
      let gone = yield* failureOf(() => nursery.portal('temporary').run(pid));
      expect(gone).toBeInstanceOf(BrokenActorError);
      expect((gone as Error).message).toMatch(/restart: temporary/);
    });
  });

  it('reaches the new incarnation through nursery.portal(name) and findActor; a portal of the old one fails with BrokenActorError', async () => {
    await run(function* () {
      let nursery = yield* openNursery({ supervise: oneForOne({ backoff: quick }) });
      let first = yield* nursery.startActor('svc', { enableModules: [fixture] });
      let following = nursery.portal('svc');
      let old = yield* following.run(pid);
      process.kill(old, 'SIGKILL');
      let now = yield* restarted(nursery, 'svc', old);
      expect(following.actor.pid).toBe(now);
      expect(yield* (yield* findActor('svc'))!.run(pid)).toBe(now);
      let stale = yield* failureOf(() => first.run(pid));
      expect(stale).toBeInstanceOf(BrokenActorError);
    });
  });

  it('leaves exactly its children alive after a SIGKILL storm (20 kills in 2 s), and nothing after the scope', async () => {
    let names = ['w0', 'w1', 'w2', 'w3'];
    let seen = new Set<number>();
    await run(function* () {
      let nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 100, within: 10_000 }) });
      for (let name of names) yield* nursery.startActor(name, { enableModules: [fixture] });
      for (let kill = 0; kill < 20; kill++) {
        let children = nursery.children;
        let victim = children[Math.floor(Math.random() * children.length)];
        if (victim) {
          seen.add(victim.pid);
          process.kill(victim.pid, 'SIGKILL');
        }
        yield* sleep(100);
      }
      let current = yield* pids(nursery, names);
      for (let name of names) seen.add(current[name]!);
      expect(nursery.children.map((child) => child.name).sort()).toEqual(names);
      expect(Object.values(current).every(alive)).toBe(true);
    });
    expect([...seen].filter(alive)).toEqual([]);
  }, 30_000);

  it('escalates: a supervisor that gives up inside an actor fails that actor, and its own supervisor hears of it', async () => {
    let error = await run(() =>
      failureOf(function* () {
        let nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 0, within: 10_000, backoff: quick }) });
        let mid = yield* nursery.startActor('mid', { enableModules: [fixture] });
        yield* spawn(function* () {
          try {
            yield* scoped(function* () {
              yield* mid.openContext(superviseCrasher);
              yield* suspend();
            });
          } catch {
            // The context ends with mid's failure, which its nursery reports.
          }
        });
        yield* suspend();
      }),
    );
    expect(error).toBeInstanceOf(SupervisorError);
    let [midFailure] = (error as SupervisorError).errors;
    expect(midFailure).toMatchObject({ name: 'RemoteActorError', type: 'SupervisorError', src: { name: 'mid' } });
  });

  it('refuses runInActor, and an init that fails is the start\'s ActorBootError', async () => {
    await run(function* () {
      let nursery = yield* openNursery({ supervise: oneForOne() });
      let refused = yield* failureOf(function* () {
        yield* nursery.runInActor(add, [1, 2]);
      });
      expect(refused).toBeInstanceOf(TypeError);
      expect((refused as Error).message).toMatch(/supervising nursery/);
      let failed = yield* failureOf(() => nursery.startActor('bad-init', { enableModules: [fixture], init: failingInit }));
      expect(failed).toBeInstanceOf(ActorBootError);
      expect((failed as Error).message).toMatch(/its init failingInit failed: no database at this address/);
      expect(nursery.children).toEqual([]);
    });
  });

  it('frees the name of a first start that is halted, as of one that failed', async () => {
    await run(function* () {
      let nursery = yield* openNursery({ supervise: oneForOne(), spare: false, bootTimeout: 60_000 });
      // Lost to a sleep while its module still loads.
      yield* race([nursery.startActor('late', { enableModules: [hangsOnImport] }), sleep(50)]);
      let portal = yield* nursery.startActor('late', { enableModules: [fixture] });
      expect(yield* portal.run(pid)).toBe(portal.actor.pid);
      expect(yield* nursery.portal('late').run(pid)).toBe(portal.actor.pid);
    });
  });
});
