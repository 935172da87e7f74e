/**
 * The `portal.run` round trip of `rpc.roundtrip` (suites/runtime.ts) and of the debugger suite's
 * `rpc.roundtrip.plain` / `rpc.roundtrip.debugmode`: one place, so that every one of them times
 * the very same call to the same kind of actor.
 */
import type { Operation } from 'effection';
import type { Nursery, Portal } from '@harrow/runtime';
import { echo } from '../fixtures/actor.ts';
import { measureRoundTrips, ROUND_TRIPS, type RoundTripOptions } from './measure.ts';
import { message, seqOf } from './payload.ts';
import { withCpuPerCall, type CpuPerCall } from './proc.ts';

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
