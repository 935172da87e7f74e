/*
 * Cookie authentication, over real sockets. The proofs a raw peer sends or expects here are
 * computed with node:crypto directly, from the byte layout documented in src/handshake.ts, so
 * these tests pin the wire format rather than echo the implementation.
 */
import { createHmac, randomBytes } from 'node:crypto';
import net from 'node:net';
import { action, all, resource, run, spawn, type Operation } from 'effection';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  AuthenticationError,
  FrameDecoder,
  TransportError,
  connect,
  encode,
  frameHeader,
  listen,
  type Channel,
  type Listener,
  type ListenOptions,
  type Rejection,
} from '../src/index.ts';
import { echo, freeAddress, netTarget, serve, Tally, useProcessErrors, usePair, type NetKind } from './helpers.ts';

const COOKIE = 'the cookie of this tree';
/** The short deadline most tests use. */
const DEADLINE = 300;
/** How late a disconnection may come past its deadline on a busy 2-core machine. */
const SLACK = 1500;

const PREFIX = Buffer.from('HRWA\x01', 'latin1');
const HELLO_BYTES = 37;
const RESPONSE_BYTES = 69;
const MISMATCH = 'the peer does not hold the same cookie (HARROW_COOKIE)';

function mac(cookie: string, label: string, first: Uint8Array, second: Uint8Array): Buffer {
  return createHmac('sha256', cookie).update(label).update(PREFIX).update(first).update(second).digest();
}

/** The client's proof: HMAC(cookie, "harrow client" "HRWA" 1 nonceS nonceC). */
function clientProof(cookie: string, serverNonce: Uint8Array, clientNonce: Uint8Array): Buffer {
  return mac(cookie, 'harrow client', serverNonce, clientNonce);
}

/** The server's proof: HMAC(cookie, "harrow server" "HRWA" 1 nonceC nonceS). */
function serverProof(cookie: string, clientNonce: Uint8Array, serverNonce: Uint8Array): Buffer {
  return mac(cookie, 'harrow server', clientNonce, serverNonce);
}

function sameBytes(actual: unknown, expected: Uint8Array): boolean {
  return actual instanceof Uint8Array && Buffer.from(actual).equals(expected);
}

function frame(message: unknown): Buffer {
  let body = encode(message);
  return Buffer.concat([frameHeader(body.length), body]);
}

interface Guarded {
  address: string;
  listener: Listener;
  /** Every channel the listener's stream yielded. */
  accepted: Tally<Channel>;
  rejections: Tally<Rejection>;
}

/** A listener with the cookie and a short deadline that echoes every message, for as long as the scope lasts. */
function* useGuardedListener(kind: NetKind, options: ListenOptions = {}): Operation<Guarded> {
  let rejections = new Tally<Rejection>();
  let accepted = new Tally<Channel>();
  let listener = yield* listen(yield* freeAddress(kind), {
    cookie: COOKIE,
    handshakeTimeout: DEADLINE,
    onRejected: (rejection) => rejections.push(rejection),
    ...options,
  });
  yield* serve(listener, function* (channel) {
    accepted.push(channel);
    yield* echo(channel);
  });
  return { address: listener.address, listener, accepted, rejections };
}

/** Connect with `options`, send a message and expect it back. */
function* roundTrip(address: string, options: { cookie?: string } = { cookie: COOKIE }): Operation<void> {
  let client = yield* connect(address, options);
  let replies = yield* client.messages;
  let message = { hello: 'authenticated', n: [1, 2, 3], bytes: new Uint8Array([0, 255]) };
  yield* client.send(message);
  expect(yield* replies.next()).toEqual({ done: false, value: message });
  yield* client.close();
}

/** What `operation` throws; fails the test if it returns. */
function* failure(operation: Operation<unknown>): Operation<Error> {
  try {
    yield* operation;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected it to fail');
}

/** A raw TCP connection (not harrow), for playing a peer byte by byte. */
class RawPeer {
  bytes = Buffer.alloc(0);
  /** Milliseconds from the connection to its 'close' event, once closed. */
  closedAfter: number | undefined;
  /** The `host:port` the listener sees this peer as. */
  readonly local: string;
  private wake: (() => void)[] = [];

  constructor(readonly socket: net.Socket, private start: number) {
    this.local = `${socket.localAddress}:${socket.localPort}`;
    socket.on('data', (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      this.notify();
    });
    socket.on('close', () => {
      this.closedAfter = performance.now() - this.start;
      this.notify();
    });
  }


  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Take the next `n` bytes received, waiting for them; throws if the connection closes first. */
  *read(n: number): Operation<Buffer> {
    yield* this.until(() => this.bytes.length >= n || this.closedAfter !== undefined);
    if (this.bytes.length < n) throw new Error(`closed after ${this.bytes.length} of ${n} bytes`);
    let taken = this.bytes.subarray(0, n);
    this.bytes = this.bytes.subarray(n);
    return taken;
  }

  /** Take every byte received so far, waiting for at least one; throws if the connection closes first. */
  *readSome(): Operation<Buffer> {
    yield* this.until(() => this.bytes.length > 0 || this.closedAfter !== undefined);
    return yield* this.read(Math.max(1, this.bytes.length));
  }

  /** Wait for the 'close' event; returns how long after connecting it came. */
  *closed(): Operation<number> {
    yield* this.until(() => this.closedAfter !== undefined);
    return this.closedAfter!;
  }

  private *until(ready: () => boolean): Operation<void> {
    while (!ready()) {
      yield* action<void>((resolve) => {
        this.wake.push(resolve);
        return () => {
          this.wake = this.wake.filter((other) => other !== resolve);
        };
      });
    }
  }

  private notify(): void {
    let wake = this.wake;
    this.wake = [];
    for (let resolve of wake) resolve();
  }
}

/** A raw connection to a tcp `address`, destroyed when the scope ends. */
function useRawPeer(address: string): Operation<RawPeer> {
  return resource(function* (provide) {
    let start = performance.now();
    let socket = net.connect({ ...netTarget(address), noDelay: true });
    socket.on('error', () => {}); // the listener resetting a connection it refused
    yield* action<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
      return () => {
        socket.off('connect', resolve);
        socket.off('error', reject);
      };
    });
    try {
      yield* provide(new RawPeer(socket, start));
    } finally {
      socket.destroy();
    }
  });
}

/** A raw client's correct handshake: read the hello, answer with the right proof; returns both nonces. */
function* answerHello(peer: RawPeer, extra: Uint8Array = Buffer.alloc(0)): Operation<{ serverNonce: Buffer; clientNonce: Buffer }> {
  let hello = yield* peer.read(HELLO_BYTES);
  expect(hello.subarray(0, 5)).toEqual(PREFIX);
  let serverNonce = Buffer.from(hello.subarray(5));
  let clientNonce = randomBytes(32);
  peer.write(Buffer.concat([PREFIX, clientNonce, clientProof(COOKIE, serverNonce, clientNonce), extra]));
  return { serverNonce, clientNonce };
}

/** What a fake server knows when it answers a client's response. */
interface Exchange {
  serverNonce: Buffer;
  clientNonce: Buffer;
  clientProof: Buffer;
}

/**
 * A fake harrow server on TCP for as long as the scope lasts: it says hello, reads the client's
 * response, and writes what `answer` makes of it (with `silent`, it says nothing at all).
 */
function* useFakeServer(answer: (exchange: Exchange) => Uint8Array, silent = false): Operation<string> {
  return yield* useNetServer((socket) => {
    if (silent) return;
    let serverNonce = randomBytes(32);
    socket.write(Buffer.concat([PREFIX, serverNonce]));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      let before = received.length;
      received = Buffer.concat([received, chunk]);
      if (before < RESPONSE_BYTES && received.length >= RESPONSE_BYTES) {
        socket.write(answer({ serverNonce, clientNonce: received.subarray(5, 37), clientProof: received.subarray(37, 69) }));
      }
    });
  });
}

/** A plain `net` server on a free loopback port for as long as the scope lasts; returns its tcp:// address. */
function useNetServer(onConnection: (socket: net.Socket) => void): Operation<string> {
  return resource(function* (provide) {
    let sockets = new Set<net.Socket>();
    let server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      onConnection(socket);
    });
    yield* action<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
      return () => {};
    });
    try {
      yield* provide(`tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    } finally {
      for (let socket of sockets) socket.destroy();
      server.close();
    }
  });
}

/** Messages decoded from a raw peer's bytes, waiting until there are `count`. */
function* readFrames(peer: RawPeer, count: number): Operation<unknown[]> {
  let messages: unknown[] = [];
  let decoder = new FrameDecoder();
  while (messages.length < count) {
    let chunk = yield* peer.readSome();
    decoder.push(chunk, (message) => messages.push(message));
  }
  return messages;
}

describe('a listener with a cookie', () => {
  it('disconnects garbage, a frame without handshake, a wrong proof, a partial handshake and silence within the deadline, counting and reporting each, and serves a good client meanwhile', async () => {
    await run(function* () {
      let errors = yield* useProcessErrors();
      let { address, listener, accepted, rejections } = yield* useGuardedListener('tcp');
      let garbage = yield* useRawPeer(address);
      let frameFirst = yield* useRawPeer(address);
      let wrongProof = yield* useRawPeer(address);
      let reflected = yield* useRawPeer(address);
      let partial = yield* useRawPeer(address);
      let silent = yield* useRawPeer(address);

      garbage.write(Buffer.concat([Buffer.of(0xc1), randomBytes(200)]));
      // a well-formed frame of a call message, as the runtime's protocol sends it, straight away
      frameFirst.write(frame({ type: 'call', cid: 1, kind: 'run', module: null, fn: 'echo', args: ['no handshake'] }));
      let hello = yield* wrongProof.read(HELLO_BYTES);
      expect(hello.subarray(0, 5)).toEqual(PREFIX);
      wrongProof.write(Buffer.concat([PREFIX, randomBytes(32), randomBytes(32)]));
      // the server's own direction of proof, computed with the right cookie: reflection does not pass
      let reflectedHello = yield* reflected.read(HELLO_BYTES);
      let nonce = randomBytes(32);
      reflected.write(Buffer.concat([PREFIX, nonce, serverProof(COOKIE, nonce, reflectedHello.subarray(5))]));
      partial.write(Buffer.concat([PREFIX, randomBytes(10)]));

      yield* roundTrip(address);

      for (let peer of [garbage, frameFirst, wrongProof, reflected, partial, silent]) {
        expect(yield* peer.closed()).toBeLessThan(DEADLINE + SLACK);
      }
      expect(yield* silent.closed()).toBeGreaterThanOrEqual(DEADLINE - 5);
      expect(yield* partial.closed()).toBeGreaterThanOrEqual(DEADLINE - 5);
      // the refused ones were told so: one byte 0x00 after the hello
      expect([...wrongProof.bytes]).toEqual([0]);
      expect([...reflected.bytes]).toEqual([0]);
      // garbage never got more than the hello
      expect(garbage.bytes.length).toBeLessThanOrEqual(HELLO_BYTES);

      let reports = yield* rejections.until(6);
      expect(listener.rejected).toBe(6);
      let reasonOf = (peer: RawPeer) => {
        let found = reports.filter((report) => report.peer.endsWith(`(peer ${peer.local})`));
        expect(found, peer.local).toHaveLength(1);
        expect(found[0]!.peer).toContain(address);
        return found[0]!.reason;
      };
      expect(reasonOf(garbage)).toMatch(/^not a harrow handshake \(expected "HRWA", got 0xc1[0-9a-f]{8}\)$/);
      expect(reasonOf(frameFirst)).toMatch(/^not a harrow handshake \(expected "HRWA", got 0x0000/);
      expect(reasonOf(wrongProof)).toBe(`its proof is wrong: ${MISMATCH}`);
      expect(reasonOf(reflected)).toBe(`its proof is wrong: ${MISMATCH}`);
      expect(reasonOf(partial)).toBe(`no handshake within ${DEADLINE} ms (15 of ${RESPONSE_BYTES} bytes received)`);
      expect(reasonOf(silent)).toBe(`no handshake within ${DEADLINE} ms (0 of ${RESPONSE_BYTES} bytes received)`);

      // Only the good client ever reached the stream.
      expect(accepted.items).toHaveLength(1);
      yield* roundTrip(address);
      expect(accepted.items).toHaveLength(2);
      expect(listener.rejected).toBe(6);
      expect(errors).toEqual([]);
    });
  });

  it('rejects a version it does not speak, and a peer that hangs up mid-handshake', async () => {
    await run(function* () {
      let { address, rejections } = yield* useGuardedListener('tcp');
      let future = yield* useRawPeer(address);
      future.write(Buffer.from('HRWA\x02', 'latin1'));
      yield* future.closed();
      let gone = yield* useRawPeer(address);
      gone.socket.end(PREFIX);
      yield* gone.closed();
      let reports = yield* rejections.until(2);
      expect(reports.map((report) => report.reason)).toEqual([
        'handshake version 2 is not supported (this side speaks 1)',
        'the connection closed during the handshake',
      ]);
    });
  });

  it('keeps accepting while handshakes stall: a silent peer holds up no other', async () => {
    await run(function* () {
      let deadline = 2000;
      let { address, accepted, rejections } = yield* useGuardedListener('tcp', { handshakeTimeout: deadline });
      let stalled: RawPeer[] = [];
      for (let i = 0; i < 5; i++) stalled.push(yield* useRawPeer(address));
      let start = performance.now();
      yield* all([0, 1, 2, 3, 4].map(() => roundTrip(address)));
      let served = performance.now() - start;
      // All five were served while every stalled handshake was still pending.
      expect(stalled.filter((peer) => peer.closedAfter !== undefined)).toEqual([]);
      expect(served).toBeLessThan(deadline);
      expect(accepted.items).toHaveLength(5);
      for (let peer of stalled) {
        let after = yield* peer.closed();
        expect(after).toBeGreaterThanOrEqual(deadline - 5);
        expect(after).toBeLessThan(deadline + SLACK);
      }
      expect(yield* rejections.until(5)).toHaveLength(5);
    });
  });

  it('passes bytes pipelined right after the handshake on to the channel intact, in one write or byte by byte', async () => {
    await run(function* () {
      let { address, accepted } = yield* useGuardedListener('tcp');
      let large = new Uint8Array(randomBytes(200_000));
      let messages = [{ first: 1 }, 'second', { large }, [4]];
      // The response and four frames in a single write: the channel gets every byte after the response.
      let peer = yield* useRawPeer(address);
      let { serverNonce, clientNonce } = yield* answerHello(peer, Buffer.concat(messages.map(frame)));
      let verdict = yield* peer.read(33);
      expect(verdict[0]).toBe(1);
      expect(verdict.subarray(1)).toEqual(serverProof(COOKIE, clientNonce, serverNonce));
      let received = yield* readFrames(peer, messages.length);
      // (the large one compared as bytes: a diff of 200,000 numbers is no help)
      expect(sameBytes((received[2] as { large: unknown }).large, large)).toBe(true);
      expect([received[0], received[1], received[3]]).toEqual([messages[0], messages[1], messages[3]]);

      // The response one byte per write, the frame right behind its last byte.
      let slow = yield* useRawPeer(address);
      let hello = yield* slow.read(HELLO_BYTES);
      let nonce = randomBytes(32);
      let bytes = Buffer.concat([PREFIX, nonce, clientProof(COOKIE, hello.subarray(5), nonce), frame('after the dribble')]);
      for (let byte of bytes.subarray(0, RESPONSE_BYTES)) {
        yield* action<void>((resolve) => {
          slow.socket.write(Uint8Array.of(byte), () => resolve());
          return () => {};
        });
      }
      slow.write(bytes.subarray(RESPONSE_BYTES));
      expect((yield* slow.read(33))[0]).toBe(1);
      expect(yield* readFrames(slow, 1)).toEqual(['after the dribble']);
      expect(accepted.items).toHaveLength(2);
    });
  });

  it('over ws: serves a client with the cookie, refuses one with another cookie, and garbage', async () => {
    await run(function* () {
      let errors = yield* useProcessErrors();
      let { address, listener, accepted, rejections } = yield* useGuardedListener('ws');
      yield* roundTrip(address);
      let error = yield* failure(connect(address, { cookie: 'another cookie' }));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toBe(`authentication with ${address} failed: it refused our proof: ${MISMATCH}`);
      let [wrong] = yield* rejections.until(1);
      expect(wrong!.reason).toBe(`its proof is wrong: ${MISMATCH}`);
      expect(wrong!.peer).toContain(address);

      // A WebSocket that sends garbage, and one that sends a frame straight away: closed, reported.
      for (let payload of [randomBytes(64), frame({ type: 'call', cid: 1 })]) {
        yield* action<void>((resolve) => {
          let ws = new WebSocket(address);
          ws.on('error', () => {});
          ws.on('open', () => ws.send(Buffer.concat([Buffer.of(0xc1), payload])));
          ws.on('close', () => resolve());
          return () => ws.terminate();
        });
      }
      let reports = yield* rejections.until(3);
      for (let report of reports.slice(1)) expect(report.reason).toMatch(/^not a harrow handshake \(expected "HRWA", got 0xc1/);
      yield* roundTrip(address);
      expect(accepted.items).toHaveLength(2);
      expect(listener.rejected).toBe(3);
      expect(errors).toEqual([]);
    });
  });
});

describe('a client with a cookie', () => {
  for (let kind of ['tcp', 'ws'] as const) {
    it(`with the wrong cookie fails with AuthenticationError, and the listener never yields it (${kind})`, async () => {
      await run(function* () {
        let { address, accepted, rejections } = yield* useGuardedListener(kind);
        let error = yield* failure(connect(address, { cookie: 'not the cookie' }));
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error).toBeInstanceOf(TransportError);
        expect(error.name).toBe('AuthenticationError');
        expect(error.message).toBe(`authentication with ${address} failed: it refused our proof: ${MISMATCH}`);
        yield* rejections.until(1);
        expect(accepted.items).toEqual([]);
        yield* roundTrip(address);
        expect(accepted.items).toHaveLength(1);
      });
    });

    it(`fails with AuthenticationError against a server with another cookie: the check is mutual (${kind})`, async () => {
      await run(function* () {
        let { address, accepted } = yield* useGuardedListener(kind, { cookie: 'the server has another' });
        let error = yield* failure(connect(address, { cookie: COOKIE }));
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error.message).toContain(MISMATCH);
        expect(error.message).toContain(address);
        expect(accepted.items).toEqual([]);
      });
    });

    it(`carries values and a 16 MiB payload once authenticated (${kind})`, async () => {
      await run(function* () {
        let { client, server } = yield* usePair(kind, { cookie: randomBytes(32) });
        yield* spawn(() => echo(server));
        let replies = yield* client.messages;
        for (let message of [0, 'text', { nested: [1, null] }]) {
          yield* client.send(message);
          expect((yield* replies.next()).value).toEqual(message);
        }
        let big = new Uint8Array(randomBytes(16 * 1024 * 1024));
        yield* client.send(big);
        expect(sameBytes((yield* replies.next()).value, big)).toBe(true);
      });
    });
  }

  it('rejects a server whose proof is wrong, or is the client direction reflected back, or its own proof echoed', async () => {
    await run(function* () {
      let answers: [string, (exchange: Exchange) => Uint8Array][] = [
        ['random', () => Buffer.concat([Buffer.of(1), randomBytes(32)])],
        ['client direction', ({ serverNonce, clientNonce }) => Buffer.concat([Buffer.of(1), clientProof(COOKIE, clientNonce, serverNonce)])],
        ['echoed', ({ clientProof }) => Buffer.concat([Buffer.of(1), clientProof])],
        ['another cookie', ({ serverNonce, clientNonce }) => Buffer.concat([Buffer.of(1), serverProof('another', clientNonce, serverNonce)])],
      ];
      for (let [name, answer] of answers) {
        let address = yield* useFakeServer(answer);
        let error = yield* failure(connect(address, { cookie: COOKIE, handshakeTimeout: DEADLINE }));
        expect(error, name).toBeInstanceOf(AuthenticationError);
        expect(error.message, name).toBe(`authentication with ${address} failed: its proof is wrong: ${MISMATCH}`);
      }
    });
  });

  it('passes bytes the server pipelines right after its proof on to the channel intact', async () => {
    await run(function* () {
      let address = yield* useFakeServer(({ serverNonce, clientNonce }) =>
        Buffer.concat([Buffer.of(1), serverProof(COOKIE, clientNonce, serverNonce), frame('first'), frame({ second: [2] })]),
      );
      let channel = yield* connect(address, { cookie: COOKIE });
      let messages = yield* channel.messages;
      expect((yield* messages.next()).value).toEqual('first');
      expect((yield* messages.next()).value).toEqual({ second: [2] });
    });
  });

  it('gives up at its deadline on a server that never says hello, and on one without a cookie', async () => {
    await run(function* () {
      let silent = yield* useFakeServer(() => Buffer.alloc(0), true);
      let plain = yield* listen('tcp://127.0.0.1:0');
      for (let address of [silent, plain.address]) {
        let start = performance.now();
        let error = yield* failure(connect(address, { cookie: COOKIE, handshakeTimeout: DEADLINE }));
        let took = performance.now() - start;
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error.message).toBe(
          `authentication with ${address} failed: no handshake from the peer within ${DEADLINE} ms (is it listening with a cookie (HARROW_COOKIE)?)`,
        );
        expect(took).toBeGreaterThanOrEqual(DEADLINE - 5);
        expect(took).toBeLessThan(DEADLINE + SLACK);
      }
    });
  });

  it('rejects a server that does not speak the handshake, and one that waits forever for our proof', async () => {
    await run(function* () {
      let address = yield* useNetServer((socket) => socket.write(frame({ hello: 'not a handshake' })));
      let error = yield* failure(connect(address, { cookie: COOKIE }));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toMatch(/failed: not a harrow handshake \(expected "HRWA", got 0x0000/);

      let mute = yield* useFakeServer(() => Buffer.alloc(0));
      let late = yield* failure(connect(mute, { cookie: COOKIE, handshakeTimeout: DEADLINE }));
      expect(late.message).toBe(`authentication with ${mute} failed: no answer to our proof within ${DEADLINE} ms`);
    });
  });
});

describe('options', () => {
  it('a uds:// listener and client ignore the cookie', async () => {
    await run(function* () {
      let listener = yield* listen(yield* freeAddress('uds'), { cookie: COOKIE, handshakeTimeout: DEADLINE });
      yield* serve(listener, echo);
      yield* roundTrip(listener.address, {});
      yield* roundTrip(listener.address, { cookie: 'any other' });
      expect(listener.rejected).toBe(0);
    });
  });

  it('refuses an empty cookie and a deadline that is not a positive number', async () => {
    await run(function* () {
      expect((yield* failure(listen('tcp://127.0.0.1:0', { cookie: '' }))).message).toBe('the cookie is empty');
      expect((yield* failure(connect('tcp://127.0.0.1:1', { cookie: new Uint8Array(0) }))).message).toBe('the cookie is empty');
      expect((yield* failure(listen('tcp://127.0.0.1:0', { cookie: COOKIE, handshakeTimeout: 0 }))).message).toMatch(/handshakeTimeout must be a positive number/);
    });
  });
});

describe('any bytes sent instead of a handshake (property)', () => {
  it('are rejected: the connection is closed and reported, and never becomes a channel', async () => {
    let arbitrary = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      // the right prefix, then a response's worth of noise or more: a wrong proof
      fc.uint8Array({ minLength: RESPONSE_BYTES - PREFIX.length, maxLength: 300 }).map((rest) => new Uint8Array(Buffer.concat([PREFIX, rest]))),
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (bytes) => {
        await run(function* () {
          let { address, accepted, rejections, listener } = yield* useGuardedListener('tcp', { handshakeTimeout: 200 });
          let peer = yield* useRawPeer(address);
          peer.write(bytes);
          expect(yield* peer.closed()).toBeLessThan(200 + SLACK);
          yield* rejections.until(1);
          expect(listener.rejected).toBe(1);
          expect(accepted.items).toEqual([]);
        });
      }),
      { numRuns: 100 },
    );
  });
});
