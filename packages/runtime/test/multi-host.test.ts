import { readdirSync, readFileSync } from 'node:fs';
import { race, run, scoped, spawn, sleep } from 'effection';
import { describe, expect, it } from 'vitest';
import { ActorBootError, ActorCancelledError, findActor, openNursery, openRoot, queryRegistry } from '../src/index.ts';
import { spinForever, startThere, whereAmI } from './fixtures/remote-host.ts';
import { alive, expectNoLeaks, failureOf, perTest, startProgram, tagged, waitFor } from './helpers.ts';
import { secondHostPerFile, secondHostSupport } from './second-host.ts';

const support = secondHostSupport();
if (!support.ok) console.warn(`multi-host.test.ts skipped: ${support.reason}`);
const remoteHost = new URL('./fixtures/remote-host.ts', import.meta.url);
const cookie = 'multi-host-test-cookie-93ab';

describe.skipIf(!support.ok)('actors on another host, over ssh', () => {
  const peer = secondHostPerFile();
  const test = perTest();

  function* rootOnVeth() {
    let env = peer.host.env;
    process.env.HARROW_SSH_COMMAND = env.HARROW_SSH_COMMAND;
    return yield* openRoot({ listen: [`tcp://${peer.host.localAddress}:0`], cookie });
  }

  it('starts an actor there that dials back, registers, and is called like any other', async () => {
    await run(function* () {
      yield* rootOnVeth();
      let nursery = yield* openNursery();
      let portal = yield* nursery.startActor('far', { host: peer.host.hostAlias, enableModules: [remoteHost] });
      let where = yield* portal.run(whereAmI);
      expect(where.namespace).toBe(peer.host.namespace);
      // The cookie reached it through its environment, never a command line there or here.
      let read = (pid: number, file: string) => readFileSync(`/proc/${pid}/${file}`, 'latin1');
      expect(read(where.pid, 'environ').split('\0')).toContain(`HARROW_COOKIE=${cookie}`);
      let commandLines = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map((pid) => {
        try {
          return read(Number(pid), 'cmdline');
        } catch {
          return '';
        }
      });
      expect(commandLines.filter((line) => line.includes(cookie))).toEqual([]);
      expect(where).toMatchObject({ name: 'far', uid: portal.actor.uid, pid: portal.actor.pid, cwd: process.cwd() });
      expect(portal.actor.address).toMatch(new RegExp(`^tcp://${peer.host.address.replace(/\./g, '\\.')}:\\d+$`));
      let entry = (yield* queryRegistry()).find((candidate) => candidate.name === 'far');
      expect(entry).toMatchObject({ uid: portal.actor.uid, pid: portal.actor.pid, address: portal.actor.address });
      let found = (yield* findActor('far'))!;
      expect((yield* found.run(whereAmI)).namespace).toBe(peer.host.namespace);
      yield* portal.cancelActor();
      expect(alive(where.pid)).toBe(false);
      yield* settled(() => peer.host.processes());
    });
  });

  it('ends the actor there within a second of its root being killed (SIGKILL)', async () => {
    let root = startProgram(new URL('./programs/remote-root.ts', import.meta.url), [peer.host.hostAlias, `tcp://${peer.host.localAddress}:0`], {
      ...peer.host.env,
      HARROW_COOKIE: cookie,
    });
    let [, pid, namespace] = (await root.line(/^remote \d+ /)).split(' ');
    expect(namespace).toBe(peer.host.namespace);
    expect(alive(Number(pid))).toBe(true);
    root.process.kill('SIGKILL');
    await root.exited;
    let killedAt = Date.now();
    await waitFor(() => !alive(Number(pid)), 1000, 'the remote actor to end after its root was killed');
    expect(Date.now() - killedAt).toBeLessThanOrEqual(1000);
    await waitFor(() => peer.host.processes().length === 0, 2000, 'nothing left on the second host');
    // The killed root's sentinel gives its tree a second's grace, then kills what is left, and exits.
    await expectNoLeaks(test.tag, 3000);
  });

  it('kills an actor there that is stuck in a sync loop, by the cancel ladder', async () => {
    await run(function* () {
      yield* rootOnVeth();
      let nursery = yield* openNursery({ cancelTimeout: 300, killTimeout: 300 });
      let portal = yield* nursery.startActor('stuck', { host: peer.host.hostAlias, enableModules: [remoteHost] });
      let pid = portal.actor.pid;
      yield* spawn(() => portal.run(spinForever));
      yield* sleep(50);
      let started = Date.now();
      yield* portal.cancelActor();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(alive(pid)).toBe(false);
      yield* settled(() => peer.host.processes());
    }).catch((error) => {
      // The call in flight fails with the actor's death; the nursery's scope ends cleanly.
      if (!/spinForever|cancel|killed|BrokenActor/i.test(String(error))) throw error;
    });
  });

  it('a thread actor that started an actor there, killed outright: the actor there ends, and the ssh client is reaped', async () => {
    let farPid = 0;
    await run(function* () {
      yield* rootOnVeth();
      let nursery = yield* openNursery();
      let mid = yield* nursery.startActor('mid', { spawn: 'thread', enableModules: [remoteHost], env: { HARROW_TEST_THREAD_ENV: 'mid' } });
      let cut = yield* failureOf(() =>
        scoped(function* () {
          let { first } = yield* mid.openContext(startThere, peer.host.hostAlias);
          farPid = first;
          expect(alive(farPid)).toBe(true);
          // ssh runs on the main thread, with the environment of the thread that asked for it.
          let [ssh] = tagged(test.tag).filter((pid) => commandOf(pid) === 'ssh');
          expect(readFileSync(`/proc/${ssh}/environ`, 'latin1').split('\0')).toContain('HARROW_TEST_THREAD_ENV=mid');
          yield* mid.cancelActor({ hard: true });
        }),
      );
      expect(cut).toBeInstanceOf(ActorCancelledError);
      while (alive(farPid)) yield* sleep(10);
      yield* settled(() => peer.host.processes());
    });
    // The ssh client was started for the thread, which is gone: the main thread reaped it
    // (the leak check after each test finds zombies too).
    expect(farPid).toBeGreaterThan(0);
  });

  it('ends the ssh client at once when the start is halted before the actor there dialled back', async () => {
    await run(function* () {
      yield* rootOnVeth();
      let nursery = yield* openNursery();
      let sshClients = () => tagged(test.tag).filter((pid) => commandOf(pid) === 'ssh');
      // Lost as soon as ssh runs: well before the actor there can boot and dial back.
      yield* race([
        nursery.startActor('halted', { host: peer.host.hostAlias, enableModules: [remoteHost] }),
        (function* () {
          while (sshClients().length === 0) yield* sleep(1);
        })(),
      ]);
      let haltedAt = Date.now();
      while (sshClients().length > 0) yield* sleep(5);
      expect(Date.now() - haltedAt).toBeLessThan(200);
      yield* settled(() => peer.host.processes());
    });
  });

  it('fails with ActorBootError, with ssh\'s message, for a host that cannot be reached', async () => {
    await run(function* () {
      yield* rootOnVeth();
      let nursery = yield* openNursery();
      let error: unknown;
      try {
        yield* nursery.startActor('nowhere', { host: peer.host.unreachableAlias });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ActorBootError);
      expect((error as Error).message).toMatch(/ssh to harrow-nowhere failed: .*(refused|Connection)/i);
    });
  });

  it('fails with ActorBootError, with the message from there, when node cannot start there', async () => {
    await run(function* () {
      yield* rootOnVeth();
      let nursery = yield* openNursery();
      let noDirectory = yield* failureOf(() => nursery.startActor('lost', { host: peer.host.hostAlias, cwd: '/no/such/directory' }));
      expect(noDirectory).toBeInstanceOf(ActorBootError);
      expect((noDirectory as Error).message).toMatch(/\/no\/such\/directory/);
      let badFlag = yield* failureOf(() => nursery.startActor('flagged', { host: peer.host.hostAlias, execArgv: ['--no-such-node-flag'] }));
      expect(badFlag).toBeInstanceOf(ActorBootError);
      expect((badFlag as Error).message).toMatch(/--no-such-node-flag/);
    });
    await waitFor(() => peer.host.processes().length === 0, 2000, 'nothing left on the second host');
  });

  it('refuses a host spawn from a parent with no TCP address, naming the listen option', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let error: unknown;
      try {
        yield* nursery.startActor('far', { host: peer.host.hostAlias });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ActorBootError);
      expect((error as Error).message).toContain("openRoot({ listen: ['tcp://");
    });
  });
});

/** Wait (up to 2 s) until `left()` is empty: sshd's session process exits just after the actor's. */
function* settled(left: () => number[]) {
  let until = Date.now() + 2000;
  while (left().length > 0 && Date.now() < until) yield* sleep(10);
  expect(left()).toEqual([]);
}

/** The program a process runs (the first word of its command line); '' once it is gone. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0]!;
  } catch {
    return '';
  }
}
