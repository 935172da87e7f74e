/**
 * `@harrow/transport` against the raw Unix socket, same payload and same process topology: the
 * peer is a separate process (bench/peers/transport.ts) serving through `listen`, the bench
 * connects with `connect`. Then the cost of the cookie handshake: `connect` over loopback TCP
 * with a cookie beside one without, both ends in the bench process.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { each, scoped, spawn, type Operation } from 'effection';
import { connect, listen, type ConnectOptions, type Listener } from '@harrow/transport';
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
      bench.record({ metric: 'transport.roundtrip', unit: 'us', value: s.median, baseline: 'raw.uds.roundtrip', target: '<=1.2', note: `median of ${s.n} after ${ROUND_TRIPS.warmup} warm-up` });
      bench.record({ metric: 'transport.roundtrip.p99', unit: 'us', value: s.p99, baseline: 'raw.uds.roundtrip.p99' });
      if (canPin()) {
        let [pinnedRun, pinnedCpu] = yield* pinned([process.pid, pid], PIN_CPU, () => withCpuPerCall(pid, calls, () => roundTrip(address)));
        bench.log(`transport.roundtrip.1cpu: ${describe(pinnedRun)}; ${describeCpu(pinnedCpu, 'bench', 'peer')}`);
        bench.record({ metric: 'transport.roundtrip.1cpu', unit: 'us', value: pinnedRun.median, baseline: 'raw.uds.roundtrip.1cpu', note: `diagnostic: both processes on CPU ${PIN_CPU}; p99 ${pinnedRun.p99.toFixed(1)}` });
      }
      yield* stream(bench, address);
    });
    yield* tcpConnect(bench);
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
  bench.record({ metric: 'transport.stream', unit: 'msgs/s', value: result.value, baseline: 'raw.uds.stream.batched', target: '>=0.85', note: `median of ${result.runs.length} runs of ${STREAM.count.toLocaleString('en-US')}` });
}

/** Connections per kind: untimed, then timed. */
const CONNECTS = { warmup: 50, samples: 500 };

/**
 * `tcp.connect` and `tcp.auth.connect`: the time for `connect` to return a channel over loopback
 * TCP, to a listener without a cookie and to one with (whose `connect` returns only once both
 * sides have proved the cookie: one more round trip and four HMACs). Both listeners are in this
 * process; the two kinds take turns, each connection closed (untimed) before the next.
 */
function* tcpConnect(bench: BenchContext): Operation<void> {
  yield* scoped(function* () {
    let cookie = randomBytes(32);
    let plain = yield* acceptAll(yield* listen('tcp://127.0.0.1:0'));
    let guarded = yield* acceptAll(yield* listen('tcp://127.0.0.1:0', { cookie }));
    let plainTimes: number[] = [];
    let authTimes: number[] = [];
    for (let i = 0; i < CONNECTS.warmup + CONNECTS.samples; i++) {
      let timed = i >= CONNECTS.warmup;
      // Alternate which goes first, so that neither always follows the other's teardown.
      for (let auth of i % 2 === 0 ? [false, true] : [true, false]) {
        let ms = yield* timeConnect(auth ? guarded.address : plain.address, auth ? { cookie } : {});
        if (timed) (auth ? authTimes : plainTimes).push(ms);
      }
    }
    if (guarded.rejected !== 0) throw new Error(`tcp.auth.connect: ${guarded.rejected} connections rejected`);
    let p = summarize(plainTimes);
    let a = summarize(authTimes);
    let line = (s: Summary) => `median ${s.median.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms (n ${s.n}, min ${s.min.toFixed(3)}, max ${s.max.toFixed(1)})`;
    bench.log(`tcp.connect: ${line(p)}`);
    bench.log(`tcp.auth.connect: ${line(a)}`);
    let note = `median of ${p.n} after ${CONNECTS.warmup} warm-up, in turns`;
    bench.record({ metric: 'tcp.connect', unit: 'ms', value: p.median, note: `connect(), no cookie; ${note}` });
    bench.record({ metric: 'tcp.auth.connect', unit: 'ms', value: a.median, baseline: 'tcp.connect', note: `connect() with the cookie handshake; ${note}; p99 ${a.p99.toFixed(2)}` });
  });
}

/** Serve `listener` for as long as the scope lasts: hold each channel until its peer closes it. */
function* acceptAll(listener: Listener): Operation<Listener> {
  yield* spawn(function* () {
    for (let channel of yield* each(listener)) {
      yield* spawn(function* () {
        let inbox = yield* channel.messages;
        try {
          while (!(yield* inbox.next()).done);
        } catch {
          // a peer that reset the connection: nothing to close gracefully
        }
        yield* channel.close();
      });
      yield* each.next();
    }
  });
  return listener;
}

/** Milliseconds for `connect` to return; the channel is closed (untimed) before this returns. */
function* timeConnect(address: string, options: ConnectOptions): Operation<number> {
  return yield* scoped(function* () {
    let start = performance.now();
    yield* connect(address, options);
    return performance.now() - start;
  });
}
