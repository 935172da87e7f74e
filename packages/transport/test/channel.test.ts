import { all, run, spawn } from 'effection';
import { describe, expect, it } from 'vitest';
import { ProtocolError, connect, listen, type Channel } from '../src/index.ts';
import { echo, freeAddress, readToEnd, serve, usePair, NET_KINDS, Tally, type Outcome } from './helpers.ts';

describe('a value the codec cannot carry', () => {
  for (let kind of ['uds', 'port'] as const) {
    it(`is a TypeError naming its path, and nothing reaches the peer (${kind})`, async () => {
      await run(function* () {
        let { client, server } = yield* usePair(kind);
        let received = yield* server.messages;
        class Handle {
          id = 1;
        }
        let circular: Record<string, unknown> = {};
        circular.again = [circular];
        let cases: [unknown, string][] = [
          [{ args: [1, { cb() {} }] }, 'args[1].cb is a function'],
          [{ args: [Symbol('s')] }, 'args[0] is a symbol'],
          [{ handle: new Handle() }, 'handle is an instance of class Handle; only plain objects, arrays, Map, Set, Date and typed arrays cross actors'],
          [{ error: new Error('x') }, 'error is an Error (Error); throw it, or send its message'],
          [{ pending: Promise.resolve() }, 'pending is a Promise; resolve it first'],
          [{ circular }, 'circular.again[0] is a circular reference'],
          [{ m: new Map([['k', [() => 1]]]) }, 'm.get("k")[0] is a function'],
          [{ s: new Set([{ f: Symbol('x') }]) }, 's.values()[0].f is a symbol'],
        ];
        for (let [value, message] of cases) {
          expect(() => client.post(value)).toThrow(new TypeError(message));
          let thrown: unknown;
          try {
            yield* client.send(value);
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(TypeError);
          expect((thrown as TypeError).message).toBe(message);
        }
        // The channel is still good, and the first thing the peer receives is the next good message.
        expect(client.closed).toBe(false);
        expect(client.failure).toBeUndefined();
        yield* client.send({ args: [1, 'fine'] });
        expect(yield* received.next()).toEqual({ done: false, value: { args: [1, 'fine'] } });
      });
    });
  }
});

describe('maxFrameBytes', () => {
  it('refuses to send a message larger than the maximum, as a ProtocolError, and stays usable', async () => {
    await run(function* () {
      let { client, server } = yield* usePair('uds', { maxFrameBytes: 1024 });
      let received = yield* server.messages;
      expect(() => client.post(new Uint8Array(2000))).toThrow(ProtocolError);
      expect(() => client.post(new Uint8Array(2000))).toThrow(/exceeds the maximum frame of 1024 bytes/);
      yield* client.send('small');
      expect((yield* received.next()).value).toBe('small');
    });
  });

  it('fails a channel whose peer sends a larger frame, with a ProtocolError, and only that channel', async () => {
    await run(function* () {
      let listener = yield* listen(yield* freeAddress('tcp'), { maxFrameBytes: 4096 });
      let outcomes = new Tally<Outcome>();
      yield* serve(listener, function* (channel) {
        outcomes.push(yield* readToEnd(channel));
      });
      // The sender's own limit is the default, so the frame leaves, and the listener refuses it.
      let big = yield* connect(listener.address);
      let bigEnd = yield* spawn(() => readToEnd(big));
      yield* big.send('fits');
      yield* big.send(new Uint8Array(5000));
      let ended = yield* bigEnd;
      // The listener dropped the connection: the sender sees its messages end (or break).
      expect(ended.messages).toEqual([]);
      expect(ended.end === 'done' || ended.end instanceof Error).toBe(true);
      let [outcome] = yield* outcomes.until(1);
      expect(outcome!.messages).toEqual(['fits']);
      expect(outcome!.end).toBeInstanceOf(ProtocolError);
      expect((outcome!.end as Error).message).toMatch(/exceeds the maximum of 4096 bytes/);
      // The listener still serves.
      let good = yield* connect(listener.address, { maxFrameBytes: 4096 });
      yield* good.send('still here');
      yield* good.close();
      let [, second] = yield* outcomes.until(2);
      expect(second).toEqual({ messages: ['still here'], end: 'done' });
    });
  });
});

describe('one listener', () => {
  for (let kind of NET_KINDS) {
    it(`serves 50 channels at once (${kind})`, async () => {
      await run(function* () {
        let listener = yield* listen(yield* freeAddress(kind));
        let active = 0;
        let accepted = 0;
        yield* serve(listener, function* (channel) {
          accepted++;
          active++;
          try {
            yield* echo(channel);
          } finally {
            active--;
          }
        });
        let clients: Channel[] = [];
        for (let i = 0; i < 50; i++) clients.push(yield* connect(listener.address));
        let results = yield* all(
          clients.map((client, id) =>
            (function* () {
              let replies = yield* client.messages;
              for (let n = 0; n < 200; n++) {
                yield* client.send({ id, n, pad: 'x'.repeat(n) });
                let reply = (yield* replies.next()).value as { id: number; n: number; pad: string };
                if (reply.id !== id || reply.n !== n || reply.pad.length !== n) throw new Error(`client ${id} got ${JSON.stringify(reply)}`);
              }
              return id;
            })(),
          ),
        );
        expect(results).toEqual(clients.map((_, id) => id));
        expect(accepted).toBe(50);
        expect(active).toBe(50);
      });
    });
  }
});
