/**
 * The `portal.run` round trip of `rpc.roundtrip` (suites/runtime.ts) and of the debugger suite's
 * `rpc.roundtrip.plain` / `rpc.roundtrip.debugmode`: one place, so that every one of them times
 * the very same call to the same kind of actor.
 */
import type { Operation } from 'effection';
import type { Nursery, Portal } from '@harrow/runtime';
import { echo } from '../fixtures/actor.ts';
import { concatSamples, measureRoundTrips, ROUND_TRIPS, takeTurns, type RoundTripOptions } from './measure.ts';
import { message, seqOf } from './payload.ts';
import { childrenMatching, waitUntilIdle, withCpuPerCall, type CpuPerCall } from './proc.ts';

/** The module the runtime suite's actors enable (a user module importing `@harrow/runtime`). */
export const ACTOR_FIXTURE = new URL('../fixtures/actor.ts', import.meta.url);

/** Start an actor in `nursery` that enables `ACTOR_FIXTURE`; returns once it is ready. */
export function* startEchoActor(nursery: Nursery, name: string): Operation<Portal> {
  return yield* nursery.startActor(name, { enableModules: [ACTOR_FIXTURE] });
}

/**
 * `portal.run(echo, message(i))` from this process to the actor, each reply's `seq` checked:
 * `options.warmup` untimed calls, then `options.samples` timed ones (µs each). Also gives the
 * CPU time per call (warm-up included) this process and the actor's process spent.
 */
export function* echoRoundTrips(portal: Portal, options: RoundTripOptions = ROUND_TRIPS): Operation<[Float64Array, CpuPerCall]> {
  let calls = options.warmup + options.samples;
  return yield* withCpuPerCall(portal.actor.pid, calls, () => measureRoundTrips(function* (i) {
    let reply = yield* portal.run(echo, message(i));
    if (seqOf(reply) !== i) throw new Error(`rpc echo: expected seq ${i}, got ${seqOf(reply)}`);
  }, options));
}

/** One actor's share of `echoRoundTripsInTurns`: its timed samples (µs), and CPU time per call as `echoRoundTrips` gives it. */
export interface Turns {
  samples: Float64Array;
  cpu: CpuPerCall;
}

/**
 * `echoRoundTrips` to each of `portals`, taking turns (`takeTurns`): `blocks` timed blocks each,
 * A B, B A, A B… so that a drift in the machine's state falls on every actor alike.
 */
export function* echoRoundTripsInTurns(portals: Portal[], blocks: number, options: RoundTripOptions = ROUND_TRIPS): Operation<Turns[]> {
  let turns = yield* takeTurns(portals.map((portal) => (block: RoundTripOptions) => echoRoundTrips(portal, block)), blocks, options);
  return turns.map((side) => {
    // CPU per call back to totals, so that the warm-up block and the timed ones weigh by their calls.
    let calls = side.reduce((n, turn) => n + turn.calls, 0);
    let total = (pick: (cpu: CpuPerCall) => number) => side.reduce((sum, { result: [, cpu], calls }) => sum + pick(cpu) * calls, 0) / calls;
    return {
      samples: concatSamples(side.map(({ result: [samples] }) => samples)),
      cpu: { self: total((cpu) => cpu.self), peer: total((cpu) => cpu.peer) },
    };
  });
}

/** What an actor process runs; its command line is `node [execArgv] …/boot.cjs <loader> <api> …/entry/process-main.js`. */
const ACTOR_SCRIPT = 'boot.cjs';

/** How long a spare must have been idle (no CPU time, every thread asleep) to count as booted. */
export const SPARE_QUIET_MS = 100;

/**
 * This process's warm spare, once it has booted; with how long that was waited for (ms). The
 * runtime does not show it, so it is read from outside: the spare is the one `boot.cjs` child
 * of this process that is not one of `actors`, and it counts as booted once it has been idle
 * for `SPARE_QUIET_MS` (see `waitUntilIdle`): a booting node is CPU-bound or waiting for a CPU,
 * a booted spare sits in its event loop waiting for a spawn spec.
 */
export function* bootedSpare(metric: string, actors: number[] = []): Operation<{ pid: number; waited: number }> {
  let spares = childrenMatching(process.pid, ACTOR_SCRIPT).filter((pid) => !actors.includes(pid));
  if (spares.length !== 1) throw new Error(`${metric}: expected one spare process, found ${spares.length} (${spares.join(', ')})`);
  let pid = spares[0]!;
  return { pid, waited: yield* waitUntilIdle(pid, SPARE_QUIET_MS) };
}
