/**
 * `@harrow/runtime` against the raw limits of the same run: `startActor` with a warm spare and
 * without one (vs a bare node start-up with the tsx loader), a `portal.run` round trip (vs the
 * raw Unix-socket round trip, same payload, same two processes), the teardown of a 32-actor
 * tree, and an idle actor's RSS (vs an idle bare node with the tsx loader). The bench process is
 * the root actor; actors run bench/fixtures/actor.ts.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoped, sleep, spawn, type Operation } from 'effection';
import { openNursery, type Portal } from '@harrow/runtime';
import { holdTree } from '../fixtures/actor.ts';
import { BENCH_DIR, runForJson } from '../lib/child.ts';
import { canPin, pinned, PIN_CPU } from '../lib/cpu.ts';
import { ROUND_TRIPS } from '../lib/measure.ts';
import { describeCpu, exists, vmRssKiB } from '../lib/proc.ts';
import { bootedSpare, echoRoundTrips, SPARE_QUIET_MS, startEchoActor } from '../lib/rpc.ts';
import { describe, median, summarize, type Summary } from '../lib/stats.ts';
import type { BenchContext, Suite } from '../lib/suite.ts';
import { RSS_PROCESSES, SETTLE_MS, STARTUP_RUNS, STARTUP_WARMUP, STARTUPS_AT_ONCE } from './raw.ts';

/** The tree of `teardown.tree32`: `TREE_BRANCHES` actors under the root, each with `TREE_LEAVES`. */
const TREE_BRANCHES = 4;
const TREE_LEAVES = 7;
/** Trees built and torn down; the median teardown is reported. */
const TREES = 3;

export const runtime: Suite = {
  name: 'runtime',
  description: '@harrow/runtime: startActor cold and with a spare, portal.run round trip, 32-actor teardown, idle actor RSS, 200 actors at once',
  *run(bench) {
    yield* spawnCold(bench);
    yield* spawnSpare(bench);
    yield* rpc(bench);
    yield* actorRss(bench);
    yield* teardown(bench);
    yield* scale(bench);
  },
};

// ── start-up ─────────────────────────────────────────────────────────────────────────────────

function recordStartup(bench: BenchContext, metric: string, times: number[], baseline: string, target: string, what: string): void {
  let s = summarize(times);
  bench.log(`${metric}: ${what}: median ${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}, n ${s.n}); all: ${times.map((t) => t.toFixed(0)).join(', ')}`);
  bench.record({
    metric,
    unit: 'ms',
    value: s.median,
    baseline,
    target,
    note: `median of ${s.n}, min ${s.min.toFixed(0)} max ${s.max.toFixed(0)}`,
  });
}

/**
 * `spawn.cold` and `spawn.cold.js`: `startActor` (enabling the program's own module) in a
 * nursery without a spare, from the call to the portal, i.e. until the new process has booted,
 * imported the module, listens and said ready; each actor is cancelled (untimed) before the next
 * one starts. Measured in a program of its own that uses the built packages (dist/), as a user's
 * project does: `spawn.cold` is a TypeScript program under the bench's tsx (its actors inherit
 * it; vs `raw.node.startup.tsx`), `spawn.cold.js` a JavaScript one under plain `node`, whose
 * actors start with no loader at all (vs `raw.node.startup`).
 */
function* spawnCold(bench: BenchContext): Operation<void> {
  let withTsx = process.execArgv.filter((flag) => !flag.startsWith('--conditions'));
  let ts = yield* coldStartTimes([...withTsx, join(FIXTURES, 'cold-start.ts')]);
  recordStartup(bench, 'spawn.cold', ts, 'raw.node.startup.tsx', '<=1.2', 'startActor without a spare, call to portal; a TypeScript program under tsx, built packages');
  let js = yield* coldStartTimes([join(FIXTURES, 'cold-start.mjs')]);
  recordStartup(bench, 'spawn.cold.js', js, 'raw.node.startup', '<=1.2', 'startActor without a spare, call to portal; a JavaScript program under plain node, built packages');
}

const FIXTURES = join(BENCH_DIR, 'fixtures');

/** Run a cold-start program (bench/fixtures/cold-start.*) with `args` and take its timed starts, the warm-up dropped. */
function* coldStartTimes(args: string[]): Operation<number[]> {
  return (yield* runForJson<number[]>([...args, String(STARTUP_WARMUP + STARTUP_RUNS)])).slice(STARTUP_WARMUP);
}

/**
 * `spawn.spare`: the same `startActor`, in a nursery with its warm spare. Before each timed call
 * the spare must have finished booting (`bootedSpare`). Each sample checks afterwards that the
 * actor it got is that very process, so no sample is a cold start in disguise.
 */
function* spawnSpare(bench: BenchContext): Operation<void> {
  let waits: number[] = [];
  let times = yield* scoped(function* () {
    let nursery = yield* openNursery();
    let times: number[] = [];
    for (let i = 0; i < STARTUP_WARMUP + STARTUP_RUNS; i++) {
      let { pid: spare, waited } = yield* bootedSpare('spawn.spare');
      waits.push(waited);
      let start = performance.now();
      let portal = yield* startEchoActor(nursery, `spare-${i}`);
      let ms = performance.now() - start;
      if (portal.actor.pid !== spare) throw new Error(`spawn.spare: the actor is process ${portal.actor.pid}, not the spare ${spare}`);
      if (i >= STARTUP_WARMUP) times.push(ms);
      yield* portal.cancelActor();
    }
    return times;
  });
  bench.log(`spawn.spare: waited ${waits.map((w) => w.toFixed(0)).join(', ')} ms for each spare to be idle ${SPARE_QUIET_MS} ms`);
  recordStartup(bench, 'spawn.spare', times, 'raw.node.startup.tsx', '<=0.25', 'startActor taking a booted spare, call to portal');
}

// ── round trip ───────────────────────────────────────────────────────────────────────────────

/**
 * `rpc.roundtrip`: `portal.run(echo, message(i))` from this process (the root actor) to an
 * actor process, the same message and the same two processes as `raw.uds.roundtrip`.
 */
function* rpc(bench: BenchContext): Operation<void> {
  yield* scoped(function* () {
    let nursery = yield* openNursery({ spare: false });
    let portal = yield* startEchoActor(nursery, 'echo');
    let pid = portal.actor.pid;
    let s = yield* roundTrips(bench, portal, 'rpc.roundtrip');
    bench.record({ metric: 'rpc.roundtrip', unit: 'us', value: s.median, baseline: 'raw.uds.roundtrip', target: '<=1.5', note: `median of ${s.n} after ${ROUND_TRIPS.warmup} warm-up` });
    bench.record({ metric: 'rpc.roundtrip.p99', unit: 'us', value: s.p99, baseline: 'raw.uds.roundtrip.p99' });
    if (canPin()) {
      let p = yield* pinned([process.pid, pid], PIN_CPU, () => roundTrips(bench, portal, 'rpc.roundtrip.1cpu'));
      bench.record({ metric: 'rpc.roundtrip.1cpu', unit: 'us', value: p.median, baseline: 'raw.uds.roundtrip.1cpu', note: `diagnostic: both processes on CPU ${PIN_CPU}; p99 ${p.p99.toFixed(1)}` });
    }
  });
}

/** Timed round trips, logged with the CPU time each side spent per call. */
function* roundTrips(bench: BenchContext, portal: Portal, metric: string): Operation<Summary> {
  let [samples, cpu] = yield* echoRoundTrips(portal);
  let s = summarize(samples);
  bench.log(`${metric}: ${describe(s)}; ${describeCpu(cpu, 'bench', 'actor')}`);
  return s;
}

// ── memory ───────────────────────────────────────────────────────────────────────────────────

/**
 * `actor.rss`: VmRSS of an actor process (started without a spare, the fixture module enabled,
 * serving nothing) `SETTLE_MS` after it is ready, like `raw.node.rss`; median of
 * `RSS_PROCESSES` actors, one at a time.
 */
function* actorRss(bench: BenchContext): Operation<void> {
  let values: number[] = [];
  for (let i = 0; i < RSS_PROCESSES; i++) {
    values.push(yield* scoped(function* () {
      let nursery = yield* openNursery({ spare: false });
      let portal = yield* startEchoActor(nursery, `idle-${i}`);
      yield* sleep(SETTLE_MS);
      return vmRssKiB(portal.actor.pid);
    }));
  }
  bench.log(`actor.rss: idle actor, ${SETTLE_MS} ms after ready: ${values.join(', ')} KiB`);
  bench.record({ metric: 'actor.rss', unit: 'KiB', value: median(values), baseline: 'raw.node.rss', target: '<=1.2', note: `median of ${values.length} actors, ${SETTLE_MS} ms after ready` });
}

// ── teardown ─────────────────────────────────────────────────────────────────────────────────

/**
 * `teardown.tree32`: a tree of 32 idle actors, depth 2 (the root's nursery holds
 * `TREE_BRANCHES` actors, each running `holdTree`: a nursery of `TREE_LEAVES` actors). Once
 * every actor is ready, the time from the last statement of the scope that opened the root
 * nursery to that scope having returned: every actor cancelled, exited and reaped. Checks that
 * none of the 32 processes is left.
 */
function* teardown(bench: BenchContext): Operation<void> {
  let times: number[] = [];
  for (let t = 0; t < TREES; t++) {
    let dir = join(bench.tmpdir, `tree-${t}`);
    mkdirSync(dir);
    let pids: number[] = [];
    let start = 0;
    yield* scoped(function* () {
      let nursery = yield* openNursery({ spare: false });
      for (let b = 0; b < TREE_BRANCHES; b++) {
        let name = `branch-${b}`;
        let portal = yield* startEchoActor(nursery, name);
        yield* spawn(() => portal.run(holdTree, name, TREE_LEAVES, dir));
      }
      let ready = (b: number) => join(dir, `branch-${b}.ready`);
      let waited = 0;
      while (![...Array(TREE_BRANCHES).keys()].every((b) => existsSync(ready(b)))) {
        if (waited > 120_000) throw new Error('teardown.tree32: the tree did not come up within 120 s');
        yield* sleep(20);
        waited += 20;
      }
      for (let b = 0; b < TREE_BRANCHES; b++) pids.push(...readFileSync(ready(b), 'utf8').split(' ').map(Number));
      let expected = TREE_BRANCHES * (1 + TREE_LEAVES);
      if (pids.length !== expected || !pids.every(exists)) throw new Error(`teardown.tree32: expected ${expected} live actors, got ${pids.length}`);
      start = performance.now();
    });
    let ms = performance.now() - start;
    let left = pids.filter(exists);
    if (left.length > 0) throw new Error(`teardown.tree32: processes left after teardown: ${left.join(', ')}`);
    times.push(ms);
  }
  let s = summarize(times);
  bench.log(`teardown.tree32: ${TREE_BRANCHES} x (1 + ${TREE_LEAVES}) actors: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
  bench.record({
    metric: 'teardown.tree32',
    unit: 'ms',
    value: s.median,
    baseline: 'spawn.cold',
    target: '<=250ms',
    note: `median of ${s.n} trees, min ${s.min.toFixed(0)} max ${s.max.toFixed(0)}; target is absolute`,
  });
}

// ── scale ────────────────────────────────────────────────────────────────────────────────────

/**
 * `scale.actors200`: `STARTUPS_AT_ONCE` process actors started at once in one nursery (with its
 * spare), one `portal.run` each, then the nursery's scope ends: from the first `startActor` to
 * the scope having returned, every actor exited and reaped. In a JavaScript program of its own
 * under plain node (fixtures/scale200.mjs), as a compiled program runs: under the bench's tsx
 * each actor would also register tsx, which costs more than the rest of its start-up. Then
 * checks that none of the actors is left.
 */
function* scale(bench: BenchContext): Operation<void> {
  let result = yield* runForJson<{ started: number; total: number; pids: number[] }>([join(FIXTURES, 'scale200.mjs'), String(STARTUPS_AT_ONCE)]);
  if (result.pids.length !== STARTUPS_AT_ONCE) throw new Error(`scale.actors200: ${result.pids.length} actors answered`);
  let left = result.pids.filter(exists);
  if (left.length > 0) throw new Error(`scale.actors200: ${left.length} actor processes left after the scope: ${left.join(', ')}`);
  bench.log(`scale.actors200: ${STARTUPS_AT_ONCE} actors started in ${result.started.toFixed(0)} ms; with one call each and the teardown, ${result.total.toFixed(0)} ms`);
  bench.record({
    metric: 'scale.actors200',
    unit: 'ms',
    value: result.total,
    baseline: `raw.node.startup${STARTUPS_AT_ONCE}`,
    target: '<=3000ms',
    note: `${STARTUPS_AT_ONCE} actors started at once in one nursery with its spare (${result.started.toFixed(0)} ms), one call each, torn down; plain node, built packages; target is absolute`,
  });
}
