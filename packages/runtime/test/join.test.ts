import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { encode, frameHeader, parseAddress } from '@harrow/transport';
import { run } from 'effection';
import { describe, expect, it } from 'vitest';
import { openRoot } from '../src/index.ts';
import { alive, failureOf, perTest, startProgram, waitFor } from './helpers.ts';

const hub = new URL('./programs/hub.ts', import.meta.url);
const visitor = new URL('./programs/visitor.ts', import.meta.url);
const cookie = { HARROW_COOKIE: 'join-test-cookie-4f1c' };

describe('joining a running tree by its registry address', () => {
  perTest();

  it('lets a second program call a daemon by name; killing that program harms nothing', async () => {
    let tree = startProgram(hub, [], cookie);
    try {
      let address = (await tree.line(/^registry /)).split(' ')[1]!;
      expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

      let first = startProgram(visitor, [address], cookie);
      expect(await first.exited, first.stderr).toEqual({ code: 0, signal: null });
      expect(first.lines).toContain('noted 1');

      let staying = startProgram(visitor, [address, 'stay'], cookie);
      await staying.line(/^staying$/);
      staying.process.kill('SIGKILL');
      await staying.exited;

      let wrong = startProgram(visitor, [address], { HARROW_COOKIE: 'not-the-cookie' });
      let exit = await wrong.exited;
      expect(exit.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/AuthenticationError|cookie/);
      expect(wrong.lines.some((line) => line.startsWith('noted'))).toBe(false);

      // The tree still serves, and counted exactly the calls that were made: the wrong
      // cookie's never ran.
      let third = startProgram(visitor, [address], cookie);
      expect(await third.exited, third.stderr).toEqual({ code: 0, signal: null });
      expect(third.lines).toContain('noted 3');
    } finally {
      tree.process.kill('SIGTERM');
      await tree.exited;
    }
    let pid = tree.process.pid!;
    await waitFor(() => !alive(pid), 5000, 'the hub to exit');
  }, 60_000);
});

describe('openRoot', () => {
  perTest();

  it('refuses to listen on TCP or WebSocket, or to join a registry over them, without a cookie', async () => {
    let previous = process.env.HARROW_COOKIE;
    delete process.env.HARROW_COOKIE;
    try {
      for (let options of [{ listen: ['tcp://127.0.0.1:0'] }, { listen: ['ws://127.0.0.1:0/harrow'] }, { registry: 'tcp://127.0.0.1:1' }]) {
        let error = await run(() => failureOf(() => openRoot(options)));
        expect(String(error), JSON.stringify(options)).toMatch(/must authenticate: give a cookie \(the cookie option, or HARROW_COOKIE/);
      }
    } finally {
      if (previous !== undefined) process.env.HARROW_COOKIE = previous;
    }
  });

  it('lets a tree listen on WebSocket, and a second program joins it over ws://', async () => {
    let tree = startProgram(hub, ['ws://127.0.0.1:0/harrow'], cookie);
    try {
      let address = (await tree.line(/^registry /)).split(' ')[1]!;
      expect(address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/harrow$/);
      let visitorRun = startProgram(visitor, [address], cookie);
      expect(await visitorRun.exited, visitorRun.stderr).toEqual({ code: 0, signal: null });
      expect(visitorRun.lines).toContain('noted 1');
    } finally {
      tree.process.kill('SIGTERM');
      await tree.exited;
    }
  }, 60_000);
});

describe('a tree listening on TCP, against peers that do not hold its cookie', () => {
  perTest();

  it('disconnects garbage, a call without handshake, a wrong proof and silence within the deadline, and keeps serving', async () => {
    let tree = startProgram(hub, [], { ...cookie, HARROW_HANDSHAKE_TIMEOUT: '400' });
    try {
      let address = (await tree.line(/^registry /)).split(' ')[1]!;
      let { port } = parseAddress(address) as { port: number };
      let call = encode({ type: 'call', cid: 2, kind: 'run', module: 'harrow:runtime', fn: 'listActors', args: [] });
      let attacks: Record<string, (socket: Socket) => void> = {
        garbage: (socket) => socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
        'a call frame without handshake': (socket) => socket.write(Buffer.concat([frameHeader(call.length), call])),
        'a wrong proof': (socket) => socket.once('data', () => socket.write(Buffer.concat([Buffer.from('HRWA\x01'), randomBytes(64)]))),
        silence: () => {},
      };
      let outcomes = await Promise.all(Object.entries(attacks).map(([name, attack]) => closedWithin(port, attack).then((ms) => [name, ms] as const)));
      for (let [name, ms] of outcomes) expect(ms, name).toBeLessThan(400 + 600);
      // None of it reached the protocol: the registry still answers a program with the cookie.
      let visitorRun = startProgram(visitor, [address], cookie);
      expect(await visitorRun.exited, visitorRun.stderr).toEqual({ code: 0, signal: null });
      expect(visitorRun.lines).toContain('noted 1');
      expect(tree.stderr).toMatch(/refused a connection that failed the handshake/);
    } finally {
      tree.process.kill('SIGTERM');
      await tree.exited;
    }
  }, 60_000);
});

/** Connect to `port`, do `attack`, and resolve with how long (ms) until the other side closed the connection. */
function closedWithin(port: number, attack: (socket: Socket) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let socket = createConnection({ host: '127.0.0.1', port });
    let opened = 0;
    socket.on('connect', () => {
      opened = Date.now();
      attack(socket);
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => (opened ? resolve(Date.now() - opened) : reject(new Error('never connected'))));
  });
}
