/**
 * `@harrow/debugger`: what crash mode (`openNursery({ debugMode: true })`) costs a `portal.run`
 * round trip, against the same round trip to a plain actor measured in turns with it, and how
 * long a `breakpoint()` in a child actor takes to draw its prompt in the root's terminal,
 * against a child writing a prompt to that terminal itself. Both need a tree whose root has a
 * terminal (without one, a child in crash mode does not start its debugger thread, and a
 * breakpoint has nowhere to open its REPL), so each runs in a program of its own in a tmux pane
 * (fixtures/debugmode-rpc.ts, fixtures/breakpoint-prompt.ts; protocol: lib/debugger-programs.ts),
 * which the bench drives and reads from outside.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoped, sleep, type Operation } from 'effection';
import { BENCH_DIR } from '../lib/child.ts';
import { canPin, pinned, PIN_CPU } from '../lib/cpu.ts';
import {
  BREAKPOINT_PROMPT, goFile, pidsFile, PROGRAM_DONE, PROGRAM_READY, promptStep, rawPrompt, rpcDoneLine, rpcResultsFile, rpcStep, stampsFile,
  type PromptStep, type RpcPids, type RpcResults, type Stamps,
} from '../lib/debugger-programs.ts';
import { ROUND_TRIPS } from '../lib/measure.ts';
import { describeCpu, threadCount } from '../lib/proc.ts';
import { describe, quantile, summarize } from '../lib/stats.ts';
import type { BenchContext, Suite } from '../lib/suite.ts';
import { hasTmux, useTmuxPane, type Pane } from '../lib/tmux.ts';

/** How long one run of round trips (2 x 23,000 calls) may take before the bench gives up. */
const RPC_RUN_TIMEOUT_MS = 180_000;

/** Prompt rounds: untimed ones first (the first may wait for the debugger thread), then timed. */
const PROMPT_WARMUP = 2;
const PROMPT_ROUNDS = 10;
/** The pause before each step of a round, so that every prompt starts from an idle tree and terminal. */
const PROMPT_SETTLE_MS = 50;

export const debuggerSuite: Suite = {
  name: 'debugger',
  description: '@harrow/debugger in a terminal (tmux): portal.run round trip to a debugMode actor vs a plain one, breakpoint() to prompt',
  *run(bench) {
    if (!hasTmux()) {
      bench.log('debugger: skipped: tmux is not installed; every figure of this suite needs a real terminal (.ci/run installs tmux)');
      return;
    }
    yield* rpcDebugMode(bench);
    yield* promptLatency(bench);
  },
};

/**
 * Run `fixtures/<script> <dir> <bench pid> ...args` in a tmux pane for as long as the current
 * scope lasts (its terminal output copied to `<dir>/pane.log`), and wait until it is ready.
 */
function* useProgram(script: string, dir: string, args: string[]): Operation<Pane> {
  let command = [process.execPath, ...process.execArgv, join(BENCH_DIR, 'fixtures', script), dir, String(process.pid), ...args];
  let pane = yield* useTmuxPane(command, { cwd: BENCH_DIR, log: join(dir, 'pane.log') });
  yield* pane.next(PROGRAM_READY);
  return pane;
}

/** A fresh folder for one program's files, under the run's scratch folder. */
function programDir(bench: BenchContext, name: string): string {
  let dir = join(bench.tmpdir, name);
  mkdirSync(dir);
  return dir;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

// ── round trip ───────────────────────────────────────────────────────────────────────────────

/**
 * `rpc.roundtrip.debugmode` against `rpc.roundtrip.plain`: the runtime suite's `rpc.roundtrip`
 * (lib/rpc.ts) from the program's root to two actors, one from a plain nursery and one from
 * `openNursery({ debugMode: true })`, timed in turns. Both are measured in the same program
 * rather than divided by the runtime suite's figure, so that the ratio compares the two under
 * the same conditions. Then again with the root and both actors pinned to one CPU.
 */
function* rpcDebugMode(bench: BenchContext): Operation<void> {
  let dir = programDir(bench, 'debugmode-rpc');
  let pin = canPin();
  yield* scoped(function* () {
    let pane = yield* useProgram('debugmode-rpc.ts', dir, [String(pin ? 2 : 1)]);
    let pids = readJson<RpcPids>(pidsFile(dir));
    checkDebuggerThread(bench, pids);
    let note = `median of ${ROUND_TRIPS.samples} after ${ROUND_TRIPS.warmup} warm-up, in turns`;
    let free = yield* rpcRun(bench, pane, dir, 0, '');
    bench.record({ metric: 'rpc.roundtrip.plain', unit: 'us', value: free.plain.summary.median, baseline: 'raw.uds.roundtrip', note: `rpc.roundtrip, root with a terminal; ${note}` });
    bench.record({ metric: 'rpc.roundtrip.debugmode', unit: 'us', value: free.debugmode.summary.median, baseline: 'rpc.roundtrip.plain', target: '<=1.05', note });
    if (pin) {
      let one = yield* pinned([pids.root, pids.plain, pids.debugmode], PIN_CPU, () => rpcRun(bench, pane, dir, 1, '.1cpu'));
      let diagnostic = (p99: number) => `diagnostic: root and both actors on CPU ${PIN_CPU}; p99 ${p99.toFixed(1)}`;
      bench.record({ metric: 'rpc.roundtrip.plain.1cpu', unit: 'us', value: one.plain.summary.median, baseline: 'raw.uds.roundtrip.1cpu', note: diagnostic(one.plain.summary.p99) });
      bench.record({ metric: 'rpc.roundtrip.debugmode.1cpu', unit: 'us', value: one.debugmode.summary.median, baseline: 'rpc.roundtrip.plain.1cpu', note: diagnostic(one.debugmode.summary.p99) });
    } else {
      bench.log('rpc.roundtrip.debugmode.1cpu: skipped (needs Linux and taskset)');
    }
    yield* pane.next(PROGRAM_DONE);
  });
}

/**
 * The figure means nothing unless the debugMode actor really runs its debugger thread: it is a
 * worker thread, so that actor has more threads than the plain one (the same program without
 * it). Node names every thread `node`, so the count is what tells them apart.
 */
function checkDebuggerThread(bench: BenchContext, pids: RpcPids): void {
  let withDebugger = threadCount(pids.debugmode);
  let without = threadCount(pids.plain);
  bench.log(`rpc.roundtrip.debugmode: threads: debugMode actor ${withDebugger} (pid ${pids.debugmode}), plain actor ${without} (pid ${pids.plain})`);
  if (withDebugger <= without) {
    throw new Error(`rpc.roundtrip.debugmode: the debugMode actor has ${withDebugger} threads, the plain one ${without}: no debugger thread`);
  }
}

/** Let the program do round-trip run `run`, wait for its results, and log them. */
function* rpcRun(bench: BenchContext, pane: Pane, dir: string, run: number, suffix: string): Operation<RpcResults> {
  writeFileSync(goFile(dir, rpcStep(run)), '');
  yield* pane.next(rpcDoneLine(run), RPC_RUN_TIMEOUT_MS);
  let results = readJson<RpcResults>(rpcResultsFile(dir, run));
  for (let [name, { summary, cpu }] of Object.entries(results)) {
    bench.log(`rpc.roundtrip.${name}${suffix}: ${describe(summary)}; ${describeCpu(cpu, 'root', 'actor')}`);
  }
  return results;
}

// ── breakpoint prompt ────────────────────────────────────────────────────────────────────────

/**
 * `debugger.breakpoint.prompt` against `raw.tty.prompt`, in fixtures/breakpoint-prompt.ts. Each
 * round, after a quiet pause, the actor stamps the time and writes a prompt to the terminal
 * itself (raw); after another, it stamps the time and calls `breakpoint()`. Each figure is the
 * time from the stamp to the prompt's last byte reaching the pane's copy of its output: the raw
 * one is the pipeline's own latency (node, the pty, tmux, `pipe-pane`, inotify), the breakpoint
 * one adds the debugger's.
 */
function* promptLatency(bench: BenchContext): Operation<void> {
  let dir = programDir(bench, 'breakpoint-prompt');
  let rounds = PROMPT_WARMUP + PROMPT_ROUNDS;
  let arrivals = yield* scoped(function* () {
    let pane = yield* useProgram('breakpoint-prompt.ts', dir, [String(rounds)]);
    let arrivals: Stamps = { raw: [], breakpoint: [] };
    for (let round = 0; round < rounds; round++) {
      arrivals.raw.push(yield* promptArrival(pane, goFile(dir, promptStep('raw', round)), rawPrompt(round)));
      arrivals.breakpoint.push(yield* promptArrival(pane, goFile(dir, promptStep('breakpoint', round)), BREAKPOINT_PROMPT));
      pane.keys('c', 'Enter');
    }
    yield* pane.next(PROGRAM_DONE);
    return arrivals;
  });
  let stamps = readJson<Stamps>(stampsFile(dir));
  let raw = recordPrompt(bench, 'raw', stamps, arrivals, { metric: 'raw.tty.prompt' });
  let debug = recordPrompt(bench, 'breakpoint', stamps, arrivals, { metric: 'debugger.breakpoint.prompt', baseline: 'raw.tty.prompt', target: '<=50ms' });
  bench.log(`debugger.breakpoint.prompt: the debugger's own share: ${(debug - raw).toFixed(2)} ms (median minus raw median)`);
}

/** One step of a round: a quiet pause, the go file, then when its prompt arrived. */
function* promptArrival(pane: Pane, go: string, prompt: string): Operation<number> {
  yield* sleep(PROMPT_SETTLE_MS);
  writeFileSync(go, '');
  return yield* pane.next(prompt);
}

/** Records the median latency of `step`'s timed rounds (logging every round and the p90); returns the median. */
function recordPrompt(bench: BenchContext, step: PromptStep, stamps: Stamps, arrivals: Stamps, figure: { metric: string; baseline?: string; target?: string }): number {
  let all = arrivals[step].map((at, round) => at - stamps[step][round]!);
  if (all.length !== PROMPT_WARMUP + PROMPT_ROUNDS || all.some((ms) => !(ms > 0))) {
    throw new Error(`${figure.metric}: bad latencies ${all.join(', ')} (${stamps[step].length} stamps, ${arrivals[step].length} arrivals)`);
  }
  let timed = all.slice(PROMPT_WARMUP);
  let s = summarize(timed);
  let p90 = quantile(timed, 0.9);
  bench.log(`${figure.metric}: median ${s.median.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms (n ${s.n}, min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)}); ` +
    `warm-up ${all.slice(0, PROMPT_WARMUP).map((ms) => ms.toFixed(1)).join(', ')}; timed ${timed.map((ms) => ms.toFixed(2)).join(', ')}`);
  bench.record({ ...figure, unit: 'ms', value: s.median, note: `median of ${s.n} rounds after ${PROMPT_WARMUP} warm-up, p90 ${p90.toFixed(2)}` });
  return s.median;
}
