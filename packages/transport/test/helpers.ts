import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { action, each, resource, sleep, spawn, type Operation, type Subscription } from 'effection';
import { connect, listen, parseAddress, usePortChannel, type Channel, type ConnectOptions, type Listener, type ListenOptions } from '../src/index.ts';

/** A fresh temporary directory for the current scope, removed when it ends. */
export function useTempDir(): Operation<string> {
  return resource(function* (provide) {
    let dir = mkdtempSync(join(tmpdir(), 'harrow-test-'));
    try {
      yield* provide(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** The carriers reached through `listen`/`connect`. */
export const NET_KINDS = ['uds', 'tcp', 'ws'] as const;
export type NetKind = (typeof NET_KINDS)[number];

/** A listen address of `kind` on a free port, or in a fresh temp dir (removed with the scope). */
export function* freeAddress(kind: NetKind): Operation<string> {
  switch (kind) {
    case 'uds':
      return `uds://${join(yield* useTempDir(), 'test.sock')}`;
    case 'tcp':
      return 'tcp://127.0.0.1:0';
    case 'ws':
      return 'ws://127.0.0.1:0/harrow';
  }
}

/** Accept every connection on `listener` and run `handle` for each, for as long as the scope lasts. */
export function* serve(listener: Listener, handle: (channel: Channel) => Operation<void>): Operation<void> {
  yield* spawn(function* () {
    for (let channel of yield* each(listener)) {
      yield* spawn(() => handle(channel));
      yield* each.next();
    }
  });
}

/** Send back every message, until the peer closes; a failed connection just ends. */
export function* echo(channel: Channel): Operation<void> {
  let messages = yield* channel.messages;
  try {
    while (true) {
      let next = yield* messages.next();
      if (next.done) return;
      yield* channel.send(next.value);
    }
  } catch {
    // the peer broke the connection: nothing to echo to
  }
}

/** Both ends of one connection, over any of the four carriers. */
export interface Pair {
  client: Channel;
  server: Channel;
}

/** A connected pair of channels over `kind`, open for as long as the scope lasts (the options go to both ends). */
export function* usePair(kind: NetKind | 'port', options: ListenOptions & ConnectOptions = {}): Operation<Pair> {
  if (kind === 'port') {
    let { port1, port2 } = new MessageChannel();
    let client = yield* usePortChannel(port1, options);
    let server = yield* usePortChannel(port2, options);
    return { client, server };
  }
  let listener = yield* listen(yield* freeAddress(kind), options);
  let client = yield* connect(listener.address, options);
  let accepted = yield* (yield* listener).next();
  if (accepted.done) throw new Error('listener ended before accepting');
  return { client, server: accepted.value };
}

/** How one channel's incoming messages ended. */
export interface Outcome {
  messages: unknown[];
  /** `'done'` for a clean end, otherwise what `next()` threw. */
  end: 'done' | Error;
}

/** Read `channel` to its end, keeping the messages and how it ended. */
export function* readToEnd(channel: Channel): Operation<Outcome> {
  let messages: unknown[] = [];
  let subscription: Subscription<unknown, void> = yield* channel.messages;
  try {
    while (true) {
      let next = yield* subscription.next();
      if (next.done) return { messages, end: 'done' };
      messages.push(next.value);
    }
  } catch (error) {
    return { messages, end: error as Error };
  }
}

/** Collects values pushed from anywhere and lets an operation wait until there are `count` of them. */
export class Tally<T> {
  readonly items: T[] = [];
  private waiters: { count: number; resolve(): void }[] = [];

  push(item: T): void {
    this.items.push(item);
    let ready = this.waiters.filter((waiter) => this.items.length >= waiter.count);
    this.waiters = this.waiters.filter((waiter) => this.items.length < waiter.count);
    for (let waiter of ready) waiter.resolve();
  }

  *until(count: number): Operation<T[]> {
    if (this.items.length < count) {
      yield* action<void>((resolve) => {
        let waiter = { count, resolve };
        this.waiters.push(waiter);
        return () => {
          this.waiters = this.waiters.filter((other) => other !== waiter);
        };
      });
    }
    return this.items;
  }
}

/** `net.connect` options for a uds or tcp address. */
export function netTarget(address: string): net.NetConnectOpts {
  let parsed = parseAddress(address);
  if (parsed.kind === 'uds') return { path: parsed.path };
  return { host: parsed.host, port: parsed.port };
}

/**
 * A raw (not harrow) client: connect to a uds or tcp `address`, write `bytes`, then either end
 * the connection gracefully or destroy it once the bytes are written, and wait until the socket
 * has closed. Errors (the server resetting a connection it rejected) are expected and ignored.
 */
export function rawSend(address: string | net.NetConnectOpts, bytes: Uint8Array, then: 'end' | 'destroy' = 'end'): Operation<void> {
  let target = typeof address === 'string' ? netTarget(address) : address;
  return action<void>((resolve) => {
    let socket = net.connect(target);
    socket.on('error', () => {});
    // Discard what the server sends: a socket nobody reads never sees the server's end, nor closes.
    socket.resume();
    socket.on('close', () => resolve());
    socket.on('connect', () => {
      if (then === 'end') socket.end(bytes);
      else socket.write(bytes, () => socket.destroy());
    });
    return () => socket.destroy();
  });
}

/**
 * Errors that reached the process instead of the code that caused them, collected for as long as
 * the scope lasts.
 */
export function useProcessErrors(): Operation<unknown[]> {
  return resource(function* (provide) {
    let errors: unknown[] = [];
    let onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    try {
      yield* provide(errors);
    } finally {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    }
  });
}

/**
 * Wait until `progress()` stops changing for `quietMs` (a stall is a matter of time, so this one
 * helper polls the clock), and return its value then. Gives up after `limitMs`.
 */
export function* stalledAt(progress: () => number, quietMs = 250, limitMs = 15_000): Operation<number> {
  let last = progress();
  let quietSince = performance.now();
  let start = quietSince;
  while (performance.now() - quietSince < quietMs) {
    if (performance.now() - start > limitMs) throw new Error(`still progressing after ${limitMs} ms (at ${progress()})`);
    yield* sleep(20);
    let now = progress();
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    }
  }
  return last;
}

/**
 * The listening `net.Server` (an `http.Server` for WebSocket) bound to `address`, found among
 * the process's live handles: for tests that make a listening socket fail.
 */
export function serverListeningOn(address: string): net.Server {
  let target = parseAddress(address);
  let handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (let handle of handles) {
    if (!(handle instanceof net.Server) || !handle.listening) continue;
    let bound = handle.address();
    if (target.kind === 'uds' ? bound === target.path : typeof bound === 'object' && bound?.port === target.port) return handle;
  }
  throw new Error(`no server listening on ${address}`);
}
