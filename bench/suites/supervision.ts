/**
 * Supervision (API.md §9): how long a supervised actor is away, from its death to its successor
 * serving, against a start from the warm spare (`spawn.spare`), which a restart is.
 */
import { scoped, type Operation } from 'effection';
import { BrokenActorError, oneForOne, openNursery } from '@harrow/runtime';
import { echo } from '../fixtures/actor.ts';
import { message, seqOf } from '../lib/payload.ts';
import { bootedSpare, startEchoActor } from '../lib/rpc.ts';
import { summarize } from '../lib/stats.ts';
import type { BenchContext, Suite } from '../lib/suite.ts';
import { STARTUP_RUNS, STARTUP_WARMUP } from './raw.ts';

export const supervision: Suite = {
  name: 'supervision',
  description: 'a supervised actor killed (SIGKILL) until its successor serves, against a start from the spare',
  *run(bench) {
    yield* restart(bench);
  },
};

/**
 * `supervise.restart`: a one-for-one nursery (no back-off) with one echo actor; each sample
 * waits for the spare to be booted, SIGKILLs the actor, and calls `nursery.portal(name).run(echo)`
 * until the answer comes from a new incarnation (a call that meets the dying one fails with
 * `BrokenActorError`, and is made again): from the kill to that answer.
 */
function* restart(bench: BenchContext): Operation<void> {
  let times = yield* scoped(function* () {
    let nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 1000, within: 60_000, backoff: { initial: 0, max: 0, jitter: 0 } }) });
    yield* startEchoActor(nursery, 'supervised');
    let portal = nursery.portal('supervised');
    let times: number[] = [];
    for (let i = 0; i < STARTUP_WARMUP + STARTUP_RUNS; i++) {
      let victim = portal.actor.pid;
      yield* bootedSpare('supervise.restart', [victim]);
      let start = performance.now();
      process.kill(victim, 'SIGKILL');
      while (true) {
        try {
          let reply = yield* portal.run(echo, message(i));
          if (seqOf(reply) !== i) throw new Error(`supervise.restart: expected seq ${i}, got ${seqOf(reply)}`);
          if (portal.actor.pid !== victim) break;
        } catch (error) {
          if (!(error instanceof BrokenActorError)) throw error;
        }
      }
      if (i >= STARTUP_WARMUP) times.push(performance.now() - start);
    }
    return times;
  });
  let s = summarize(Float64Array.from(times));
  bench.log(`supervise.restart: median ${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}); all: ${times.map((t) => t.toFixed(0)).join(', ')}`);
  bench.record({
    metric: 'supervise.restart',
    unit: 'ms',
    value: s.median,
    baseline: 'spawn.spare',
    note: `SIGKILL of a supervised actor until its successor answers through nursery.portal(name), no back-off; median of ${s.n}`,
  });
}
