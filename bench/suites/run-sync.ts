/**
 * The runSync worker pool beside the pools a Node user would pick instead, in the same run and
 * with the same trivial task (give back the argument, `message(i)`): piscina (worker threads)
 * for the thread pool and for the process pool's round trip, tinypool's `child_process` runtime
 * for process throughput, and a raw `child_process.fork` IPC round trip for the floor of a
 * process hop. Round trips are one call at a time through a pool of one worker; throughput is
 * two callers, each making calls one after another, through a pool of two workers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { all, ensure, scoped, until, type Operation } from 'effection';
import { Piscina } from 'piscina';
import Tinypool from 'tinypool';
import { openWorkerContext, type WorkerContext, type WorkerType } from '@harrow/runtime';
import { echo, workerPid } from '../fixtures/run-sync.ts';
import { peerScript } from '../lib/child.ts';
import { canPin, pinned, PIN_CPU } from '../lib/cpu.ts';
import { concatSamples, measureRoundTrips, measureRoundTripsAsync, measureThroughput, ROUND_TRIPS, takeTurns, type ThroughputOptions } from '../lib/measure.ts';
import { message, seqOf } from '../lib/payload.ts';
import { describe, median, summarize, type Summary } from '../lib/stats.ts';
import type { BenchContext, Suite } from '../lib/suite.ts';

/** Calls per timed throughput run (split between the two callers), after one untimed run. */
const THROUGHPUT: ThroughputOptions = { count: 10_000, warmupCount: 2_000, runs: 5 };

/** Fresh contexts whose first call is timed for `runsync.cold`. */
const COLD_RUNS = 5;

const POOL_TASK = pathToFileURL(peerScript('pool-echo.mjs')).href;

export const runSyncSuite: Suite = {
  name: 'run-sync',
  description: 'runSync (thread and process workers) vs piscina, tinypool child_process and raw fork IPC: round trip, 2-worker throughput, cold call',
  *run(bench) {
    yield* roundTrips(bench);
    yield* throughputs(bench);
    yield* cold(bench);
  },
};

// ── round trips ──────────────────────────────────────────────────────────────────────────────

function* roundTrips(bench: BenchContext): Operation<void> {
  yield* scoped(function* () {
    let pool = yield* usePiscina(1);
    let ctx = yield* openWorkerContext({ workerType: 'thread', limit: 1 });
    let [piscina, thread] = (yield* takeTurns([
      (options) => until(measureRoundTripsAsync((i) => piscinaCall(pool, i), options)),
      (options) => measureRoundTrips((i) => runSyncCall(ctx, i), options),
    ], TURN_BLOCKS)).map((side) => concatSamples(side.map((turn) => turn.result)));
    record(bench, 'piscina.roundtrip', summarize(piscina), undefined, undefined, `in turns with runsync.thread.roundtrip, ${TURN_BLOCKS} blocks each`);
    record(bench, 'runsync.thread.roundtrip', summarize(thread), 'piscina.roundtrip', '<=1.0', `in turns with piscina.roundtrip, ${TURN_BLOCKS} blocks each`);
    if (canPin()) {
      // Threads of one process: pinning the bench pins the pool's threads too.
      let p = yield* pinned([process.pid], PIN_CPU, () => until(measureRoundTripsAsync((i) => piscinaCall(pool, i))));
      record(bench, 'piscina.roundtrip.1cpu', summarize(p), undefined, undefined, 'diagnostic');
      let t = yield* pinned([process.pid], PIN_CPU, () => measureRoundTrips((i) => runSyncCall(ctx, i)));
      record(bench, 'runsync.thread.roundtrip.1cpu', summarize(t), 'piscina.roundtrip.1cpu', undefined, 'diagnostic');
    }
  });
  yield* scoped(function* () {
    let child = yield* useForkEcho();
    let ctx = yield* openWorkerContext({ workerType: 'process', limit: 1 });
    let raw = summarize(yield* until(measureRoundTripsAsync((i) => forkCall(child, i))));
    record(bench, 'raw.fork.roundtrip', raw);
    let proc = summarize(yield* measureRoundTrips((i) => runSyncCall(ctx, i)));
    record(bench, 'runsync.process.roundtrip', proc, 'piscina.roundtrip', '<=1.3');
    bench.log(`   runsync.process.roundtrip / raw.fork.roundtrip = ${(proc.median / raw.median).toFixed(2)}`);
    if (canPin()) {
      let worker = yield* ctx.runSync(workerPid, []);
      let r = yield* pinned([process.pid, child.pid!], PIN_CPU, () => until(measureRoundTripsAsync((i) => forkCall(child, i))));
      record(bench, 'raw.fork.roundtrip.1cpu', summarize(r), undefined, undefined, 'diagnostic');
      let p = yield* pinned([process.pid, worker], PIN_CPU, () => measureRoundTrips((i) => runSyncCall(ctx, i)));
      record(bench, 'runsync.process.roundtrip.1cpu', summarize(p), 'raw.fork.roundtrip.1cpu', undefined, 'diagnostic');
    }
  });
}

function record(bench: BenchContext, metric: string, s: Summary, baseline?: string, target?: string, diagnostic?: string): void {
  bench.log(`${metric}: ${describe(s)}`);
  let note = `${diagnostic ? `${diagnostic}: ` : ''}median of ${s.n} after ${ROUND_TRIPS.warmup} warm-up; p99 ${s.p99.toFixed(1)}`;
  bench.record({ metric, unit: 'us', value: s.median, ...(baseline ? { baseline } : {}), ...(target ? { target } : {}), note });
}

// ── throughput ───────────────────────────────────────────────────────────────────────────────

function* throughputs(bench: BenchContext): Operation<void> {
  yield* scoped(function* () {
    let pool = yield* usePiscina(2);
    let value = yield* throughputOf(bench, 'piscina.throughput', (count) => until(twoCallersAsync(count, (i) => piscinaCall(pool, i))));
    bench.record({ metric: 'piscina.throughput', unit: 'msgs/s', value, note: noteFor('calls/s, 2 threads') });
  });
  yield* threadOrProcessThroughput(bench, 'thread', 'piscina.throughput');
  yield* scoped(function* () {
    let pool = yield* useTinypool(2);
    let value = yield* throughputOf(bench, 'tinypool.process.throughput', (count) => until(twoCallersAsync(count, (i) => tinypoolCall(pool, i))));
    bench.record({ metric: 'tinypool.process.throughput', unit: 'msgs/s', value, note: noteFor('calls/s, 2 child processes') });
  });
  yield* threadOrProcessThroughput(bench, 'process', 'tinypool.process.throughput');
}

function* threadOrProcessThroughput(bench: BenchContext, workerType: WorkerType, baseline: string): Operation<void> {
  yield* scoped(function* () {
    let ctx = yield* openWorkerContext({ workerType, limit: 2 });
    let metric = `runsync.${workerType}.throughput`;
    let value = yield* throughputOf(bench, metric, (count) => twoCallers(count, (i) => runSyncCall(ctx, i)));
    bench.record({ metric, unit: 'msgs/s', value, baseline, target: '>=1.0', note: noteFor(`calls/s, 2 ${workerType} workers`) });
  });
}

function* throughputOf(bench: BenchContext, metric: string, run: (count: number) => Operation<number>): Operation<number> {
  let result = yield* measureThroughput(run, THROUGHPUT);
  bench.log(`${metric}: ${result.runs.map((r) => Math.round(r)).join(', ')} calls/s`);
  return result.value;
}

function noteFor(what: string): string {
  return `${what}, 2 callers; median of ${THROUGHPUT.runs} runs of ${THROUGHPUT.count.toLocaleString('en-US')}`;
}

/** Two callers, each making `count / 2` calls one after another; ms for all of them. */
function* twoCallers(count: number, call: (i: number) => Operation<void>): Operation<number> {
  let start = performance.now();
  yield* all([0, 1].map((caller) => (function* () {
    for (let i = caller; i < count; i += 2) yield* call(i);
  })()));
  return performance.now() - start;
}

async function twoCallersAsync(count: number, call: (i: number) => Promise<void>): Promise<number> {
  let start = performance.now();
  await Promise.all([0, 1].map(async (caller) => {
    for (let i = caller; i < count; i += 2) await call(i);
  }));
  return performance.now() - start;
}

// ── cold call ────────────────────────────────────────────────────────────────────────────────

function* cold(bench: BenchContext): Operation<void> {
  for (let workerType of ['process', 'thread'] as const) {
    let times: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      times.push(yield* scoped(function* () {
        let ctx = yield* openWorkerContext({ workerType, limit: 1 });
        let start = performance.now();
        yield* runSyncCall(ctx, i);
        return performance.now() - start;
      }));
    }
    let metric = workerType === 'process' ? 'runsync.cold' : 'runsync.thread.cold';
    let s = summarize(times);
    bench.log(`${metric}: first call of a new context (start, boot, import, call): ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    bench.record({
      metric,
      unit: 'ms',
      value: median(times),
      baseline: 'raw.node.startup.tsx',
      note: `median of ${s.n}, min ${s.min.toFixed(0)} max ${s.max.toFixed(0)}`,
    });
  }
}

// ── the calls ────────────────────────────────────────────────────────────────────────────────

/** Blocks each side of the thread round trips is timed in (`takeTurns`). */
const TURN_BLOCKS = 10;

function* runSyncCall(ctx: WorkerContext, i: number): Operation<void> {
  let reply = yield* ctx.runSync(echo, [message(i)]);
  if (seqOf(reply) !== i) throw new Error(`runSync echo: expected seq ${i}, got ${seqOf(reply)}`);
}

async function piscinaCall(pool: Piscina, i: number): Promise<void> {
  let reply = await pool.run(message(i));
  if (seqOf(reply) !== i) throw new Error(`piscina echo: expected seq ${i}, got ${seqOf(reply)}`);
}

async function tinypoolCall(pool: Tinypool, i: number): Promise<void> {
  let reply = await pool.run(message(i));
  if (seqOf(reply) !== i) throw new Error(`tinypool echo: expected seq ${i}, got ${seqOf(reply)}`);
}

function forkCall(child: ChildProcess, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('message', (reply) => (seqOf(reply) === i ? resolve() : reject(new Error(`fork echo: expected seq ${i}, got ${seqOf(reply)}`))));
    child.send(message(i));
  });
}

// ── the peers ────────────────────────────────────────────────────────────────────────────────

function* usePiscina(threads: number): Operation<Piscina> {
  let pool = new Piscina({ filename: POOL_TASK, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  yield* ensure(() => until(pool.destroy()));
  return pool;
}

function* useTinypool(processes: number): Operation<Tinypool> {
  let pool = new Tinypool({ filename: POOL_TASK, runtime: 'child_process', minThreads: processes, maxThreads: processes, idleTimeout: 60_000 });
  yield* ensure(() => until(pool.destroy()));
  return pool;
}

/** `node peers/fork-echo.mjs` with an IPC channel (JSON serialization), ended by disconnecting; always awaited. */
function* useForkEcho(): Operation<ChildProcess> {
  let child = fork(peerScript('fork-echo.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // 'error' without 'exit': it never started.
  let exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  yield* ensure(function* () {
    if (child.connected) child.disconnect();
    yield* until(exited);
  });
  yield* until(new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  }));
  return child;
}
