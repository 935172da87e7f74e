/**
 * Process-level fault injection: actors stopped (SIGSTOP) mid-stream, connections severed under
 * an actor, actors that die right after `started`, a root killed while its warm spare starts or
 * hands over, and SIGKILLs raining into a streaming tree. Each test is bounded in time (a hang
 * is a failure within seconds, never a test timeout), checks that the tree is torn down within
 * its cancel ladder (cancelTimeout + killTimeout + a margin), and that nothing survives
 * (perTest's leak check, plus explicit checks).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { race, run, scoped, sleep, spawn, until, withResolvers, type Operation } from 'effection';
import { describe, expect, it } from 'vitest';
import { ActorGroupError, BrokenActorError, RemoteActorError, TransportError, openNursery, type Portal } from '../src/index.ts';
import { add } from './fixtures/basic.ts';
import { countUp, naturals, severParent, startBranches, startedThenDie, type Sever } from './fixtures/faults.ts';
import { alive, expectNoLeaks, failureOf, markers, parentOf, perTest, startProgram, tagged, waitFor } from './helpers.ts';

const faults = new URL('./fixtures/faults.ts', import.meta.url);
const basic = new URL('./fixtures/basic.ts', import.meta.url);
const faultsRoot = new URL('./programs/faults-root.ts', import.meta.url);

const env = perTest();

/** Small ladder timeouts, so that a stuck actor's teardown is quick to wait for. */
const LADDER = { cancelTimeout: 500, killTimeout: 500 };
/** What a ladder's bound allows on top of cancelTimeout + killTimeout (as cancellation.test.ts). */
const MARGIN = 500;
const boundOf = (ladder: { cancelTimeout: number; killTimeout: number }) => ladder.cancelTimeout + ladder.killTimeout + MARGIN;
/** The flow-control window of a stream (DEFAULT_WINDOW): at most this many items are ever in flight. */
const WINDOW = 256;

/** A process's state letter in /proc (R, S, T for stopped, Z, …), or undefined once it is gone. */
function procState(pid: number): string | undefined {
  try {
    let stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}


function isNode(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === process.execPath;
  } catch {
    return false;
  }
}

/** Live Node processes started under this test's tag whose parent is `ppid`. */
function nodeChildrenOf(ppid: number): number[] {
  return tagged(env.tag).filter((pid) => parentOf(pid) === ppid && isNode(pid));
}

function carriesTag(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`HARROW_TEST_TAG=${env.tag}`);
  } catch {
    return false;
  }
}

/** This process's end of the socket pair of its child actor `pid` (the ChildProcess's fd 3). */
function socketTo(pid: number): { destroy(): void; readableEnded: boolean; destroyed: boolean } | undefined {
  let handles = (process as unknown as { _getActiveHandles(): { pid?: number; stdio?: unknown[] }[] })._getActiveHandles();
  return handles.find((handle) => handle.pid === pid)?.stdio?.[3] as ReturnType<typeof socketTo>;
}

/**
 * Run `body` in a scope of its own (failureOf) under `run`: what the scope threw, and what
 * escaped it (an error that failed the enclosing task although the scope was in a try/catch).
 */
async function scopeOutcome(body: () => Operation<unknown>): Promise<{ error: unknown; escaped: unknown }> {
  let error: unknown;
  let escaped: unknown;
  try {
    await run(function* () {
      error = yield* failureOf(body);
    });
  } catch (thrown) {
    escaped = thrown;
  }
  return { error, escaped };
}

/** Wait in an operation until `check()` holds (polling another process's state). */
function* poll(check: () => boolean, timeoutMs: number, what: string): Operation<void> {
  yield* until(waitFor(check, timeoutMs, what));
}

/** `operation`, or an error saying it hung if it has not ended within `ms`. */
function* within<T>(ms: number, what: string, operation: () => Operation<T>): Operation<T> {
  return yield* race([
    operation(),
    (function* (): Operation<never> {
      yield* sleep(ms);
      throw new Error(`hang: ${what} did not happen within ${ms} ms`);
    })(),
  ]);
}

function describeError(error: unknown): string {
  return String((error as Error)?.stack ?? error);
}

/** Pull `next` for ever, checking the items are 0, 1, 2, …; `seen` counts them and times the last. */
function* consumeInOrder(next: () => Operation<IteratorResult<number, unknown>>, seen: { count: number; at: number }): Operation<void> {
  while (true) {
    let item = yield* next();
    if (item.done) throw new Error(`the stream ended after ${seen.count} items`);
    if (item.value !== seen.count) throw new Error(`item ${seen.count} arrived as ${item.value}: lost or reordered`);
    seen.count++;
    seen.at = Date.now();
  }
}

/** Open an endless stream of 0, 1, 2, … from `portal`, through `openStreamFrom` or a context. */
function* openCounting(portal: Portal, through: 'openStreamFrom' | 'context'): Operation<() => Operation<IteratorResult<number, unknown>>> {
  if (through === 'openStreamFrom') {
    let subscription = yield* portal.openStreamFrom(naturals);
    return () => subscription.next();
  }
  let { ctx, first } = yield* portal.openContext(countUp);
  expect(first).toBe('counting');
  let stream = yield* ctx.openStream();
  return () => stream.next();
}

describe('SIGSTOP of an actor mid-stream', () => {
  it.each(['openStreamFrom', 'context'] as const)('then SIGCONT (%s): the stream stalls, then resumes with nothing lost or reordered', async (through) => {
    await run(function* () {
      let nursery = yield* openNursery(LADDER);
      let portal = yield* nursery.startActor('stopped', { enableModules: [faults] });
      let pid = portal.actor.pid;
      let next = yield* openCounting(portal, through);
      let seen = { count: 0, at: 0 };
      yield* spawn(() => consumeInOrder(next, seen));
      yield* poll(() => seen.count >= 2_000, 10_000, 'the stream to flow');

      process.kill(pid, 'SIGSTOP');
      yield* poll(() => procState(pid) === 'T', 2_000, 'the actor to stop');
      let atStop = seen.count;
      // What was in flight still arrives (a window of it at most); then nothing, for as long
      // as the actor stays stopped.
      yield* poll(() => Date.now() - seen.at > 300, 5_000, 'the stream to stall');
      let stalledAt = seen.count;
      expect(stalledAt - atStop).toBeLessThanOrEqual(WINDOW);

      process.kill(pid, 'SIGCONT');
      yield* poll(() => seen.count >= stalledAt + 5_000, 10_000, 'the stream to resume');
      expect(procState(pid)).not.toBe('T');
    });
  });

  // A stopped process reads no cancel request and ignores SIGTERM until it is continued: only
  // the ladder's SIGKILL ends it, and the scope must still end within the ladder's bound. A
  // cancelTimeout longer than killTimeout, so that a second wait of it shows.
  const STOP_LADDER = { cancelTimeout: 1_000, killTimeout: 300 };
  const streams = [
    ['openStreamFrom', ['openStreamFrom']],
    ['context', ['context']],
    ['three openStreamFrom streams', ['openStreamFrom', 'openStreamFrom', 'openStreamFrom']],
  ] as const;
  it.each(streams)(`the caller's scope ends while the actor is stopped (%s): it is gone within cancelTimeout + killTimeout + ${MARGIN} ms`, async (_name, throughs) => {
    let pid = 0;
    let elapsed = await run(function* () {
      let start = 0;
      yield* scoped(function* () {
        let nursery = yield* openNursery(STOP_LADDER);
        let portal = yield* nursery.startActor('stopped', { enableModules: [faults] });
        pid = portal.actor.pid;
        let seens: { count: number; at: number }[] = [];
        for (let through of throughs) {
          let next = yield* openCounting(portal, through);
          let seen = { count: 0, at: 0 };
          seens.push(seen);
          yield* spawn(() => consumeInOrder(next, seen));
        }
        yield* poll(() => seens.every((seen) => seen.count >= 1_000), 10_000, 'the streams to flow');
        process.kill(pid, 'SIGSTOP');
        yield* poll(() => procState(pid) === 'T', 2_000, 'the actor to stop');
        start = Date.now();
      });
      return Date.now() - start;
    });
    expect(alive(pid)).toBe(false);
    expect(elapsed).toBeLessThan(boundOf(STOP_LADDER));
  });
});

describe("an actor's connection to its parent severed under it, mid-stream", () => {
  // `destroy`: the actor destroys its own socket and notices; `destroy-and-wedge`: and then
  // blocks its event loop, so only its parent can end it; `close-fd`: it closes fd 3 behind
  // Node's back and notices at its next write; `close-fd-idle`: it closes fd 3 and writes no
  // more, so it never notices; `parent`: the parent destroys its own end.
  const HOW = ['destroy', 'destroy-and-wedge', 'close-fd', 'close-fd-idle', 'parent'] as const;
  // An actor that closed its connection cleanly is given a second to exit, as one does just
  // after (src/nursery/child-actor.ts): one that does not is killed, and its calls fail.
  it.each(HOW)('%s: the consumer gets BrokenActorError or TransportError within 2 s, and the actor is gone', async (how) => {
    let pid = 0;
    let severed = 0;
    let { error, escaped } = await scopeOutcome(function* () {
      let nursery = yield* openNursery(LADDER);
      let portal = yield* nursery.startActor('severed', { enableModules: [faults] });
      pid = portal.actor.pid;
      let sever: Sever = how === 'parent' ? 'destroy' : how;
      // For `parent`, the actor never severs anything itself (it would after 1e12 items).
      let subscription = yield* portal.openStreamFrom(severParent, sever, how === 'parent' ? 1e12 : 100, env.dir);
      for (let i = 0; i < 100; i++) expect(yield* subscription.next()).toEqual({ done: false, value: i });
      if (how === 'parent') {
        let end = socketTo(pid);
        expect(end, "this process's end of the actor's socket").toBeDefined();
        end!.destroy();
      } else {
        yield* poll(() => markers(env.dir).includes('severing'), 5_000, 'the actor to sever its connection');
      }
      severed = Date.now();
      yield* within(3_000, 'an error from the severed stream', function* () {
        while (true) yield* subscription.next();
      });
    });
    // Timed from the sever itself (the marker is written just before it): the failure can end
    // the scope while this test is still between two looks for the marker.
    if (how !== 'parent') severed = statSync(join(env.dir, 'severing')).mtimeMs;
    let elapsed = Date.now() - severed;
    expect.soft(escaped, `escaped the scope: ${describeError(escaped)}`).toBeUndefined();
    expect(error, describeError(error)).toSatisfy((e: unknown) => e instanceof BrokenActorError || e instanceof TransportError);
    expect(elapsed).toBeLessThan(2_000);
    expect(alive(pid)).toBe(false);
  });
});

describe('an actor that dies between `started` and its first message', () => {
  // `after-closing` makes the window between the end of its connection and its exit (which
  // the parent sees apart) 300 ms wide on purpose; the caller opens its stream inside it.
  const cases = [
    ['process', 'exit', 'at-once'],
    ['process', 'exit', 'after-go'],
    ['process', 'exit', 'after-closing'],
    ['process', 'kill', 'at-once'],
    ['process', 'kill', 'after-go'],
    ['process', 'kill', 'after-closing'],
    ['thread', 'exit', 'at-once'],
    ['thread', 'exit', 'after-go'],
  ] as const;
  it.each(cases)('%s actor, %s, %s: the caller gets BrokenActorError within 1 s, not a hang', async (backend, how, when) => {
    let started = 0;
    let { error, escaped } = await scopeOutcome(function* () {
      let nursery = yield* openNursery(LADDER);
      let portal = yield* nursery.startActor('dies', { enableModules: [faults], spawn: backend });
      let pid = portal.actor.pid;
      let { ctx, first } = yield* portal.openContext(startedThenDie, how, when, env.dir);
      started = Date.now();
      expect(first).toBe('up');
      if (when === 'after-closing') {
        // Until this side has read the end of the connection (the actor is alive 300 ms more).
        yield* poll(() => markers(env.dir).includes('closed') && socketTo(pid)?.readableEnded === true, 5_000, 'the end of the connection');
      }
      yield* within(2_000, 'an error from the dead context', function* () {
        let stream = yield* ctx.openStream();
        if (when === 'after-go') yield* stream.send('go');
        let item = yield* stream.next();
        throw new Error(`the stream gave ${JSON.stringify(item)}, which the actor never sent`);
      });
    });
    let elapsed = Date.now() - started;
    expect.soft(escaped, `escaped the scope: ${describeError(escaped)}`).toBeUndefined();
    expect(error, describeError(error)).toBeInstanceOf(BrokenActorError);
    let { exitCode, signal } = error as BrokenActorError;
    if (how === 'exit') expect(exitCode).toBe(7);
    else expect(signal).toBe('SIGKILL');
    expect(elapsed).toBeLessThan(1_000);
  });
  // A new call in that window (the connection ended, the exit not yet seen) is told the same:
  // it is never sent, and fails when the actor's outcome is known (a bare "channel is closed"
  // TransportError before, which a caller retrying on BrokenActorError did not expect).
  it.each(['run', 'stream', 'context'] as const)('a %s call made after the connection ended, before the exit, fails with BrokenActorError', async (kind) => {
    let { error, escaped } = await scopeOutcome(function* () {
      let nursery = yield* openNursery(LADDER);
      let portal = yield* nursery.startActor('dies', { enableModules: [faults, basic] });
      let pid = portal.actor.pid;
      yield* portal.openContext(startedThenDie, 'exit', 'after-closing', env.dir);
      yield* poll(() => markers(env.dir).includes('closed') && socketTo(pid)?.readableEnded === true, 5_000, 'the end of the connection');
      // An argument the codec cannot carry is still its TypeError, at once.
      let bad = yield* failureOf(() => portal.run(add, 1, { cb: () => 2 } as never));
      expect((bad as Error).message).toBe('args[1].cb is a function');
      yield* within(2_000, `an error from the ${kind} call`, function* () {
        if (kind === 'run') yield* portal.run(add, 1, 2);
        else if (kind === 'stream') yield* (yield* portal.openStreamFrom(naturals)).next();
        else yield* portal.openContext(countUp);
        throw new Error(`the ${kind} call succeeded on an actor that had ended its connection`);
      });
    });
    expect.soft(escaped, `escaped the scope: ${describeError(escaped)}`).toBeUndefined();
    expect(error, describeError(error)).toBeInstanceOf(BrokenActorError);
    expect((error as BrokenActorError).exitCode).toBe(7);
  });
});

describe('a root SIGKILLed while its warm spare starts or hands over', () => {
  /**
   * Start faults-root.ts in `mode`; `ready` waits for the moment to kill it and returns the
   * pids to check. SIGKILL it then; every descendant must be gone within 2 s.
   */
  async function killRootWhen(mode: string, ready: (root: number, program: ReturnType<typeof startProgram>) => Promise<number[]>): Promise<void> {
    let program = startProgram(faultsRoot, [mode], { HARROW_TEST_MARKERS: env.dir });
    try {
      let root = Number((await program.line(/^root \d+$/)).split(' ')[1]);
      let watched = await ready(root, program);
      expect(watched.length).toBeGreaterThan(0);
      program.process.kill('SIGKILL');
      await program.exited;
      let killed = Date.now();
      await expectNoLeaks(env.tag, 2_000);
      expect(Date.now() - killed).toBeLessThan(2_000);
      for (let pid of watched) expect(alive(pid)).toBe(false);
    } finally {
      program.process.kill('SIGKILL');
    }
  }

  it('as soon as the spare process exists', async () => {
    await killRootWhen('spare', async (root) => {
      await waitFor(() => nodeChildrenOf(root).length > 0, 10_000, 'the spare');
      return nodeChildrenOf(root);
    });
  });

  it('while an actor takes the spare that is still starting up (the spawn spec waits in its socket)', async () => {
    await killRootWhen('spawn', async (root, program) => {
      await waitFor(() => nodeChildrenOf(root).length > 0, 10_000, 'the spare');
      // The actor is not ready yet: the kill lands in the handshake.
      expect(program.lines.some((line) => line.startsWith('started'))).toBe(false);
      return nodeChildrenOf(root);
    });
  });

  it('while the actor that took the spare imports its modules', async () => {
    await killRootWhen('importing', async () => {
      await waitFor(() => markers(env.dir).includes('importing'), 20_000, 'the actor to start importing');
      return [Number(readFileSync(join(env.dir, 'importing'), 'utf8'))];
    });
  });

  it('as soon as the next spare exists, after the first was handed an actor', async () => {
    await killRootWhen('respare', async (root, program) => {
      let actor = Number((await program.line(/^started \d+$/)).split(' ')[1]);
      await waitFor(() => nodeChildrenOf(root).some((pid) => pid !== actor), 10_000, 'the next spare');
      return nodeChildrenOf(root);
    });
  });
});

/** A small seeded PRNG (mulberry32), so that a failing run can be told by its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every error inside `error`: itself, and those of an ActorGroupError, recursively. */
function flatten(error: unknown): unknown[] {
  return error instanceof ActorGroupError ? [error, ...error.errors.flatMap(flatten)] : [error];
}

describe('50 random SIGKILLs into a 30-actor tree while it streams', () => {
  // process: depth 3, 3 + 9 + 18 process actors. thread: 10 process actors each with 2 thread
  // actors (a thread cannot be SIGKILLed; its process can, and its threads go with it).
  const trees = [
    ['process', [3, 3, 2], ['process', 'process', 'process']],
    ['thread', [10, 2], ['process', 'thread']],
  ] as const;
  it.each(trees)('%s actors: the root sees failures, teardown ends within the ladder bound, nothing survives', async (_kind, breadths, backends) => {
    const ACTORS = 30;
    const KILLS = 50;
    const PERIOD_MS = 10;
    let seed = Date.now() >>> 0;
    let next = random(seed);
    let killsDone = withResolvers<void>();
    // What the root's scope threw, and how long its teardown took from the moment its body ended.
    let caught: { error: unknown; teardownMs: number } | undefined;
    let tree = run(function* () {
      let teardown = 0;
      let error = yield* failureOf(function* () {
        // Thirty actors booting on two cores: allow for a loaded machine.
        yield* startBranches('t', [...breadths], [...backends], env.dir, { ...LADDER, bootTimeout: 40_000 }, PERIOD_MS);
        try {
          yield* killsDone.operation;
        } finally {
          // The body ends here: killed actors failed the nursery, or the kills are done.
          teardown = Date.now();
        }
      });
      caught = { error, teardownMs: Date.now() - teardown };
    });
    // An error that escapes the root's scope fails `tree` itself.
    let ended: { escaped?: unknown } | undefined;
    tree.then(() => (ended = {}), (escaped) => (ended = { escaped }));

    let ready = () => markers(env.dir).filter((name) => name.endsWith('.ready'));
    let flowing = () => markers(env.dir).filter((name) => name.endsWith('.flowing'));
    try {
      await waitFor(() => ended !== undefined || (ready().length === ACTORS && flowing().length === ACTORS), 40_000, 'the tree to stand and its streams to flow');
      if (ended) throw new Error(`the tree failed while it was built, before any kill: ${describeError(caught?.error ?? ended.escaped)}`);
    } catch (error) {
      await tree.halt().catch(() => {});
      throw error;
    }

    let pids = [...new Set(ready().map((name) => Number(readFileSync(join(env.dir, name), 'utf8'))))].filter((pid) => pid !== process.pid);
    expect(pids).toHaveLength(backends[1] === 'thread' ? breadths[0] : ACTORS);
    let hit = 0;
    for (let i = 0; i < KILLS; i++) {
      let pid = pids[Math.floor(next() * pids.length)]!;
      // Never a pid that is no longer ours (gone, and reused by another process).
      if (carriesTag(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
          hit++;
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    killsDone.resolve();
    await waitFor(() => ended !== undefined, 10_000, "the root's scope to end");

    let context = `seed ${seed}, ${hit} kills hit a live actor`;
    // Whatever else happened, nothing may be left running.
    await expectNoLeaks(env.tag);
    expect(hit, context).toBeGreaterThan(0);
    // A consumer task whose producer is killed while the scope tears down (the kills go on
    // after the first one failed the nursery) fails in the middle of that teardown, and
    // effection 4.1.1 raises such a failure into the boundary outside the scope, past its
    // try/catch (fixed upstream by effection#1168, not released): so the failure may arrive
    // there instead. Harrow's own tasks never do (owner.test.ts); either way it is reported.
    expect(caught ?? ended!.escaped, `${context}: the root's scope did not end by itself`).toBeDefined();
    let error = ended!.escaped ?? caught!.error;
    let errors = flatten(error);
    for (let each of errors) {
      expect(each instanceof BrokenActorError || each instanceof RemoteActorError || each instanceof ActorGroupError, `${context}: ${describeError(each)}`).toBe(true);
      expect(String((each as Error).message), context).not.toMatch(/out of order/);
    }
    if (caught) expect(caught.teardownMs, context).toBeLessThan(boundOf(LADDER));
  }, 60_000);
});
