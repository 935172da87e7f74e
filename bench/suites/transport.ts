/**
 * `@harrow/transport` against the raw Unix socket, same payload and same process topology: the
 * peer is a separate process (bench/peers/transport.ts) serving through `listen`, the bench
 * connects with `connect`.
 */
import { join } from 'node:path';
import { scoped, type Operation } from 'effection';
import { connect } from '@harrow/transport';
import { usePeer } from '../lib/child.ts';
import { measureRoundTrips, measureThroughput, ROUND_TRIPS, STREAM } from '../lib/measure.ts';
import { message, seqOf, type Command } from '../lib/payload.ts';
import { canPin, pinned, PIN_CPU } from '../lib/cpu.ts';
import { describeCpu, withCpuPerCall } from '../lib/proc.ts';
import { describe, summarize, type Summary } from '../lib/stats.ts';
import type { BenchContext, Suite } from '../lib/suite.ts';

export const transport: Suite = {
  name: 'transport',
  description: '@harrow/transport channel round trip and streaming vs the raw Unix socket',
  *run(bench) {
    yield* scoped(function* () {
      let address = `uds://${join(bench.tmpdir, 'transport.sock')}`;
      let peer = yield* usePeer('transport.ts', [address]);
      let pid = peer.child.process.pid!;
      let calls = ROUND_TRIPS.warmup + ROUND_TRIPS.samples;
      let [s, cpu] = yield* withCpuPerCall(pid, calls, () => roundTrip(address));
      bench.log(`transport.roundtrip: ${describe(s)}; ${describeCpu(cpu, 'bench', 'peer')}`);
      bench.record({ metric: 'transport.roundtrip', unit: 'us', value: s.median, baseline: 'raw.uds.roundtrip', target: '<=1.3', note: `median of ${s.n} after ${ROUND_TRIPS.warmup} warm-up` });
      bench.record({ metric: 'transport.roundtrip.p99', unit: 'us', value: s.p99, baseline: 'raw.uds.roundtrip.p99' });
      if (canPin()) {
        let [pinnedRun, pinnedCpu] = yield* pinned([process.pid, pid], PIN_CPU, () => withCpuPerCall(pid, calls, () => roundTrip(address)));
        bench.log(`transport.roundtrip.1cpu: ${describe(pinnedRun)}; ${describeCpu(pinnedCpu, 'bench', 'peer')}`);
        bench.record({ metric: 'transport.roundtrip.1cpu', unit: 'us', value: pinnedRun.median, baseline: 'raw.uds.roundtrip.1cpu', note: `diagnostic: both processes on CPU ${PIN_CPU}; p99 ${pinnedRun.p99.toFixed(1)}` });
      }
      yield* stream(bench, address);
    });
  },
};

/** Round trips over a fresh channel to the echo peer. */
function* roundTrip(address: string): Operation<Summary> {
  let samples = yield* scoped(function* () {
    let channel = yield* connect(address);
    let inbox = yield* channel.messages;
    yield* channel.send({ op: 'echo' } satisfies Command);
    return yield* measureRoundTrips(function* (i) {
      yield* channel.send(message(i));
      let reply = yield* inbox.next();
      if (reply.done || seqOf(reply.value) !== i) throw new Error(`transport echo: expected seq ${i}, got ${reply.done ? 'end' : seqOf(reply.value)}`);
    });
  });
  return summarize(samples);
}

function* stream(bench: BenchContext, address: string): Operation<void> {
  let result = yield* measureThroughput(function* (count) {
    return yield* scoped(function* () {
      let channel = yield* connect(address);
      let inbox = yield* channel.messages;
      let start = performance.now();
      yield* channel.send({ op: 'stream', count } satisfies Command);
      for (let received = 0; received < count; received++) {
        let next = yield* inbox.next();
        if (next.done || seqOf(next.value) !== received) {
          throw new Error(`transport stream: expected seq ${received}, got ${next.done ? 'end' : seqOf(next.value)}`);
        }
      }
      return performance.now() - start;
    });
  });
  bench.log(`transport.stream: ${result.runs.map((r) => Math.round(r)).join(', ')} msgs/s`);
  bench.record({ metric: 'transport.stream', unit: 'msgs/s', value: result.value, baseline: 'raw.uds.stream.batched', target: '>=0.7', note: `median of ${result.runs.length} runs of ${STREAM.count.toLocaleString('en-US')}` });
}
