/**
 * The raw limits every harrow figure is divided by, measured in the same run: node start-up
 * (bare, and with the bench's own execArgv), an idle node's RSS, and a plain `node:net` Unix
 * socket carrying msgpackr frames (round trip, and one-way streaming with one write per message
 * or one write per ~64 KiB). Always runs, whatever suites are selected.
 */
import type net from 'node:net';
import { join } from 'node:path';
import { all, scoped, sleep, until, type Operation } from 'effection';
import { peerScript, useChild, usePeer } from '../lib/child.ts';
import { canPin, pinned, PIN_CPU } from '../lib/cpu.ts';
import { measureRoundTripsAsync, measureThroughput, ROUND_TRIPS, STREAM } from '../lib/measure.ts';
import { message, seqOf, type Command } from '../lib/payload.ts';
import { FrameReader, frame } from '../lib/raw-wire.ts';
import { useRawSocket } from '../lib/raw-socket.ts';
import { describeCpu, withCpuPerCall } from '../lib/proc.ts';
import { describe, median, summarize, type Summary } from '../lib/stats.ts';
import type { BenchContext, Suite } from '../lib/suite.ts';

/** Start-ups timed per figure, after `STARTUP_WARMUP` untimed ones. */
export const STARTUP_RUNS = 10;
export const STARTUP_WARMUP = 2;

/** How long an idle process is left after saying ready before its RSS is read. */
export const SETTLE_MS = 1000;
/** Idle processes measured for `raw.node.rss` (the median is reported). */
export const RSS_PROCESSES = 3;

export const raw: Suite = {
  name: 'raw',
  description: 'raw limits: node start-up and RSS, raw Unix-socket round trip and streaming',
  *run(bench) {
    yield* startup(bench);
    yield* rss(bench);
    yield* scoped(function* () {
      let address = join(bench.tmpdir, 'raw.sock');
      let peer = yield* usePeer('raw.ts', [address]);
      let pid = peer.child.process.pid!;
      let calls = ROUND_TRIPS.warmup + ROUND_TRIPS.samples;
      let [s, cpu] = yield* withCpuPerCall(pid, calls, () => roundTrip(address));
      bench.log(`raw.uds.roundtrip: ${describe(s)}; ${describeCpu(cpu, 'bench', 'peer')}`);
      bench.record({ metric: 'raw.uds.roundtrip', unit: 'us', value: s.median, note: `median of ${s.n} after ${ROUND_TRIPS.warmup} warm-up` });
      bench.record({ metric: 'raw.uds.roundtrip.p99', unit: 'us', value: s.p99 });
      if (canPin()) {
        let [pinnedRun, pinnedCpu] = yield* pinned([process.pid, pid], PIN_CPU, () => withCpuPerCall(pid, calls, () => roundTrip(address)));
        bench.log(`raw.uds.roundtrip.1cpu: ${describe(pinnedRun)}; ${describeCpu(pinnedCpu, 'bench', 'peer')}`);
        bench.record({ metric: 'raw.uds.roundtrip.1cpu', unit: 'us', value: pinnedRun.median, note: `diagnostic: both processes on CPU ${PIN_CPU}; p99 ${pinnedRun.p99.toFixed(1)}` });
      } else {
        bench.log('raw.uds.roundtrip.1cpu: skipped (needs Linux and taskset)');
      }
      yield* stream(bench, address, false);
      yield* stream(bench, address, true);
    });
  },
};

// ── start-up and memory ──────────────────────────────────────────────────────────────────────

/** Wall time from `spawn` to the child's 'exit' event, in ms. */
function* timeToExit(file: string, args: string[]): Operation<number> {
  return yield* scoped(function* () {
    let child = yield* useChild(file, args, { stdio: 'ignore' });
    let exit = yield* child.exited();
    if (exit.code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${exit.code ?? exit.signal}`);
    return exit.at - child.spawnedAt;
  });
}

function* startupFigure(bench: BenchContext, metric: string, args: string[], what: string): Operation<void> {
  for (let i = 0; i < STARTUP_WARMUP; i++) yield* timeToExit(process.execPath, args);
  let times: number[] = [];
  for (let i = 0; i < STARTUP_RUNS; i++) times.push(yield* timeToExit(process.execPath, args));
  let s = summarize(times);
  bench.log(`${metric}: ${what}: median ${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}, n ${s.n})`);
  bench.record({ metric, unit: 'ms', value: s.median, note: `median of ${s.n}, min ${s.min.toFixed(0)} max ${s.max.toFixed(0)}` });
}

function* startup(bench: BenchContext): Operation<void> {
  yield* startupFigure(bench, 'raw.node.startup', ['-e', '0'], 'node -e 0, spawn to exit');
  yield* startupFigure(bench, 'raw.node.startup.tsx', [...process.execArgv, peerScript('empty.ts')],
    'node [bench execArgv] empty.ts, spawn to exit');
  yield* startupsAtOnce(bench);
}

/** Processes of `raw.node.startup200`, as many as `scale.actors200` starts. */
export const STARTUPS_AT_ONCE = 200;

/**
 * `raw.node.startup200`: `STARTUPS_AT_ONCE` `node -e 0` spawned at once, from the first spawn to
 * the last exit: what starting that many processes costs this machine before any of them runs a
 * line of harrow (`scale.actors200`'s floor).
 */
function* startupsAtOnce(bench: BenchContext): Operation<void> {
  let start = performance.now();
  yield* all(Array.from({ length: STARTUPS_AT_ONCE }, () => timeToExit(process.execPath, ['-e', '0'])));
  let ms = performance.now() - start;
  bench.log(`raw.node.startup${STARTUPS_AT_ONCE}: ${STARTUPS_AT_ONCE} x node -e 0 at once, first spawn to last exit: ${ms.toFixed(0)} ms`);
  bench.record({ metric: `raw.node.startup${STARTUPS_AT_ONCE}`, unit: 'ms', value: ms, note: `${STARTUPS_AT_ONCE} x node -e 0 spawned at once, until the last exited; one run` });
}

function* rss(bench: BenchContext): Operation<void> {
  let values: number[] = [];
  for (let i = 0; i < RSS_PROCESSES; i++) {
    values.push(yield* scoped(function* () {
      let peer = yield* usePeer('idle.ts');
      yield* sleep(SETTLE_MS);
      peer.send('rss');
      let line = yield* peer.nextLine();
      let match = /^rss (\d+)$/.exec(line);
      if (!match) throw new Error(`idle peer said ${JSON.stringify(line)}`);
      return Number(match[1]);
    }));
  }
  bench.log(`raw.node.rss: idle node [bench execArgv], ${SETTLE_MS} ms after ready: ${values.join(', ')} KiB`);
  bench.record({ metric: 'raw.node.rss', unit: 'KiB', value: median(values), note: `median of ${values.length} processes, ${SETTLE_MS} ms after ready` });
}

// ── Unix socket ──────────────────────────────────────────────────────────────────────────────

/** Round trips over a fresh raw connection to the echo peer. */
function* roundTrip(address: string): Operation<Summary> {
  let samples = yield* scoped(function* () {
    let socket = yield* useRawSocket(address);
    return yield* until(rawRoundTrips(socket));
  });
  return summarize(samples);
}

/** Sequential round trips over a raw socket: write one frame, await its echo; µs per sample. */
async function rawRoundTrips(socket: net.Socket): Promise<Float64Array> {
  let expected = -1;
  let waiter: { resolve(): void; reject(error: Error): void } | undefined;
  let reader = new FrameReader((value) => {
    let w = waiter;
    waiter = undefined;
    if (!w) return;
    if (seqOf(value) === expected) w.resolve();
    else w.reject(new Error(`raw echo: expected seq ${expected}, got ${seqOf(value)}`));
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('close', () => waiter?.reject(new Error('raw echo: connection closed')));
  socket.write(frame({ op: 'echo' } satisfies Command));
  return measureRoundTripsAsync((i) => new Promise<void>((resolve, reject) => {
    expected = i;
    waiter = { resolve, reject };
    socket.write(frame(message(i)));
  }));
}

function* stream(bench: BenchContext, address: string, batched: boolean): Operation<void> {
  let metric = `raw.uds.stream.${batched ? 'batched' : 'unbatched'}`;
  let result = yield* measureThroughput(function* (count) {
    return yield* scoped(function* () {
      let socket = yield* useRawSocket(address);
      return yield* until(rawStream(socket, count, batched));
    });
  });
  bench.log(`${metric}: ${result.runs.map((r) => Math.round(r)).join(', ')} msgs/s`);
  bench.record({ metric, unit: 'msgs/s', value: result.value, note: `median of ${result.runs.length} runs of ${STREAM.count.toLocaleString('en-US')}` });
}

/** Ask the peer for `count` messages and decode them all; ms from the request to the last message. */
function rawStream(socket: net.Socket, count: number, batched: boolean): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let received = 0;
    let start = 0;
    let reader = new FrameReader((value) => {
      if (seqOf(value) !== received) reject(new Error(`raw stream: expected seq ${received}, got ${seqOf(value)}`));
      received++;
      if (received === count) resolve(performance.now() - start);
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('close', () => reject(new Error(`raw stream: closed after ${received} of ${count} messages`)));
    start = performance.now();
    socket.write(frame({ op: 'stream', count, batched } satisfies Command));
  });
}
