import { all, each, run, scoped, sleep, spawn, withResolvers, type Operation } from 'effection';
import { describe, expect, it } from 'vitest';
import { BrokenActorError, ContextCancelledError, RemoteActorError, currentActor, openNursery, type Portal } from '../src/index.ts';
import { add } from './fixtures/basic.ts';
import { cancelAfter, counter, duplex, echo, flood, floodProgress, onGo, produce, ticks, waitForCancel } from './fixtures/streaming.ts';
import { failureOf, markers, perTest } from './helpers.ts';

const streaming = new URL('./fixtures/streaming.ts', import.meta.url);
const basic = new URL('./fixtures/basic.ts', import.meta.url);

const env = perTest();

/** An actor serving the streaming fixtures, for the body. */
function withActor(backend: 'process' | 'thread', body: (portal: Portal) => Operation<void>): Promise<void> {
  return run(function* () {
    let nursery = yield* openNursery();
    let portal = yield* nursery.startActor('streamer', { enableModules: [streaming, basic], spawn: backend });
    yield* body(portal);
  });
}

describe.each(['process', 'thread'] as const)('contexts and streams (%s actors)', (backend) => {
  it("runs API.md §3's echo context", () =>
    withActor(backend, function* (portal) {
      let { ctx, first } = yield* portal.openContext(echo, 'hi');
      expect(first).toBe('HI');
      let stream = yield* ctx.openStream();
      yield* stream.send('ping');
      expect(yield* stream.next()).toEqual({ done: false, value: 'ping' });
      yield* stream.close();
      expect(yield* ctx.result()).toBe('bye');
    }));

  it('consumes openStreamFrom sources: an async generator (with its return value) and an effection Stream', () =>
    withActor(backend, function* (portal) {
      let values: number[] = [];
      for (let value of yield* each(portal.openStreamFrom(counter, 5))) {
        values.push(value);
        yield* each.next();
      }
      expect(values).toEqual([0, 1, 2, 3, 4]);
      let subscription = yield* portal.openStreamFrom(counter, 2);
      expect(yield* subscription.next()).toEqual({ done: false, value: 0 });
      expect(yield* subscription.next()).toEqual({ done: false, value: 1 });
      expect(yield* subscription.next()).toEqual({ done: true, value: 2 });
      let tick = yield* portal.openStreamFrom(ticks, 2);
      expect([yield* tick.next(), yield* tick.next(), yield* tick.next()]).toEqual([
        { done: false, value: 0 },
        { done: false, value: 1 },
        { done: true, value: 'ticked' },
      ]);
    }));

  it('carries 1,000,000 small messages through one stream, none lost, none reordered', () =>
    withActor(backend, function* (portal) {
      let { ctx } = yield* portal.openContext(produce, 1_000_000, 256);
      let stream = yield* ctx.openStream();
      let expected = 0;
      while (true) {
        let next = yield* stream.next();
        if (next.done) break;
        if (next.value !== expected) throw new Error(`message ${expected} arrived as ${next.value}`);
        expected++;
      }
      expect(expected).toBe(1_000_000);
      expect(yield* ctx.result()).toBe(1_000_000);
    }), 120_000);

  it('holds a fast producer to a slow consumer: never more than the window in flight, memory flat', () =>
    withActor(backend, function* (portal) {
      let window = 16;
      let { ctx } = yield* portal.openContext(flood, 100_000, 1024, window);
      let stream = yield* ctx.openStream({ window });
      let before = yield* portal.run(floodProgress);
      let rssBefore = process.memoryUsage().rss;
      let mostInFlight = 0;
      for (let consumed = 0; consumed < 400; consumed++) {
        yield* stream.next();
        yield* sleep(1);
        if (consumed % 20 === 0) {
          let { sent } = yield* portal.run(floodProgress);
          mostInFlight = Math.max(mostInFlight, sent - (consumed + 1));
        }
      }
      let after = yield* portal.run(floodProgress);
      expect(mostInFlight).toBeLessThanOrEqual(window);
      expect(after.sent).toBeLessThanOrEqual(400 + window);
      // 100k × 1 KiB could not have been buffered anywhere: both sides stay within a few MiB.
      expect(after.rss - before.rss).toBeLessThan(32 * 1024 * 1024);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * 1024 * 1024);
      yield* ctx.cancel();
    }), 60_000);

  it('runs full duplex over a window of 4, both sides sending 10k messages at once, without deadlock', () =>
    withActor(backend, function* (portal) {
      let count = 10_000;
      let { ctx } = yield* portal.openContext(duplex, count, 4);
      let stream = yield* ctx.openStream({ window: 4 });
      let sender = yield* spawn(function* () {
        for (let i = 0; i < count; i++) yield* stream.send(i);
      });
      for (let i = 0; i < count; i++) expect((yield* stream.next()).value).toBe(i);
      yield* sender;
      expect(yield* ctx.result()).toBe(count);
    }), 60_000);

  it('surfaces a producer error at the message where it happened, with its stack', () =>
    withActor(backend, function* (portal) {
      let { ctx } = yield* portal.openContext(produce, 1000, 256, 500);
      let stream = yield* ctx.openStream();
      let received = 0;
      let error = yield* failureOf(function* () {
        while (true) {
          yield* stream.next();
          received++;
        }
      });
      expect(received).toBe(500);
      expect(error).toBeInstanceOf(RemoteActorError);
      expect((error as RemoteActorError).type).toBe('RangeError');
      expect((error as RemoteActorError).message).toBe('producer failed at 500');
      expect((error as RemoteActorError).remoteStack).toContain('producer failed at 500');
      let result = yield* failureOf(() => ctx.result());
      expect((result as RemoteActorError).message).toBe('producer failed at 500');
    }));

  it('raises a remote failure the caller never read when its scope ends, so none is swallowed', () =>
    withActor(backend, function* (portal) {
      let error = yield* failureOf(function* () {
        let { ctx } = yield* portal.openContext(produce, 10, 256, 0);
        yield* ctx.openStream();
        // Never reads: the producer's RangeError must still surface.
        yield* portal.run(add, 1, 1);
      });
      expect(error).toBeInstanceOf(RemoteActorError);
      expect((error as RemoteActorError).message).toBe('producer failed at 0');
    }));

  it("halts the producer when the consumer leaves its scope: its cleanup ran, the actor serves on", () =>
    withActor(backend, function* (portal) {
      yield* scoped(function* () {
        let values = yield* portal.openStreamFrom(counter, 1_000_000_000, env.dir);
        for (let i = 0; i < 10; i++) expect((yield* values.next()).value).toBe(i);
      });
      expect(markers(env.dir)).toEqual(['counter.cleanup']);
      expect(yield* portal.run(add, 2, 3)).toBe(5);
    }));

  it('ctx.cancel() from the caller: the callee sees ContextCancelledError naming the caller; the caller gets no error', () =>
    withActor(backend, function* (portal) {
      let { ctx, first } = yield* portal.openContext(waitForCancel, env.dir);
      expect(first).toBe('waiting');
      yield* ctx.openStream();
      yield* ctx.cancel();
      expect(markers(env.dir)).toEqual(['callee.cleanup', `callee.saw-cancel.${currentActor().uid}`]);
      expect(yield* ctx.result()).toBe(undefined);
    }));

  it('ctx.cancel() from the callee: the caller gets ContextCancelledError naming the callee', () =>
    withActor(backend, function* (portal) {
      let { ctx } = yield* portal.openContext(cancelAfter, 3, env.dir);
      let stream = yield* ctx.openStream();
      let values: number[] = [];
      let error = yield* failureOf(function* () {
        while (true) values.push((yield* stream.next()).value as number);
      });
      expect(values).toEqual([0, 1, 2]);
      expect(error).toBeInstanceOf(ContextCancelledError);
      expect((error as ContextCancelledError).canceller).toBe(portal.actor.uid);
      expect(yield* failureOf(() => ctx.result())).toBeInstanceOf(ContextCancelledError);
      expect(markers(env.dir)).toEqual(['self-cancelled.cleanup']);
    }));

  it('a stream closed by one side ends the other side, which may still send until it closes', () =>
    withActor(backend, function* (portal) {
      let { ctx } = yield* portal.openContext(echo, 'x');
      let stream = yield* ctx.openStream();
      yield* stream.send('a');
      yield* stream.send('b');
      yield* stream.close();
      let replies: string[] = [];
      for (let reply of yield* each(stream)) {
        replies.push(reply);
        yield* each.next();
      }
      expect(replies).toEqual(['a', 'b']);
      expect(yield* ctx.result()).toBe('bye');
    }));

  it('gives every one of 22 local broadcast() subscribers every message', () =>
    withActor(backend, function* (portal) {
      let count = 500;
      let { ctx } = yield* portal.openContext(onGo, count);
      let stream = yield* ctx.openStream();
      let hub = stream.broadcast();
      let subscribed = 0;
      let allSubscribed = withResolvers<void>();
      let subscribers = [];
      for (let i = 0; i < 22; i++) {
        subscribers.push(
          yield* spawn(function* () {
            let subscription = yield* hub;
            if (++subscribed === 22) allSubscribed.resolve();
            let values: number[] = [];
            while (true) {
              let next = yield* subscription.next();
              if (next.done) return values;
              values.push(next.value);
            }
          }),
        );
      }
      yield* allSubscribed.operation;
      yield* stream.send('go');
      let results = yield* all(subscribers);
      let expected = Array.from({ length: count }, (_, i) => i);
      for (let values of results) expect(values).toEqual(expected);
    }));

  it('serves 100 concurrent contexts on one actor while one of them is stalled', () =>
    withActor(backend, function* (portal) {
      // The stalled one: its producer fills the window and its consumer never reads.
      let stalled = yield* portal.openContext(flood, 1_000_000, 16, 8);
      yield* stalled.ctx.openStream({ window: 8 });
      let results = yield* all(
        Array.from({ length: 99 }, (_, i) =>
          scoped(function* () {
            let { ctx } = yield* portal.openContext(echo, `c${i}`);
            let stream = yield* ctx.openStream();
            for (let j = 0; j < 10; j++) {
              yield* stream.send(`${i}:${j}`);
              expect((yield* stream.next()).value).toBe(`${i}:${j}`);
            }
            yield* stream.close();
            return yield* ctx.result();
          }),
        ),
      );
      expect(results).toEqual(Array.from({ length: 99 }, () => 'bye'));
      expect((yield* portal.run(floodProgress)).sent).toBeLessThanOrEqual(8);
    }), 60_000);
});

describe('streams and process death', () => {
  it('SIGKILL of the producer mid-stream is a BrokenActorError for the consumer within 1 s', async () => {
    let elapsed = await run(function* () {
      let killed = 0;
      let error = yield* failureOf(function* () {
        let nursery = yield* openNursery();
        let portal = yield* nursery.startActor('producer', { enableModules: [streaming] });
        let { ctx } = yield* portal.openContext(produce, 1_000_000_000, 256);
        let stream = yield* ctx.openStream();
        for (let i = 0; i < 1000; i++) yield* stream.next();
        process.kill(portal.actor.pid, 'SIGKILL');
        killed = Date.now();
        while (true) yield* stream.next();
      });
      expect(error).toBeInstanceOf(BrokenActorError);
      expect((error as BrokenActorError).signal).toBe('SIGKILL');
      return Date.now() - killed;
    });
    expect(elapsed).toBeLessThan(1000);
  });
});
