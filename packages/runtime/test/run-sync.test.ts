import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { all, run, spawn, until, type Operation } from 'effection';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokenWorkerError, RemoteActorError, openWorkerContext, runSync, type WorkerContext, type WorkerContextOptions } from '../src/index.ts';
import {
  abort,
  add,
  asyncFn,
  blockForever,
  echo,
  exitWith,
  fail,
  failInit,
  generatorFn,
  hold,
  interruptSelf,
  interval,
  killSelf,
  markInit,
  retireAfterTwo,
  retireAlways,
  sneakyAsync,
  spinForever,
  unmarked,
  unsendable,
  whoAmI,
} from './fixtures/jobs.ts';
import { double } from './fixtures/unguarded-jobs.ts';
import { alive, expectNoLeaks, markers, tagProcesses, tempDir, waitFor } from './helpers.ts';

let tag: string;
let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  tag = tagProcesses();
  dir = tempDir();
  process.env.HARROW_TEST_MARKERS = dir.path;
});
afterEach(async () => {
  // Every context is closed when its test's scope ends: no worker may be left.
  await expectNoLeaks(tag);
  delete process.env.HARROW_TEST_MARKERS;
  dir.remove();
});

type WorkerType = 'process' | 'thread';

/** Run `body` with a worker context of its own, closed when `body` returns. */
function withContext<T>(workerType: WorkerType, options: WorkerContextOptions, body: (ctx: WorkerContext) => Operation<T>): Promise<T> {
  return run(function* () {
    let ctx = yield* openWorkerContext({ ...options, workerType });
    return yield* body(ctx);
  });
}

/** The pid part of a `whoAmI` id. */
function pidOf(id: string): number {
  return Number(id.split(':')[0]);
}

function started(name: string): string {
  return readFileSync(join(dir.path, `${name}.started`), 'utf8');
}

function* waitForMarker(name: string, timeoutMs = 20_000): Operation<void> {
  yield* until(waitFor(() => markers(dir.path).includes(name), timeoutMs, `marker ${name}`));
}

describe.each(['process', 'thread'] as const)('runSync (%s workers)', (workerType) => {
  const processOnly = workerType === 'process' ? it : it.skip;

  it('returns the result, and the same worker serves consecutive calls', async () => {
    await withContext(workerType, {}, function* (ctx) {
      expect(yield* ctx.runSync(add, [2, 3])).toBe(5);
      let first = yield* ctx.runSync(whoAmI, []);
      let second = yield* ctx.runSync(whoAmI, []);
      expect(second).toBe(first);
      if (workerType === 'process') expect(pidOf(first)).not.toBe(process.pid);
      else expect(pidOf(first)).toBe(process.pid);
      expect(ctx.statistics()).toEqual({ idleWorkers: 1, runningWorkers: 0 });
    });
  });

  it('reuses the most recently returned worker first (LIFO)', async () => {
    await withContext(workerType, { limit: 2 }, function* (ctx) {
      let a = yield* spawn(() => ctx.runSync(hold, [dir.path, 'a']));
      let b = yield* spawn(() => ctx.runSync(hold, [dir.path, 'b']));
      yield* waitForMarker('a.started');
      yield* waitForMarker('b.started');
      expect(started('a')).not.toBe(started('b'));
      // b's worker returns first, a's last: a's is on top.
      markGo('b');
      yield* b;
      markGo('a');
      yield* a;
      expect(ctx.statistics()).toEqual({ idleWorkers: 2, runningWorkers: 0 });
      expect(yield* ctx.runSync(whoAmI, [])).toBe(started('a'));
      expect(yield* ctx.runSync(whoAmI, [])).toBe(started('a'));
    });
  });

  it('delivers an error thrown by fn as a RemoteActorError, and the worker serves the next call', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let before = yield* ctx.runSync(whoAmI, []);
      let error = yield* caught(ctx.runSync(fail, ['out of range']));
      expect(error).toBeInstanceOf(RemoteActorError);
      let remote = error as RemoteActorError;
      expect(remote.type).toBe('RangeError');
      expect(remote.message).toBe('out of range');
      expect(remote.remoteStack).toContain('at fail ');
      expect(remote.stack).toContain('remote stack');
      expect(yield* ctx.runSync(whoAmI, [])).toBe(before);
    });
  });

  it('killOnCancel: the caller unwinds within 100 ms of the halt, the worker is gone, the pool stays usable', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let unwoundAt = 0;
      // Blocked in a synchronous call, as trio-parallel's test is (a busy loop: the next test).
      let task = yield* spawn(function* () {
        try {
          yield* ctx.runSync(blockForever, [dir.path, 'block'], { killOnCancel: true });
        } finally {
          unwoundAt = performance.now();
        }
      });
      yield* waitForMarker('block.started');
      let id = started('block');
      let haltedAt = performance.now();
      yield* task.halt();
      let halted = performance.now() - haltedAt;
      expect(unwoundAt - haltedAt, 'ms from the halt to the caller unwinding').toBeLessThan(100);
      expect(halted, 'ms from the halt to its end').toBeLessThan(100);
      // Killed and reaped before the halt completed.
      if (workerType === 'process') {
        expect(alive(pidOf(id))).toBe(false);
        yield* until(expectNoLeaks(tag, 0, { ownSentinel: true }));
      }
      expect(ctx.statistics()).toEqual({ idleWorkers: 0, runningWorkers: 0 });
      let next = yield* ctx.runSync(whoAmI, []);
      expect(next).not.toBe(id);
    });
  });

  it('killOnCancel ends a busy loop too: the halt completes once the worker is gone', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let task = yield* spawn(() => ctx.runSync(spinForever, [dir.path, 'spin'], { killOnCancel: true }));
      yield* waitForMarker('spin.started');
      let id = started('spin');
      let haltedAt = performance.now();
      yield* task.halt();
      // A spinning process must be scheduled to die; on a loaded machine that can take a while.
      expect(performance.now() - haltedAt).toBeLessThan(1_000);
      if (workerType === 'process') {
        expect(alive(pidOf(id))).toBe(false);
        yield* until(expectNoLeaks(tag, 0, { ownSentinel: true }));
      }
      expect(yield* ctx.runSync(add, [1, 2])).toBe(3);
    });
  });

  it('default cancellation waits for the running call to finish, and drops its result', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let outcome: string | undefined;
      let task = yield* spawn(function* () {
        // Ends by itself after 300 ms of busy work.
        outcome = yield* ctx.runSync(hold, [dir.path, 'held', 300]);
      });
      yield* waitForMarker('held.started');
      let id = started('held');
      expect(markers(dir.path)).not.toContain('held.done');
      yield* task.halt();
      // The halt completed only once the call had run to its end.
      expect(markers(dir.path)).toContain('held.done');
      expect(outcome).toBeUndefined();
      expect(ctx.statistics()).toEqual({ idleWorkers: 1, runningWorkers: 0 });
      expect(yield* ctx.runSync(whoAmI, [])).toBe(id);
    });
  });

  it('a worker that exits during a call is a BrokenWorkerError with its exit code; the pool stays usable', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let first = yield* ctx.runSync(whoAmI, []);
      let error = yield* caught(ctx.runSync(exitWith, [3]));
      expect(error).toBeInstanceOf(BrokenWorkerError);
      expect((error as BrokenWorkerError).exitCode).toBe(3);
      expect((error as BrokenWorkerError).signal).toBe(null);
      expect((error as BrokenWorkerError).message).toContain('died during a call to exitWith');
      let next = yield* ctx.runSync(whoAmI, []);
      expect(next).not.toBe(first);
      expect(ctx.statistics()).toEqual({ idleWorkers: 1, runningWorkers: 0 });
    });
  });

  processOnly.each([
    ['killed by SIGKILL', () => killSelf, ['SIGKILL'], 'SIGKILL'],
    ['killed by SIGSEGV', () => killSelf, ['SIGSEGV'], 'SIGSEGV'],
    ['aborted (a native crash)', () => abort, [], 'SIGABRT'],
  ] as const)('a worker %s during a call is a BrokenWorkerError naming the signal', async (_what, fn, args, signal) => {
    await withContext(workerType, {}, function* (ctx) {
      let error = yield* caught(ctx.runSync(fn() as typeof killSelf, args as unknown as [NodeJS.Signals]));
      expect(error).toBeInstanceOf(BrokenWorkerError);
      expect((error as BrokenWorkerError).signal).toBe(signal);
      expect((error as BrokenWorkerError).exitCode).toBe(null);
      expect(yield* ctx.runSync(add, [1, 1])).toBe(2);
    });
  });

  it('an idle worker exits by itself after idleTimeout; the next call gets a new one', async () => {
    await withContext(workerType, { idleTimeout: 200 }, function* (ctx) {
      let first = yield* ctx.runSync(whoAmI, []);
      // It says it is leaving, then exits: no longer idle, and (a process) gone.
      yield* until(waitFor(() => ctx.statistics().idleWorkers === 0, 10_000, 'the idle worker to leave'));
      if (workerType === 'process') yield* until(waitFor(() => !alive(pidOf(first)), 10_000, 'the idle worker to exit'));
      let second = yield* ctx.runSync(whoAmI, []);
      expect(second).not.toBe(first);
    });
  });

  it('retire after every call: every call gets a fresh worker', async () => {
    await withContext(workerType, { retire: retireAlways }, function* (ctx) {
      let ids = [];
      for (let i = 0; i < 3; i++) ids.push(yield* ctx.runSync(whoAmI, []));
      expect(new Set(ids).size).toBe(3);
    });
  });

  it('retire decides per worker: retiring after two calls pairs them up', async () => {
    await withContext(workerType, { retire: retireAfterTwo }, function* (ctx) {
      let ids = [];
      for (let i = 0; i < 4; i++) ids.push(yield* ctx.runSync(whoAmI, []));
      expect(ids[0]).toBe(ids[1]);
      expect(ids[2]).toBe(ids[3]);
      expect(ids[1]).not.toBe(ids[2]);
    });
  });

  it('init runs once in each new worker', async () => {
    await withContext(workerType, { init: markInit }, function* (ctx) {
      let ids = [];
      for (let i = 0; i < 3; i++) ids.push(yield* ctx.runSync(whoAmI, []));
      expect(new Set(ids).size).toBe(1);
      expect(markers(dir.path)).toEqual([`init-${ids[0]!.replace(':', '-')}`]);
    });
    await withContext(workerType, { init: markInit, retire: retireAlways }, function* (ctx) {
      let ids = [];
      for (let i = 0; i < 3; i++) ids.push(yield* ctx.runSync(whoAmI, []));
      let inits = markers(dir.path).filter((name) => name.startsWith('init-'));
      expect(inits).toHaveLength(4);
      for (let id of ids) expect(inits).toContain(`init-${id.replace(':', '-')}`);
    });
  });

  it('an init that throws is a BrokenWorkerError caused by its RemoteActorError', async () => {
    await withContext(workerType, { init: failInit }, function* (ctx) {
      let error = yield* caught(ctx.runSync(add, [1, 2]));
      expect(error).toBeInstanceOf(BrokenWorkerError);
      expect((error as BrokenWorkerError).exitCode).toBe(1);
      expect((error as BrokenWorkerError).message).toContain('failed in init');
      let cause = (error as BrokenWorkerError).cause as RemoteActorError;
      expect(cause).toBeInstanceOf(RemoteActorError);
      expect(cause.message).toBe('init refuses');
    });
  });

  it('runs at most `limit` calls at once, under 50 concurrent calls', async () => {
    await withContext(workerType, { limit: 3 }, function* (ctx) {
      let maxRunning = 0;
      let results = yield* all(Array.from({ length: 50 }, () => (function* () {
        let result = yield* ctx.runSync(interval, [20]);
        maxRunning = Math.max(maxRunning, ctx.statistics().runningWorkers);
        return result;
      })()));
      expect(results).toHaveLength(50);
      expect(new Set(results.map((result) => result.id)).size).toBeLessThanOrEqual(3);
      expect(maxOverlap(results)).toBeLessThanOrEqual(3);
      expect(maxRunning).toBeLessThanOrEqual(3);
      expect(ctx.statistics().runningWorkers).toBe(0);
      expect(ctx.statistics().idleWorkers).toBeLessThanOrEqual(3);
    });
  });

  it('an argument the codec cannot carry is a TypeError at the caller, and the worker is untouched', async () => {
    await withContext(workerType, {}, function* (ctx) {
      // With no worker yet: none is started for it.
      let cold = yield* caught(ctx.runSync(echo, [{ ok: 1, cb: () => 1 }] as never));
      expect(cold).toBeInstanceOf(TypeError);
      expect((cold as Error).message).toBe('args[0].cb is a function');
      expect(ctx.statistics()).toEqual({ idleWorkers: 0, runningWorkers: 0 });
      if (workerType === 'process') yield* until(expectNoLeaks(tag, 0, { ownSentinel: true }));

      let id = yield* ctx.runSync(whoAmI, []);
      let warm = yield* caught(ctx.runSync(add, [1, { cb: () => 1 }] as never));
      expect(warm).toBeInstanceOf(TypeError);
      expect((warm as Error).message).toBe('args[1].cb is a function');
      expect(ctx.statistics()).toEqual({ idleWorkers: 1, runningWorkers: 0 });
      expect(yield* ctx.runSync(whoAmI, [])).toBe(id);
    });
  });

  it('a result the codec cannot carry is a TypeError at the caller, and the worker serves on', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let id = yield* ctx.runSync(whoAmI, []);
      let error = yield* caught(ctx.runSync(unsendable, []));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('the result cannot be sent back: result.cb is a function');
      expect(yield* ctx.runSync(whoAmI, [])).toBe(id);
    });
  });

  it('carries 1 MiB both ways', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      let back = (yield* ctx.runSync(echo, [big])) as Uint8Array;
      expect(back).toBeInstanceOf(Uint8Array);
      expect(Buffer.compare(back, big)).toBe(0);
    });
  });

  it('refuses an async function, a generator function and an unmarked function with a TypeError; a function that returns a promise fails in the worker', async () => {
    await withContext(workerType, {}, function* (ctx) {
      let async = yield* caught(ctx.runSync(asyncFn as unknown as typeof whoAmI, []));
      expect(async).toBeInstanceOf(TypeError);
      expect((async as Error).message).toMatch(/asyncFn is an async function, but runSync workers run synchronous functions/);
      let generator = yield* caught(ctx.runSync(generatorFn as unknown as typeof whoAmI, []));
      expect(generator).toBeInstanceOf(TypeError);
      expect((generator as Error).message).toMatch(/generatorFn is a generator function/);
      // @ts-expect-error an unmarked function is a type error too; this is what a caller without types gets
      let plain = yield* caught(ctx.runSync(unmarked, []));
      expect(plain).toBeInstanceOf(TypeError);
      expect((plain as Error).message).toMatch(/unmarked is not marked with remote\(\)/);
      expect(ctx.statistics()).toEqual({ idleWorkers: 0, runningWorkers: 0 });
      let sneaky = yield* caught(ctx.runSync(sneakyAsync, []));
      expect(sneaky).toBeInstanceOf(RemoteActorError);
      expect((sneaky as RemoteActorError).type).toBe('TypeError');
      expect((sneaky as RemoteActorError).message).toMatch(/sneakyAsync returned a promise/);
    });
  });

  processOnly('a worker ignores SIGINT: Ctrl-C is the parent\'s to turn into cancellation', async () => {
    await withContext(workerType, {}, function* (ctx) {
      expect(yield* ctx.runSync(interruptSelf, [])).toBe('survived');
    });
  });

  it('a context ends its workers when its scope ends, and refuses calls after', async () => {
    let ids: string[] = [];
    let escaped = await withContext(workerType, { limit: 2 }, function* (ctx) {
      let both = yield* all([ctx.runSync(interval, [50]), ctx.runSync(interval, [50])]);
      ids = both.map((result) => result.id);
      expect(ctx.statistics().idleWorkers).toBe(2);
      return ctx;
    });
    if (workerType === 'process') for (let id of ids) expect(alive(pidOf(id))).toBe(false);
    let error = await run(() => caught(escaped.runSync(add, [1, 2])));
    expect((error as Error).message).toMatch(/worker context is closed/);
  });
});

describe('a job module that starts a program at its top level', () => {
  it.each(['process', 'thread'] as const)('fails the call at once, saying what to do; the %s worker is not reused', async (workerType) => {
    let [error, after] = await withContext(workerType, { limit: 1 }, function* (ctx) {
      process.env.UNGUARDED_MAIN = '1';
      let failure: unknown;
      try {
        failure = yield* caught(ctx.runSync(double, [2]));
      } finally {
        delete process.env.UNGUARDED_MAIN;
      }
      // The next call gets a new worker (without the program), not the one that left.
      return [failure, yield* ctx.runSync(double, [3])] as const;
    });
    expect(after).toBe(6);
    expect(error).toBeInstanceOf(RemoteActorError);
    expect((error as RemoteActorError).type).toBe('TopLevelProgramError');
    expect((error as Error).message).toMatch(/started a program at its top level while runSync worker .* imported it/);
  });
});

describe('openWorkerContext options', () => {
  it.each([
    [{ idleTimeout: -1 }, RangeError, /idleTimeout must be 0 or more/],
    [{ idleTimeout: '10' }, TypeError, /idleTimeout must be a number/],
    [{ limit: 0 }, RangeError, /limit must be a whole number of at least 1/],
    [{ limit: 1.5 }, RangeError, /limit must be a whole number/],
    [{ workerType: 'fork' }, TypeError, /workerType must be 'process' or 'thread'/],
    [{ init: () => 1 }, TypeError, /init: init is not marked with remote\(\)/],
    [{ retire: asyncFn }, TypeError, /retire: asyncFn is an async function/],
    [{ init: add }, TypeError, /init takes no arguments, but add declares 2/],
  ])('%o is refused', async (options, type, message) => {
    let error = await run(() => caught(openWorkerContext(options as WorkerContextOptions)));
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
  });
});

// ── helpers ──────────────────────────────────────────────────────────────────────────────────

/** Let the `hold` job called `name` finish. */
function markGo(name: string): void {
  writeFileSync(join(dir.path, `${name}.go`), '');
}

function* caught(operation: Operation<unknown>): Operation<unknown> {
  try {
    yield* operation;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail');
}

/** The largest number of the intervals that overlap at one instant. */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  let events = intervals.flatMap(({ start, end }) => [[start, 1], [end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (let [, delta] of events) {
    open += delta;
    max = Math.max(max, open);
  }
  return max;
}
