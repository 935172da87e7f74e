/**
 * `pnpm bench [suite...]`: measures the raw limits and harrow's figures in one run, prints a
 * table on stdout and writes bench/results/latest.jsonl (one figure a line). Progress goes to
 * stderr. The raw suite always runs, because every ratio divides by a raw figure of the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensure, main } from 'effection';
import { BENCH_DIR } from './lib/child.ts';
import { Report } from './lib/report.ts';
import type { BenchContext, Suite } from './lib/suite.ts';
import { debuggerSuite } from './suites/debugger.ts';
import { discovery } from './suites/discovery.ts';
import { raw } from './suites/raw.ts';
import { runtime } from './suites/runtime.ts';
import { runSyncSuite } from './suites/run-sync.ts';
import { streaming } from './suites/streaming.ts';
import { supervision } from './suites/supervision.ts';
import { transport } from './suites/transport.ts';

/** In the order they run; a suite may divide by figures of the suites before it. */
const SUITES: Suite[] = [raw, transport, runtime, discovery, supervision, streaming, runSyncSuite, debuggerSuite];

const RESULTS = join(BENCH_DIR, 'results', 'latest.jsonl');

function select(args: string[]): Suite[] {
  let names = args.filter((arg) => arg !== '--' && !arg.startsWith('-'));
  if (names.length === 0) return SUITES;
  let unknown = names.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown suite ${unknown.join(', ')}; suites: ${SUITES.map((s) => `${s.name} (${s.description})`).join('; ')}`);
  }
  return SUITES.filter((suite) => suite === raw || names.includes(suite.name));
}

await main(function* (args) {
  let suites = select(args);
  let dir = mkdtempSync(join(tmpdir(), 'harrow-bench-'));
  yield* ensure(() => rmSync(dir, { recursive: true, force: true }));
  let report = new Report();
  let log = (text: string) => void process.stderr.write(`${text}\n`);
  let context: BenchContext = {
    record: (figure) => report.record(figure),
    value: (metric) => report.value(metric),
    log,
    tmpdir: dir,
  };
  let started = performance.now();
  let loadAtStart = loadavg()[0]!;
  if (loadAtStart > availableParallelism() / 2) {
    log(`warning: load average ${loadAtStart.toFixed(2)} on ${availableParallelism()} CPUs before the run; figures will be noisy`);
  }
  for (let suite of suites) {
    log(`── ${suite.name}: ${suite.description}`);
    let t = performance.now();
    yield* suite.run(context);
    log(`   (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  report.writeJsonLines(RESULTS);
  let cpu = cpus()[0]?.model ?? 'unknown cpu';
  console.log(`harrow bench: node ${process.version}, ${availableParallelism()} CPUs (${cpu}), load ${loadAtStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end, ` +
    `suites ${suites.map((s) => s.name).join(', ')}, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log('');
  console.log(report.table());
  console.log('');
  console.log(`written: ${RESULTS}`);
});
