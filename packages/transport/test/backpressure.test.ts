import { run, spawn } from 'effection';
import { describe, expect, it } from 'vitest';
import { stalledAt, usePair } from './helpers.ts';

const PAYLOAD_BYTES = 64 * 1024;
const TOTAL = 400; // 25 MiB in all

describe.each(['uds', 'port'] as const)('backpressure over %s', (kind) => {
  it('holds a sender whose peer reads nothing in send, then delivers everything once the peer reads', async () => {
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      let payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
      let sent = 0;
      let sender = yield* spawn(function* () {
        for (let i = 0; i < TOTAL; i++) {
          yield* client.send({ i, payload });
          sent++;
        }
        return sent;
      });

      // Nobody reads on the server side. The sender gets a little ahead (the receiver's 1 MiB
      // inbox, the socket buffers or the port's 1 MiB window) and then waits in `send`.
      let stalled = yield* stalledAt(() => sent);
      expect(stalled).toBeGreaterThan(0);
      expect(stalled).toBeLessThan(64); // under 4 MiB of the 25 MiB it has to send

      // Reading lets it go on, and everything arrives, in order and intact.
      let inbox = yield* server.messages;
      for (let i = 0; i < TOTAL; i++) {
        let next = yield* inbox.next();
        let message = next.value as { i: number; payload: Uint8Array };
        if (message.i !== i) throw new Error(`message ${i} arrived as ${message.i}`);
        if (message.payload.length !== PAYLOAD_BYTES || message.payload[PAYLOAD_BYTES - 1] !== 7) throw new Error(`payload ${i} damaged`);
      }
      expect(yield* sender).toBe(TOTAL);
    });
  });

  it('a reader that falls behind slows the sender down, rather than failing it', async () => {
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      let payload = new Uint8Array(PAYLOAD_BYTES);
      let sent = 0;
      let received = 0;
      let maxAhead = 0;
      let sender = yield* spawn(function* () {
        for (let i = 0; i < TOTAL; i++) {
          yield* client.send({ i, payload });
          sent++;
          maxAhead = Math.max(maxAhead, sent - received);
        }
      });
      let inbox = yield* server.messages;
      for (let i = 0; i < TOTAL; i++) {
        let next = yield* inbox.next();
        expect((next.value as { i: number }).i).toBe(i);
        received++;
      }
      yield* sender;
      expect(client.failure).toBeUndefined();
      expect(maxAhead).toBeLessThan(64);
    });
  });
});
