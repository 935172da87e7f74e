import { randomBytes, randomInt } from 'node:crypto';
import { action, all, run, type Operation } from 'effection';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ProtocolError, TransportError, connect, encode, frameHeader, listen, type Channel, type ChannelOptions } from '../src/index.ts';
import { freeAddress, rawSend, serve, useProcessErrors, Tally, type NetKind, type Outcome } from './helpers.ts';

/**
 * A listener that records how every connection's messages ended. It echoes only messages that
 * ask for it (`{ echo }`, which garbage does not), so that a good client can check that it is
 * still served while a garbage connection's end is never muddled by a failed write.
 */
function* useRecordingListener(kind: NetKind, options: ChannelOptions = {}): Operation<{ address: string; outcomes: Tally<Outcome> }> {
  let listener = yield* listen(yield* freeAddress(kind), options);
  let outcomes = new Tally<Outcome>();
  yield* serve(listener, function* (channel) {
    outcomes.push(yield* readAndEcho(channel));
  });
  return { address: listener.address, outcomes };
}

function* readAndEcho(channel: Channel): Operation<Outcome> {
  let messages: unknown[] = [];
  let subscription = yield* channel.messages;
  try {
    while (true) {
      let next = yield* subscription.next();
      if (next.done) return { messages, end: 'done' };
      messages.push(next.value);
      if (isEchoRequest(next.value)) yield* channel.send(next.value);
    }
  } catch (error) {
    return { messages, end: error as Error };
  }
}

function isEchoRequest(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'echo' in value;
}

/** Throw each of `payloads` at `address` from its own raw connection, `batch` at a time; return their outcomes in order of arrival. */
function* throwAt(address: string, outcomes: Tally<Outcome>, payloads: Uint8Array[], then: 'end' | 'destroy' = 'end', batch = 50): Operation<Outcome[]> {
  let before = outcomes.items.length;
  for (let i = 0; i < payloads.length; i += batch) {
    yield* all(payloads.slice(i, i + batch).map((bytes) => rawSend(address, bytes, then)));
  }
  let items = yield* outcomes.until(before + payloads.length);
  return items.slice(before, before + payloads.length);
}

/** A good client still gets its messages echoed. */
function* expectStillServed(address: string): Operation<void> {
  let client = yield* connect(address);
  let replies = yield* client.messages;
  yield* client.send({ echo: 'still served', n: [1, 2, 3] });
  expect(yield* replies.next()).toEqual({ done: false, value: { echo: 'still served', n: [1, 2, 3] } });
  yield* client.close();
}

function bytes(...parts: (ArrayLike<number> | number)[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((part) => (typeof part === 'number' ? Uint8Array.of(part) : Uint8Array.from(part)))));
}

function frame(body: ArrayLike<number>): Uint8Array {
  return bytes(frameHeader(body.length), body);
}

function u32(value: number): number[] {
  return [...frameHeader(value)];
}

function isProtocolError(end: Outcome['end']): boolean {
  return end instanceof ProtocolError;
}

function isTransportError(end: Outcome['end']): boolean {
  return end instanceof TransportError && !(end instanceof ProtocolError);
}

describe('a peer that vanishes mid-frame', () => {
  for (let kind of ['uds', 'tcp'] as const) {
    it(`fails only its own channel with a TransportError (${kind})`, async () => {
      await run(function* () {
        let errors = yield* useProcessErrors();
        let { address, outcomes } = yield* useRecordingListener(kind);
        let good = frame(encode({ before: 'the break' }));
        let cases = [
          bytes(u32(1000), randomBytes(10)), // header and part of the body
          bytes(good, u32(1000), randomBytes(999)), // a good frame, then all but the last byte of one
          bytes(u32(50 * 1024 * 1024), randomBytes(100)), // a large frame barely begun
          bytes(good, 0, 0), // half a header
          bytes(u32(5)), // a header alone
        ];
        for (let payload of cases) {
          let [outcome] = yield* throwAt(address, outcomes, [payload], 'destroy');
          expect(isTransportError(outcome!.end), String(outcome!.end)).toBe(true);
          expect((outcome!.end as Error).message).toContain('closed in the middle of a frame');
          if (payload.length > good.length && payload.subarray(0, good.length).every((byte, i) => byte === good[i])) {
            expect(outcome!.messages).toEqual([{ before: 'the break' }]);
          }
        }
        yield* expectStillServed(address);
        expect(errors).toEqual([]);
      });
    });
  }
});

describe('an oversize declared length', () => {
  it('is a ProtocolError at the channel, for the default maximum and for maxFrameBytes', async () => {
    await run(function* () {
      let errors = yield* useProcessErrors();
      let defaults = yield* useRecordingListener('uds');
      let [huge] = yield* throwAt(defaults.address, defaults.outcomes, [bytes(0xff, 0xff, 0xff, 0xff)]);
      expect(huge!.end).toBeInstanceOf(ProtocolError);
      expect((huge!.end as Error).message).toBe('frame of 4294967295 bytes exceeds the maximum of 67108864 bytes');
      let [justOver] = yield* throwAt(defaults.address, defaults.outcomes, [bytes(u32(64 * 1024 * 1024 + 1), 1, 2, 3)]);
      expect(justOver!.end).toBeInstanceOf(ProtocolError);

      let small = yield* useRecordingListener('tcp', { maxFrameBytes: 1024 });
      let atMax = encode(Buffer.alloc(1024 - 3)); // bin 16: 3 bytes of header + 1021 = 1024
      expect(atMax.length).toBe(1024);
      let [accepted, refused, refusedLater] = [
        ...(yield* throwAt(small.address, small.outcomes, [frame(atMax)])),
        ...(yield* throwAt(small.address, small.outcomes, [bytes(u32(1025), randomBytes(1025))])),
        ...(yield* throwAt(small.address, small.outcomes, [bytes(frame(encode('ok')), u32(0xffffffff))])),
      ];
      expect(accepted!.end).toBe('done');
      expect(accepted!.messages).toHaveLength(1);
      expect(refused!.end).toBeInstanceOf(ProtocolError);
      expect((refused!.end as Error).message).toBe('frame of 1025 bytes exceeds the maximum of 1024 bytes');
      expect(refusedLater!.messages).toEqual(['ok']);
      expect(refusedLater!.end).toBeInstanceOf(ProtocolError);
      yield* expectStillServed(defaults.address);
      yield* expectStillServed(small.address);
      expect(errors).toEqual([]);
    });
  });
});

describe('garbage', () => {
  it('10k random byte strings: no crash, each connection fails or ends, the listener keeps serving', async () => {
    await run(function* () {
      let errors = yield* useProcessErrors();
      let { address, outcomes } = yield* useRecordingListener('uds');
      let payloads = Array.from({ length: 10_000 }, () => randomBytes(randomInt(1, 300)));
      let results = yield* throwAt(address, outcomes, payloads);
      let ends = { done: 0, protocol: 0, transport: 0 };
      for (let { end } of results) {
        if (end === 'done') ends.done++;
        else if (isProtocolError(end)) ends.protocol++;
        else if (isTransportError(end)) ends.transport++;
        else throw new Error(`a garbage connection ended with ${String(end)}`);
      }
      expect(ends.done + ends.protocol + ends.transport).toBe(10_000);
      // Most random headers declare more than 64 MiB; most of the rest declare more than was sent.
      expect(ends.protocol).toBeGreaterThan(9000);
      expect(ends.transport).toBeGreaterThan(0);
      yield* expectStillServed(address);
      expect(errors).toEqual([]);
    });
  });

  it('1k crafted bad frames: each fails its channel with the right error, the listener keeps serving', async () => {
    await run(function* () {
      let errors = yield* useProcessErrors();
      let { address, outcomes } = yield* useRecordingListener('tcp');
      let max = 64 * 1024 * 1024;
      let good = frame(encode({ good: true }));
      // `depth` containers, each holding the next, around a 0x00 (a fixint): far deeper than the stack.
      let deep = (container: number[], depth: number) => {
        let body = new Uint8Array(depth * container.length + 1);
        for (let i = 0; i < depth; i++) body.set(container, i * container.length);
        return frame(body);
      };
      let unknownExtensionTypes = [0x01, 0x10, 0x20, 0x3f, 0x50, 0x5a, 0x7a, 0x7f];
      // [what, how many, make one, how it must end]
      let groups: [string, number, (i: number) => Uint8Array, (outcome: Outcome) => boolean][] = [
        ['declared length above the maximum', 100, () => bytes(u32(randomInt(max + 1, 2 ** 32)), randomBytes(randomInt(0, 64))), (o) => isProtocolError(o.end)],
        ['declared length 0', 50, () => bytes(u32(0), randomBytes(randomInt(0, 16))), (o) => isProtocolError(o.end)],
        ['declared length 0 after a good frame', 50, () => bytes(good, u32(0)), (o) => isProtocolError(o.end) && o.messages.length === 1],
        ['body cut short, then the peer ends', 100, () => { let n = randomInt(2, 100_000); return bytes(u32(n), randomBytes(randomInt(0, Math.min(n - 1, 4096)))); }, (o) => isTransportError(o.end)],
        ['header cut short', 30, (i) => randomBytes((i % 3) + 1), (o) => isTransportError(o.end)],
        ['0xc1 alone, or repeated', 50, (i) => frame(new Uint8Array((i % 5) + 1).fill(0xc1)), (o) => isProtocolError(o.end)],
        ['a value cut short inside its frame', 100, (i) => frame([[0x92, 0x01], [0xa5, 0x61, 0x62], [0xcb, 1, 2, 3], [0xcd, 1], [0x81, 0xa1, 0x61], [0xc7, 9, 0x74, 1]][i % 6]!), (o) => isProtocolError(o.end)],
        ['trailing bytes after a valid value', 100, (i) => frame(bytes(encode([i, 'x'.repeat(i % 40)]), randomBytes(randomInt(1, 20)))), (o) => isProtocolError(o.end)],
        ['a valid frame then trailing garbage in the next', 50, (i) => bytes(good, frame(bytes(encode(i), 0xc0))), (o) => isProtocolError(o.end) && o.messages.length === 1],
        ['huge declared array/map/str/bin/ext lengths in a small frame', 230, (i) => {
          let headers = [[0xdd, ...u32(randomInt(100, 2 ** 32))], [0xdf, ...u32(randomInt(100, 2 ** 32))], [0xdb, ...u32(randomInt(100, 2 ** 32))],
            [0xc6, ...u32(randomInt(100, 2 ** 32))], [0xc9, ...u32(randomInt(100, 2 ** 32)), 0x74], [0xdc, 0xff, 0xff], [0xde, 0xff, 0xff],
            [0xda, 0xff, 0xff], [0xd9, 0xff], [0xc5, 0xff, 0xff], [0xc4, 0xff], [0x9f], [0x8f]];
          // Fewer bytes follow than even 15 one-byte values would need, so none of these can be whole.
          return frame(bytes(headers[i % headers.length]!, randomBytes(randomInt(0, 15))));
        }, (o) => isProtocolError(o.end)],
        ['deeply nested arrays and maps', 20, (i) => (i % 2 ? deep([0x91], 100_000) : deep([0x81, 0x00], 100_000)), (o) => isProtocolError(o.end)],
        ['an unknown extension type', 40, (i) => frame([0xd4, unknownExtensionTypes[i % unknownExtensionTypes.length]!, 0x00]), (o) => isProtocolError(o.end)],
        ['a reference to itself (structured-clone extensions)', 20, () => frame([0xd6, 0x69, 0, 0, 0, 1, 0x91, 0xd6, 0x70, 0, 0, 0, 1]), (o) => isProtocolError(o.end)],
        ['good frames, then a frame cut short', 40, (i) => bytes(...Array.from({ length: (i % 4) + 1 }, () => good), u32(100), 1, 2), (o) => isTransportError(o.end) && o.messages.length >= 1],
        ['a large valid header and nothing else', 20, () => bytes(u32(randomInt(1024 * 1024, 8 * 1024 * 1024))), (o) => isTransportError(o.end)],
      ];
      let total = 0;
      for (let [what, count, make, check] of groups) {
        let results = yield* throwAt(address, outcomes, Array.from({ length: count }, (_, i) => make(i)));
        let wrong = results.filter((outcome) => !check(outcome));
        expect(wrong.map((outcome) => String(outcome.end)), what).toEqual([]);
        total += count;
      }
      expect(total).toBeGreaterThanOrEqual(1000);
      yield* expectStillServed(address);
      expect(errors).toEqual([]);
    });
  });

  it('over WebSocket: garbage messages from ws clients and raw bytes at the HTTP port', async () => {
    await run(function* () {
      let errors = yield* useProcessErrors();
      let { address, outcomes } = yield* useRecordingListener('ws');
      let payloads = [
        ...Array.from({ length: 300 }, () => randomBytes(randomInt(1, 300))),
        ...Array.from({ length: 50 }, () => frame([0xc1])),
        ...Array.from({ length: 50 }, () => bytes(u32(0xffffffff))),
      ];
      let before = outcomes.items.length;
      for (let i = 0; i < payloads.length; i += 50) {
        yield* all(payloads.slice(i, i + 50).map((payload) => wsSend(address, payload)));
      }
      let results = (yield* outcomes.until(before + payloads.length)).slice(before);
      for (let { end } of results) expect(end === 'done' || isProtocolError(end) || isTransportError(end), String(end)).toBe(true);
      expect(results.filter(({ end }) => isProtocolError(end)).length).toBeGreaterThanOrEqual(100);
      // Raw bytes that are not even HTTP never become a channel; the server just drops them.
      let url = new URL(address.replace(/^ws:/, 'http:'));
      let raw = { host: url.hostname, port: Number(url.port) };
      yield* all(Array.from({ length: 50 }, () => rawSend(raw, randomBytes(randomInt(1, 500)))));
      yield* expectStillServed(address);
      expect((yield* outcomes.until(before + payloads.length + 1)).length).toBe(before + payloads.length + 1);
      expect(errors).toEqual([]);
    });
  });
});

describe('a WebSocket message above the maximum payload', () => {
  it('fails its channel before any of it is decoded, and the listener keeps serving', async () => {
    await run(function* () {
      let errors = yield* useProcessErrors();
      // maxFrameBytes 1024 allows WebSocket messages of 1024 bytes plus a 1 MiB batch allowance.
      let { address, outcomes } = yield* useRecordingListener('ws', { maxFrameBytes: 1024 });
      yield* wsSend(address, bytes(frame(encode('ok')), randomBytes(2 * 1024 * 1024)));
      let [outcome] = yield* outcomes.until(1);
      expect(outcome!.messages).toEqual([]);
      expect(isTransportError(outcome!.end), String(outcome!.end)).toBe(true);
      expect((outcome!.end as Error).message).toMatch(/max payload size exceeded/i);
      yield* expectStillServed(address);
      expect(errors).toEqual([]);
    });
  });
});

/** Open a WebSocket to `address`, send `payload` as one binary message, close, and wait until closed. */
function wsSend(address: string, payload: Uint8Array): Operation<void> {
  return action<void>((resolve) => {
    let ws = new WebSocket(address);
    ws.on('error', () => {});
    ws.on('close', () => resolve());
    ws.on('open', () => {
      ws.send(payload);
      ws.close();
    });
    return () => ws.terminate();
  });
}
