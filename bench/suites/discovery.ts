/**
 * Discovery and other hosts (API.md §7): a `findActor` round trip from inside an actor, the
 * start of an actor on a second host over ssh (a network namespace with its own sshd, as the
 * tests use), and 200 actors started, registered and torn down.
 */
import { join } from 'node:path';
import { scoped, until, type Operation } from 'effection';
import { openNursery, openRoot } from '@harrow/runtime';
import { BENCH_DIR, runForJson } from '../lib/child.ts';
import { ROUND_TRIPS } from '../lib/measure.ts';
import { summarize } from '../lib/stats.ts';
import type { BenchContext, Suite } from '../lib/suite.ts';
import { timeFinds } from '../fixtures/discovery.ts';
import { ACTOR_FIXTURE, startEchoActor } from '../lib/rpc.ts';
import { STARTUP_RUNS, STARTUP_WARMUP } from './raw.ts';

const FIXTURE = new URL('../fixtures/discovery.ts', import.meta.url);

/** Actors of `scale.registry200`. */
const REGISTRY_ACTORS = 200;

export const discovery: Suite = {
  name: 'discovery',
  description: 'findActor round trip from an actor, an actor started on a second host over ssh, 200 actors registered at once',
  *run(bench) {
    yield* find(bench);
    yield* registry200(bench);
    yield* spawnRemote(bench);
  },
};

/** `discovery.find`: `findActor` from an actor (the registry is the root's), against `rpc.roundtrip`. */
function* find(bench: BenchContext): Operation<void> {
  yield* scoped(function* () {
    let nursery = yield* openNursery({ spare: false });
    yield* startEchoActor(nursery, 'target');
    let finder = yield* nursery.startActor('finder', { enableModules: [FIXTURE, ACTOR_FIXTURE] });
    let samples = yield* finder.run(timeFinds, 'target', ROUND_TRIPS);
    let s = summarize(Float64Array.from(samples));
    bench.log(`discovery.find: median ${s.median.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs (n ${s.n})`);
    bench.record({
      metric: 'discovery.find',
      unit: 'us',
      value: s.median,
      baseline: 'rpc.roundtrip',
      target: '<=1.2',
      note: `findActor from an actor (registry a round trip away), portals sharing one connection; median of ${s.n}`,
    });
  });
}

/**
 * `scale.registry200`: `REGISTRY_ACTORS` thread actors started at once, each registered, torn
 * down, gone from the registry; in a JavaScript program of its own under plain node
 * (fixtures/registry200.mjs), whose actors start without a loader (under the bench's tsx, each
 * thread would compile the runtime through it).
 */
function* registry200(bench: BenchContext): Operation<void> {
  let result = yield* runForJson<{ registered: number; total: number }>([join(BENCH_DIR, 'fixtures', 'registry200.mjs'), String(REGISTRY_ACTORS)]);
  bench.log(`scale.registry200: ${REGISTRY_ACTORS} thread actors started and registered in ${result.registered.toFixed(0)} ms; torn down and unregistered: ${result.total.toFixed(0)} ms`);
  bench.record({
    metric: 'scale.registry200',
    unit: 'ms',
    value: result.total,
    note: `${REGISTRY_ACTORS} thread actors started at once, registered (${result.registered.toFixed(0)} ms), torn down, gone from the registry; plain node, built packages`,
  });
}

/**
 * `spawn.remote`: `startActor` on a second host (a network namespace with its own sshd) until
 * the portal, against `spawn.cold`. Needs root (network namespaces) and openssh-server; else
 * it is left out and said so.
 */
function* spawnRemote(bench: BenchContext): Operation<void> {
  let secondHost = yield* until(import('../../packages/runtime/test/second-host.ts'));
  let support = secondHost.secondHostSupport();
  if (!support.ok) {
    bench.log(`spawn.remote: skipped (${support.reason})`);
    return;
  }
  let times = yield* scoped(function* () {
    let host = yield* secondHost.useSecondHost();
    let previous = process.env.HARROW_SSH_COMMAND;
    process.env.HARROW_SSH_COMMAND = host.env.HARROW_SSH_COMMAND;
    try {
      yield* openRoot({ listen: [`tcp://${host.localAddress}:0`], cookie: 'bench-cookie' });
      let nursery = yield* openNursery({ spare: false });
      let times: number[] = [];
      for (let i = 0; i < STARTUP_WARMUP + STARTUP_RUNS; i++) {
        let start = performance.now();
        let portal = yield* nursery.startActor(`remote-${i}`, { host: host.hostAlias, enableModules: [ACTOR_FIXTURE] });
        if (i >= STARTUP_WARMUP) times.push(performance.now() - start);
        yield* portal.cancelActor();
      }
      return times;
    } finally {
      if (previous === undefined) delete process.env.HARROW_SSH_COMMAND;
      else process.env.HARROW_SSH_COMMAND = previous;
    }
  });
  let s = summarize(Float64Array.from(times));
  bench.log(`spawn.remote: median ${s.median.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}); all: ${times.map((t) => t.toFixed(0)).join(', ')}`);
  bench.record({ metric: 'spawn.remote', unit: 'ms', value: s.median, baseline: 'spawn.cold', note: `startActor over ssh into a network namespace, call to portal; median of ${s.n}` });
}
