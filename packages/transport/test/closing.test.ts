import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { run, scoped, spawn, suspend, until, withResolvers, type Operation } from 'effection';
import { describe, expect, it } from 'vitest';
import { TransportError, connect, formatAddress, listen, type Channel } from '../src/index.ts';
import { echo, freeAddress, readToEnd, serve, serverListeningOn, usePair, useTempDir, NET_KINDS, Tally, type Outcome } from './helpers.ts';

describe('a Unix socket listener', () => {
  it('removes its socket file when its scope ends', async () => {
    await run(function* () {
      let path = join(yield* useTempDir(), 'scoped.sock');
      yield* scoped(function* () {
        let listener = yield* listen(`uds://${path}`);
        expect(listener.address).toBe(formatAddress({ kind: 'uds', path }));
        expect(existsSync(path)).toBe(true);
        // With a live connection too.
        let client = yield* connect(listener.address);
        yield* client.send('hi');
      });
      expect(existsSync(path)).toBe(false);
    });
  });

  it('replaces a socket file left behind by a dead process', async () => {
    await run(function* () {
      let path = join(yield* useTempDir(), 'stale.sock');
      // A process that listens and is killed leaves its socket file, with nothing behind it.
      let script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
      let killed = spawnSync(process.execPath, ['-e', script]);
      expect(killed.signal).toBe('SIGKILL');
      expect(existsSync(path)).toBe(true);
      let listener = yield* listen(`uds://${path}`);
      yield* serve(listener, echo);
      let client = yield* connect(listener.address);
      yield* client.send('fresh');
      expect((yield* (yield* client.messages).next()).value).toBe('fresh');
    });
  });

  it('refuses a path another listener is serving, with a TransportError, and leaves it alone', async () => {
    await run(function* () {
      let path = join(yield* useTempDir(), 'busy.sock');
      let first = yield* listen(`uds://${path}`);
      yield* serve(first, echo);
      let error: unknown;
      try {
        yield* scoped(() => listen(`uds://${path}`));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toContain('another process is listening there');
      let client = yield* connect(first.address);
      yield* client.send('first still serves');
      expect((yield* (yield* client.messages).next()).value).toBe('first still serves');
    });
  });
});

describe.each([...NET_KINDS, 'port'] as const)('closing over %s', (kind) => {
  it("a client's close ends the server side's messages", async () => {
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      let result = yield* spawn(() => readToEnd(server));
      yield* client.send('one');
      yield* client.send('two');
      yield* client.close();
      expect(client.closed).toBe(true);
      expect(yield* result).toEqual({ messages: ['one', 'two'], end: 'done' });
      expect(server.closed).toBe(true);
      expect(server.failure).toBeUndefined();
    });
  });

  it('send and post after close throw a TransportError, on both sides', async () => {
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      let serverEnd = yield* spawn(() => readToEnd(server));
      yield* client.close();
      yield* expectTransportError(client, 'after'); // the side that closed
      yield* client.close(); // closing twice is fine
      expect((yield* serverEnd).end).toBe('done');
      yield* expectTransportError(server, 'after'); // the side that was closed
      expect(() => client.post('x')).toThrow(/is closed/);
    });
  });

  it('send after destroy throws a TransportError, and the peer sees the end', async () => {
    await run(function* () {
      let { client, server } = yield* usePair(kind);
      let serverEnd = yield* spawn(() => readToEnd(server));
      client.destroy();
      expect(client.closed).toBe(true);
      yield* expectTransportError(client, 'destroyed');
      let end = (yield* serverEnd).end;
      // A destroyed connection may be seen as a clean end or as a reset, never as anything else.
      expect(end === 'done' || end instanceof TransportError).toBe(true);
    });
  });
});

describe('scopes', () => {
  for (let kind of NET_KINDS) {
    it(`leaving the scope of connect closes the connection (${kind})`, async () => {
      await run(function* () {
        let listener = yield* listen(yield* freeAddress(kind));
        let outcomes = new Tally<Outcome>();
        yield* serve(listener, function* (channel) {
          outcomes.push(yield* readToEnd(channel));
        });
        let escaped: Channel | undefined;
        yield* scoped(function* () {
          escaped = yield* connect(listener.address);
          yield* escaped.send('bye');
        });
        let [outcome] = yield* outcomes.until(1);
        expect(outcome).toEqual({ messages: ['bye'], end: 'done' });
        expect(escaped!.closed).toBe(true);
        yield* expectTransportError(escaped!, 'scope');
      });
    });

    it(`leaving the scope of listen closes the channels it accepted (${kind})`, async () => {
      await run(function* () {
        let requested = yield* freeAddress(kind);
        let bound = withResolvers<string>();
        let accepted = new Tally<Channel>();
        let server = yield* spawn(function* () {
          let listener = yield* listen(requested);
          yield* serve(listener, function* (channel) {
            accepted.push(channel);
            yield* echo(channel);
          });
          bound.resolve(listener.address);
          yield* suspend();
        });
        let address = yield* bound.operation;
        let client = yield* connect(address);
        yield* client.send('hello');
        yield* accepted.until(1);
        yield* server.halt();
        // The client, in a scope that goes on, sees its connection go.
        let { end } = yield* readToEnd(client);
        expect(end === 'done' || end instanceof TransportError).toBe(true);
        expect(client.closed).toBe(true);
        // And nobody listens there any more.
        let refused: unknown;
        try {
          yield* scoped(() => connect(address));
        } catch (error) {
          refused = error;
        }
        expect(refused).toBeInstanceOf(TransportError);
        expect((refused as Error).message).toContain(`cannot connect to ${address}`);
      });
    });
  }

  it('connecting to an address where nothing listens is a TransportError naming it', async () => {
    await run(function* () {
      let path = join(yield* useTempDir(), 'nobody.sock');
      let free = yield* freePort();
      for (let address of [`uds://${path}`, `tcp://127.0.0.1:${free}`, `ws://127.0.0.1:${free}/x`]) {
        let error: unknown;
        try {
          yield* scoped(() => connect(address));
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(TransportError);
        expect((error as Error).message).toContain(`cannot connect to ${address}`);
      }
    });
  });
});

/** `send` and `post` on a closed channel both throw a `TransportError`. */
function* expectTransportError(channel: Channel, label: string): Operation<void> {
  let thrown: unknown;
  try {
    yield* channel.send(label);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, label).toBeInstanceOf(TransportError);
  expect(() => channel.post(label)).toThrow(TransportError);
}

/** A TCP port that nothing listens on (it was free a moment ago). */
function* freePort(): Operation<number> {
  let server = net.createServer();
  yield* until(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  let { port } = server.address() as net.AddressInfo;
  yield* until(new Promise((resolve) => server.close(resolve)));
  return port;
}

describe.each(NET_KINDS)('a %s listener whose listening socket fails', (kind) => {
  it('ends its stream of connections with a TransportError naming its address', async () => {
    let error = await run(function* () {
      let listener = yield* listen(yield* freeAddress(kind));
      let connections = yield* listener;
      serverListeningOn(listener.address).emit('error', Object.assign(new Error('injected failure'), { code: 'EINJECTED' }));
      try {
        yield* connections.next();
      } catch (error) {
        return error;
      }
      throw new Error('the listener did not fail');
    });
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toMatch(/^the listener on (uds|tcp|ws):\/\/.* failed: injected failure$/);
  });
});
