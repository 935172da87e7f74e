import type { Operation } from 'effection';
import { median } from './stats.ts';

/**
 * Round trips: `warmup` untimed calls, then `samples` timed ones, one at a time. Each sample is
 * the wall time of one call in microseconds: one message out and its reply back in.
 *
 * There are two copies of the same loop, so that a raw (promise-based) side is timed without any
 * effection machinery around each call, and a harrow side with nothing but its own.
 */
export interface RoundTripOptions {
  warmup: number;
  samples: number;
}

export const ROUND_TRIPS: RoundTripOptions = { warmup: 3_000, samples: 20_000 };

export async function measureRoundTripsAsync(
  once: (i: number) => Promise<void>,
  options: RoundTripOptions = ROUND_TRIPS,
): Promise<Float64Array> {
  for (let i = 0; i < options.warmup; i++) await once(i);
  let samples = new Float64Array(options.samples);
  for (let i = 0; i < options.samples; i++) {
    let start = performance.now();
    await once(options.warmup + i);
    samples[i] = (performance.now() - start) * 1000;
  }
  return samples;
}

export function* measureRoundTrips(
  once: (i: number) => Operation<void>,
  options: RoundTripOptions = ROUND_TRIPS,
): Operation<Float64Array> {
  for (let i = 0; i < options.warmup; i++) yield* once(i);
  let samples = new Float64Array(options.samples);
  for (let i = 0; i < options.samples; i++) {
    let start = performance.now();
    yield* once(options.warmup + i);
    samples[i] = (performance.now() - start) * 1000;
  }
  return samples;
}

/**
 * Throughput: one untimed warm-up run of `warmupCount` messages, then `runs` timed runs of
 * `count` messages each. `run(count)` moves `count` messages and returns the elapsed wall time in
 * milliseconds, measured at the receiver. The figure is the median of the runs' msgs/s.
 */
export interface ThroughputOptions {
  count: number;
  warmupCount: number;
  runs: number;
}

export const STREAM: ThroughputOptions = { count: 500_000, warmupCount: 100_000, runs: 5 };

export interface Throughput {
  /** Median msgs/s over the timed runs. */
  value: number;
  /** msgs/s of every timed run, in order. */
  runs: number[];
}

export function* measureThroughput(
  run: (count: number) => Operation<number>,
  options: ThroughputOptions = STREAM,
): Operation<Throughput> {
  yield* run(options.warmupCount);
  let runs: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    let ms = yield* run(options.count);
    runs.push(options.count / (ms / 1000));
  }
  return { value: median(runs), runs };
}
