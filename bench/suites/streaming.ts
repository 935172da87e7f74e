/**
 * Streams between actors (API.md §3): a context stream one way (a child actor producing, the
 * bench consuming), a stream echo round trip, and a 4-stage pipeline of actors. Same message as
 * every raw figure; the actors are real processes.
 */
import { each, scoped, sleep, spawn, type Operation } from 'effection';
import { openNursery, type Portal } from '@harrow/runtime';
import { measureRoundTrips, measureThroughput, ROUND_TRIPS, STREAM } from '../lib/measure.ts';
import { message, seqOf } from '../lib/payload.ts';
import { vmRssKiB } from '../lib/proc.ts';
import { describe, summarize } from '../lib/stats.ts';
import type { Suite } from '../lib/suite.ts';
import { echoStream, produce, stage } from '../fixtures/streaming.ts';

const FIXTURES = new URL('../fixtures/streaming.ts', import.meta.url);

export const streaming: Suite = {
  name: 'streaming',
  description: 'context streams between actors: one-way throughput (next and each), memory under a slow consumer, echo round trip, 4-stage pipeline',
  *run(bench) {
    yield* scoped(function* () {
      let nursery = yield* openNursery({ spare: false });
      let portal = yield* nursery.startActor('streamer', { enableModules: [FIXTURES] });

      let oneWay = yield* measureThroughput((count) => consume(portal, count), STREAM);
      bench.log(`stream.throughput: ${oneWay.runs.map((r) => Math.round(r)).join(', ')} msgs/s`);
      let note = `median of ${oneWay.runs.length} runs of ${STREAM.count.toLocaleString('en-US')}, context stream, window 256`;
      bench.record({ metric: 'stream.throughput', unit: 'msgs/s', value: oneWay.value, baseline: 'raw.uds.stream.batched', target: '>=0.75', note });
      bench.record({ metric: 'stream.throughput.vs-unbatched', unit: 'msgs/s', value: oneWay.value, baseline: 'raw.uds.stream.unbatched', note: 'the same figure, against one write per message' });

      let wide = yield* measureThroughput((count) => consume(portal, count, WIDE_WINDOW), STREAM);
      bench.log(`stream.throughput.window${WIDE_WINDOW}: ${wide.runs.map((r) => Math.round(r)).join(', ')} msgs/s`);
      bench.record({
        metric: `stream.throughput.window${WIDE_WINDOW}`,
        unit: 'msgs/s',
        value: wide.value,
        baseline: 'raw.uds.stream.batched',
        note: `stream.throughput with openStream({ window: ${WIDE_WINDOW} }): what the default window costs; median of ${wide.runs.length} runs`,
      });

      let withEach = yield* measureThroughput((count) => consumeWithEach(portal, count), STREAM);
      bench.log(`stream.each.throughput: ${withEach.runs.map((r) => Math.round(r)).join(', ')} msgs/s`);
      bench.record({
        metric: 'stream.each.throughput',
        unit: 'msgs/s',
        value: withEach.value,
        baseline: 'stream.throughput',
        target: '>=0.83',
        note: `the same stream read with each(stream) and each.next() instead of stream.next(); target: each within 1.2x of next; median of ${withEach.runs.length} runs`,
      });

      let memory = yield* slowConsumerMemory(portal);
      bench.log(`stream.memory: ${memory.count.toLocaleString('en-US')} messages in ${memory.ms.toFixed(0)} ms, RSS growth bench ${memory.rootGrowthKiB} KiB, producer ${memory.producerGrowthKiB} KiB`);
      bench.record({
        metric: 'stream.memory',
        unit: 'KiB',
        value: Math.max(memory.rootGrowthKiB, memory.producerGrowthKiB),
        target: '<=32768KiB',
        note: `largest RSS growth of the two processes over ${memory.count.toLocaleString('en-US')} messages, the consumer pausing 1 ms every 1,000; 0 lost, 0 out of order (checked)`,
      });

      let echo = summarize(yield* echoRoundTrips(portal));
      bench.log(`stream.echo.roundtrip: ${describe(echo)}`);
      bench.record({ metric: 'stream.echo.roundtrip', unit: 'us', value: echo.median, baseline: 'raw.uds.roundtrip', note: `median of ${echo.n} after ${ROUND_TRIPS.warmup} warm-up; p99 ${echo.p99.toFixed(1)}` });

      let pipeline = yield* measureThroughput((count) => throughPipeline(portal, count), { count: 200_000, warmupCount: 20_000, runs: 3 });
      bench.log(`stream.pipeline4: ${pipeline.runs.map((r) => Math.round(r)).join(', ')} msgs/s`);
      bench.record({ metric: 'stream.pipeline4', unit: 'msgs/s', value: pipeline.value, baseline: 'raw.uds.stream.batched', target: '>=0.35', note: 'bench → 4 actors in a chain, each forwarding to the next; median of 3 runs of 200,000' });
    });
  },
};

/** The window of `stream.throughput.window2048`: eight times the default. */
const WIDE_WINDOW = 2048;

/** Receive `count` messages from a producing actor, granting it `window` credits; the elapsed milliseconds. */
function* consume(portal: Portal, count: number, window?: number): Operation<number> {
  return yield* scoped(function* () {
    let { ctx } = yield* portal.openContext(produce, count);
    let stream = yield* ctx.openStream({ window });
    let start = performance.now();
    for (let received = 0; received < count; received++) {
      let next = yield* stream.next();
      if (next.done || seqOf(next.value) !== received) throw new Error(`stream: expected seq ${received}`);
    }
    let ms = performance.now() - start;
    yield* ctx.result();
    return ms;
  });
}

/** `consume` with the idiom the docs teach first: `each(stream)`. */
function* consumeWithEach(portal: Portal, count: number): Operation<number> {
  return yield* scoped(function* () {
    let { ctx } = yield* portal.openContext(produce, count);
    let stream = yield* ctx.openStream();
    let start = performance.now();
    let received = 0;
    for (let value of yield* each(stream)) {
      if (seqOf(value) !== received) throw new Error(`stream: expected seq ${received}`);
      received++;
      yield* each.next();
    }
    let ms = performance.now() - start;
    if (received !== count) throw new Error(`stream: ${received} of ${count} arrived`);
    yield* ctx.result();
    return ms;
  });
}

/** Messages of `stream.memory`, and how often its consumer pauses (1 ms every `MEMORY_PAUSE_EVERY`). */
const MEMORY_COUNT = 1_000_000;
const MEMORY_PAUSE_EVERY = 1_000;
/** How often both processes' RSS is sampled while it runs. */
const MEMORY_SAMPLE_MS = 50;

/**
 * `stream.memory`: 1M messages from the producing actor to a consumer here that takes 1 ms every
 * 1,000; flow control must keep both processes' memory bounded. RSS is sampled throughout; the
 * growth is the largest sample over the one taken before the stream opened.
 */
function* slowConsumerMemory(portal: Portal): Operation<{ count: number; ms: number; rootGrowthKiB: number; producerGrowthKiB: number }> {
  return yield* scoped(function* () {
    let pids = [process.pid, portal.actor.pid];
    let before = pids.map(vmRssKiB);
    let peak = [...before];
    yield* spawn(function* () {
      for (;;) {
        pids.forEach((pid, i) => (peak[i] = Math.max(peak[i]!, vmRssKiB(pid))));
        yield* sleep(MEMORY_SAMPLE_MS);
      }
    });
    let { ctx } = yield* portal.openContext(produce, MEMORY_COUNT);
    let stream = yield* ctx.openStream();
    let start = performance.now();
    for (let received = 0; received < MEMORY_COUNT; received++) {
      let next = yield* stream.next();
      if (next.done || seqOf(next.value) !== received) throw new Error(`stream.memory: expected seq ${received}`);
      if ((received + 1) % MEMORY_PAUSE_EVERY === 0) yield* sleep(1);
    }
    let ms = performance.now() - start;
    if ((yield* stream.next()).done !== true) throw new Error('stream.memory: more messages than were sent');
    yield* ctx.result();
    pids.forEach((pid, i) => (peak[i] = Math.max(peak[i]!, vmRssKiB(pid))));
    return { count: MEMORY_COUNT, ms, rootGrowthKiB: peak[0]! - before[0]!, producerGrowthKiB: peak[1]! - before[1]! };
  });
}

function* echoRoundTrips(portal: Portal): Operation<Float64Array> {
  return yield* scoped(function* () {
    let { ctx } = yield* portal.openContext(echoStream);
    let stream = yield* ctx.openStream();
    return yield* measureRoundTrips(function* (i) {
      yield* stream.send(message(i));
      let reply = yield* stream.next();
      if (reply.done || seqOf(reply.value) !== i) throw new Error(`stream echo: expected seq ${i}`);
    });
  });
}

/** Send `count` messages through a fresh 4-stage pipeline; the elapsed milliseconds until the last stage counted them all. */
function* throughPipeline(portal: Portal, count: number): Operation<number> {
  return yield* scoped(function* () {
    let { ctx } = yield* portal.openContext(stage, 4);
    let stream = yield* ctx.openStream();
    let start = performance.now();
    for (let i = 0; i < count; i++) yield* stream.send(message(i));
    yield* stream.close();
    let counted = yield* ctx.result();
    if (counted !== count) throw new Error(`pipeline: ${counted} of ${count} arrived`);
    return performance.now() - start;
  });
}
