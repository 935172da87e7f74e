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

/** One block of a side's round trips in `takeTurns`: what its measurement gave, and how many calls it made. */
export interface Turn<T> {
  result: T;
  calls: number;
}

/**
 * Round trips of several sides taken in turns: the warm-up of each (`{ warmup, samples: 0 }`),
 * then `blocks` timed blocks of `options.samples / blocks` calls each, in the order A B, B A,
 * A B… so that a drift in the machine's state (on a small VM the scheduler's placement of
 * processes and threads flips every few hundred ms) falls on every side alike. Each side keeps
 * its own loop (`measureRoundTrips`, or `measureRoundTripsAsync` for a promise-based peer): only
 * the blocks alternate. Gives each side's blocks, its warm-up first.
 */
export function* takeTurns<T>(sides: ((options: RoundTripOptions) => Operation<T>)[], blocks: number, options: RoundTripOptions = ROUND_TRIPS): Operation<Turn<T>[][]> {
  let perBlock = Math.ceil(options.samples / blocks);
  let turns: Turn<T>[][] = sides.map(() => []);
  let take = function* (side: number, warmup: number, samples: number) {
    turns[side]!.push({ result: yield* sides[side]!({ warmup, samples }), calls: warmup + samples });
  };
  for (let side = 0; side < sides.length; side++) yield* take(side, options.warmup, 0);
  for (let block = 0; block < blocks; block++) {
    let order = [...sides.keys()];
    if (block % 2 === 1) order.reverse();
    for (let side of order) yield* take(side, 0, perBlock);
  }
  return turns;
}

/** The samples of several blocks, as one array. */
export function concatSamples(parts: Float64Array[]): Float64Array {
  let out = new Float64Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (let part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
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
