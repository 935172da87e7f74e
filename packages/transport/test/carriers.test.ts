import { randomBytes } from 'node:crypto';
import { MessageChannel, Worker } from 'node:worker_threads';
import { action, ensure, run, scoped, spawn, type Operation } from 'effection';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, TransportError, usePortChannel } from '../src/index.ts';
import { echo, readToEnd, usePair, NET_KINDS, Tally, type NetKind } from './helpers.ts';

const KINDS: (NetKind | 'port')[] = [...NET_KINDS, 'port'];

const SAMPLES: unknown[] = [
  0,
  -1.5,
  'hello',
  '',
  null,
  undefined,
  true,
  [1, [2, [3]]],
  { nested: { list: [1, 'two', null], empty: {} } },
  new Map<unknown, unknown>([[1, 'one'], [{ k: 1 }, [2]]]),
  new Set(['a', 1]),
  new Date(86_400_000),
  new Uint8Array([0, 1, 255]),
  2n ** 5000n,
  -(2n ** 70n),
  new Float64Array([0.25, -8]),
];

function sameBytes(actual: unknown, expected: Uint8Array): boolean {
  return actual instanceof Uint8Array && actual.constructor === Uint8Array && Buffer.from(actual).equals(expected);
}

describe.each(KINDS)('over %s', (kind) => {
  it('carries every kind of value there and back', async () => {
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      yield* spawn(() => echo(server));
      let replies = yield* client.messages;
      for (let message of SAMPLES) {
        yield* client.send(message);
        let reply = yield* replies.next();
        expect(reply.done).toBe(false);
        expect(reply.value).toEqual(message);
      }
      let buffer = Buffer.from('a Buffer');
      yield* client.send({ buffer });
      let reply = (yield* replies.next()).value as { buffer: Uint8Array };
      expect(sameBytes(reply.buffer, buffer)).toBe(true);
      expect(typeof client.peer).toBe('string');
      expect(client.closed).toBe(false);
      expect(client.failure).toBeUndefined();
    });
  });

  it('carries empty, 1 MiB and 16 MiB payloads intact', async () => {
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      yield* spawn(() => echo(server));
      let replies = yield* client.messages;

      yield* client.send(new Uint8Array(0));
      expect(sameBytes((yield* replies.next()).value, new Uint8Array(0))).toBe(true);
      yield* client.send('');
      expect((yield* replies.next()).value).toBe('');

      for (let size of [1024 * 1024, 16 * 1024 * 1024]) {
        let payload = randomBytes(size);
        yield* client.send(payload);
        expect(sameBytes((yield* replies.next()).value, payload)).toBe(true);
      }
      let text = 'ü'.repeat(512 * 1024);
      client.post({ text, after: 'the big one' });
      expect((yield* replies.next()).value).toEqual({ text, after: 'the big one' });
    });
  });

  it('delivers 100k messages in order, both ways', async () => {
    let count = 100_000;
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      yield* spawn(() => echo(server));
      let replies = yield* client.messages;
      let reader = yield* spawn(function* () {
        for (let i = 0; i < count; i++) {
          let reply = yield* replies.next();
          if (reply.value !== i) throw new Error(`message ${i} arrived as ${String(reply.value)}`);
        }
        return count;
      });
      for (let i = 0; i < count; i++) yield* client.send(i);
      expect(yield* reader).toBe(count);
    });
  });
});

describe('over a MessagePort', () => {
  it('ends the other side when one side leaves its scope', async () => {
    await run(function* () {
      let { port1, port2 } = new MessageChannel();
      let far = yield* usePortChannel(port2);
      let result = yield* spawn(() => readToEnd(far));
      yield* scoped(function* () {
        let near = yield* usePortChannel(port1);
        yield* near.send('last words');
      });
      expect(yield* result).toEqual({ messages: ['last words'], end: 'done' });
      expect(() => far.post('anyone?')).toThrow(TransportError);
    });
  });

  it('posts exactly the bytes of each write, never the rest of a pooled buffer', async () => {
    await run(function* () {
      let { port1, port2 } = new MessageChannel();
      let channel = yield* usePortChannel(port1);
      let chunks = new Tally<Uint8Array>();
      port2.on('message', (data: unknown) => {
        if (data instanceof Uint8Array) chunks.push(data);
      });
      yield* ensure(() => {
        port2.close();
      });
      // A small frame is batched into a small Buffer (from Node's shared pool), a large one is
      // written as a 4-byte header (pooled too) and a view into the encoder's buffer.
      let large = randomBytes(100_000);
      yield* channel.send('small');
      yield* channel.send(large);
      let decoded: unknown[] = [];
      let decoder = new FrameDecoder();
      for (let count = 1; decoded.length < 2; count++) {
        let chunk = (yield* chunks.until(count))[count - 1]!;
        expect(chunk.buffer.byteLength).toBe(chunk.byteLength);
        decoder.push(chunk, (message) => decoded.push(message));
      }
      expect(decoded[0]).toBe('small');
      expect(sameBytes(decoded[1], large)).toBe(true);
    });
  });

  it('talks to a real worker thread that speaks the framing by hand', async () => {
    await run(function* () {
      let { port1, port2 } = new MessageChannel();
      let worker = new Worker(new URL('./fixtures/echo-worker.mjs', import.meta.url), {
        workerData: { port: port2 },
        transferList: [port2],
      });
      let exited = exitOf(worker);
      yield* ensure(() => {
        worker.terminate();
      });
      let channel = yield* usePortChannel(port1);
      let replies = yield* channel.messages;

      let messages: unknown[] = [1, 'two', { three: [3] }, 2n ** 100n, new Uint8Array([4, 5]), randomBytes(3 * 1024 * 1024)];
      for (let message of messages) yield* channel.send(message);
      for (let message of messages) {
        let reply = (yield* replies.next()).value as { echo: unknown; thread: number };
        expect(reply.thread).toBe(worker.threadId);
        if (message instanceof Uint8Array) expect(sameBytes(reply.echo, message)).toBe(true);
        else expect(reply.echo).toEqual(message);
      }

      // The worker closing its port ends our messages, and the worker, with nothing left to do, exits.
      yield* channel.send({ op: 'close' });
      expect(yield* replies.next()).toEqual({ done: true, value: undefined });
      expect(channel.closed).toBe(true);
      expect(yield* exited).toBe(0);
    });
  });
});

/** The worker's exit code, once it has exited. */
function exitOf(worker: Worker): Operation<number> {
  let code: number | undefined;
  let waiting: ((code: number) => void) | undefined;
  worker.once('exit', (exitCode) => {
    code = exitCode;
    waiting?.(exitCode);
  });
  return action<number>((resolve) => {
    if (code !== undefined) resolve(code);
    else waiting = resolve;
    return () => {
      waiting = undefined;
    };
  });
}
