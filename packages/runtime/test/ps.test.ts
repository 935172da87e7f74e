/**
 * `harrow ps` (API.md §10): the command run from its source against a real tree (the hub
 * program: a root listening on TCP with a daemon 'db'), and its parts on their own (the
 * renderer, the command line).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { run, scoped, until } from 'effection';
import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from '../src/cli/harrow.ts';
import { formatUptime, renderTree, type PsRow } from '../src/cli/render.ts';
import { currentActor, findActor, openNursery, openRoot } from '../src/index.ts';
import { holdOpen } from './fixtures/discovery.ts';
import { alive, perTest, startProgram, waitFor, type Program } from './helpers.ts';

const hub = new URL('./programs/hub.ts', import.meta.url);
const harrow = new URL('../src/cli/harrow.ts', import.meta.url);
const COOKIE = 'ps-test-cookie-7d2e';
const cookie = { HARROW_COOKIE: COOKIE };

/** The hub program, once it has printed its registry address. */
async function startHub(): Promise<{ tree: Program; address: string }> {
  let tree = startProgram(hub, [], cookie);
  let address = (await tree.line(/^registry /)).split(' ')[1]!;
  return { tree, address };
}

/** SIGTERM to the hub, and wait until it and its actors are gone. */
async function stopHub(tree: Program): Promise<void> {
  tree.process.kill('SIGTERM');
  await tree.exited;
  let pid = tree.process.pid!;
  await waitFor(() => !alive(pid), 5000, 'the hub to exit');
}

/** How many sockets process `pid` has open. */
function socketsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

/** `harrow ps ...args` from its source, with `env` added to this process's environment. */
function harrowPs(args: string[], env: Record<string, string> = cookie): Program {
  return startProgram(harrow, ['ps', ...args], env);
}

describe('harrow ps', () => {
  perTest();

  it('prints the live tree: db under hub, and a second program that joined the registry as a root of its own', async () => {
    let { tree, address } = await startHub();
    try {
      await run(function* () {
        // This test process joins the hub's registry too: a second root.
        let me = yield* openRoot({ name: 'tester', registry: address, cookie: COOKIE });
        let db = (yield* findActor('db'))!;
        let ps = harrowPs(['--registry', address]);
        let exit = yield* until(ps.exited);
        expect(exit, ps.stderr).toEqual({ code: 0, signal: null });
        expect(ps.stderr).toBe('');
        let lines = ps.lines.filter((line) => line !== '');
        expect(lines[0]).toMatch(/^NAME +UID +PID +HOST +UPTIME +CALLS$/);
        // In registry order, each child right under its parent: hub, its db, then our root;
        // harrow ps itself (a root that joined too) is left out.
        expect(lines).toHaveLength(4);
        expect(lines[1]).toMatch(new RegExp(`^hub +\\S{8} +${tree.process.pid} +${db.actor.host} +\\d+s +0$`));
        expect(lines[2]).toMatch(new RegExp(`^└─ db +${db.actor.uid} +${db.actor.pid} +${db.actor.host} +\\d+s +0$`));
        expect(lines[3]).toMatch(new RegExp(`^tester +${me.uid} +${process.pid} +${db.actor.host} +\\d+s +0$`));
        // The columns line up.
        let uidAt = lines[0]!.indexOf('UID');
        for (let line of lines.slice(1)) expect(line.slice(uidAt - 2, uidAt), line).toBe('  ');
      });
    } finally {
      await stopHub(tree);
    }
  });

  it('counts the calls an actor is serving (CALLS)', async () => {
    await run(function* () {
      let nursery = yield* openNursery();
      let worker = yield* nursery.startActor('worker', { enableModules: [new URL('./fixtures/discovery.ts', import.meta.url)] });
      let calls = function* () {
        // The registry is this process's own, on a Unix socket: no cookie needed.
        let ps = harrowPs(['--registry', currentActor().address], {});
        let exit = yield* until(ps.exited);
        expect(exit, ps.stderr).toEqual({ code: 0, signal: null });
        return ps.lines.filter((line) => line !== '').map((line) => line.split(/\s+/).at(-1));
      };
      yield* scoped(function* () {
        // Open once the context function has started: a call in flight until this scope ends.
        yield* worker.openContext(holdOpen);
        expect(yield* calls()).toEqual(['CALLS', '0', '1']);
      });
      // Closed, and its end confirmed by the worker: nothing in flight.
      expect(yield* calls()).toEqual(['CALLS', '0', '0']);
      yield* nursery.cancel();
    });
  });

  it('--watch redraws until Ctrl-C, which ends it with exit code 0, over one connection to each actor', async () => {
    let { tree, address } = await startHub();
    try {
      let ps = harrowPs(['--registry', address, '--watch', '--interval', '50']);
      let frames = () => ps.lines.filter((line) => line.startsWith('harrow ps: ')).length;
      await waitFor(() => frames() >= 2, 20_000, 'two frames');
      // A pipe gets the frames one after another (a terminal has its screen cleared instead).
      expect(ps.lines[0]).toMatch(new RegExp(`^harrow ps: ${address}, every 50 ms, .* \\(Ctrl-C to stop\\)$`));
      expect(ps.lines.slice(1, 4).map((line) => line.split(/\s+/)[0])).toEqual(['NAME', 'hub', '└─']);
      expect(ps.lines[3]).toMatch(/^└─ db /);
      // Between frames as during them, db holds one connection from ps: it is kept, not made
      // again for every frame (which would leave db without it between frames).
      let db = Number(ps.lines[3]!.split(/\s+/)[3]);
      let watched: number[] = [];
      let deadline = Date.now() + 20_000;
      for (let seen = frames(); frames() < seen + 10; ) {
        expect(Date.now(), `ten more frames within 20 s; stderr: ${ps.stderr}`).toBeLessThan(deadline);
        watched.push(socketsOf(db));
        await new Promise((resolve) => setTimeout(resolve, 7));
      }
      ps.process.kill('SIGINT');
      expect(await ps.exited, ps.stderr).toEqual({ code: 0, signal: null });
      expect(ps.stderr).toBe('');
      await waitFor(() => socketsOf(db) < Math.min(...watched), 5_000, 'db to see ps close its connection');
      expect(Math.max(...watched)).toBe(Math.min(...watched));
    } finally {
      await stopHub(tree);
    }
  });

  it('a wrong cookie, an unreachable registry, no address: one line on stderr and exit code 1', async () => {
    let { tree, address } = await startHub();
    try {
      let wrong = harrowPs(['--registry', address], { HARROW_COOKIE: 'not-the-cookie' });
      let unreachable = harrowPs(['--registry', 'tcp://127.0.0.1:1']);
      let none = harrowPs([], { HARROW_REGISTRY: '' });
      let noCookie = harrowPs(['--registry', address], { HARROW_COOKIE: '' });
      let outcomes = await Promise.all([wrong, unreachable, none, noCookie].map(async (ps) => ({ exit: await ps.exited, stderr: ps.stderr, stdout: ps.lines })));
      for (let { exit, stderr, stdout } of outcomes) {
        expect(exit, stderr).toEqual({ code: 1, signal: null });
        expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
        expect(stderr).not.toMatch(/^\s+at /m);
        expect(stdout.filter((line) => line !== '')).toEqual([]);
      }
      let [cookieLine, unreachableLine, noneLine, noCookieLine] = outcomes.map(({ stderr }) => stderr.trimEnd());
      expect(cookieLine).toMatch(new RegExp(`^harrow ps: authentication with ${address} failed: .*cookie`));
      expect(unreachableLine).toBe('harrow ps: cannot reach the registry: cannot connect to tcp://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
      expect(noneLine).toBe('harrow: no registry address: give --registry ADDRESS or set HARROW_REGISTRY');
      expect(noCookieLine).toBe(`harrow: the registry at ${address} is reached over tcp, which needs the tree's cookie: set HARROW_COOKIE`);
    } finally {
      await stopHub(tree);
    }
  });
});

describe('the tree as harrow ps renders it', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  let row = (name: string, uid: string, parent?: string, extra: Partial<PsRow> = {}): PsRow => ({
    name,
    uid,
    pid: 1000 + uid.charCodeAt(0),
    host: 'box',
    address: `uds:///tmp/harrow-x/${uid}.sock`,
    addresses: [`uds:///tmp/harrow-x/${uid}.sock`],
    ...(parent ? { parent: { name: '?', uid: parent } } : {}),
    since: now - 5_000,
    callsInFlight: 0,
    ...extra,
  });

  it('puts each actor under its parent, several roots side by side, in registry order', () => {
    let lines = renderTree(
      [
        row('hub', 'a', undefined, { since: now - 3_723_000 }),
        row('db', 'b', 'a', { callsInFlight: 3 }),
        row('visitor', 'v', undefined, { host: 'laptop' }),
        row('cache', 'c', 'a', { callsInFlight: undefined }),
        row('shard-1', 'd', 'b', { thread: true, pid: 1098 }),
        row('shard-2', 'e', 'b'),
        row('leaf', 'f', 'c', { since: now - 61_000 }),
        row('helper', 'g', 'v'),
      ],
      now,
    );
    expect(lines).toEqual([
      'NAME           UID  PID            HOST    UPTIME  CALLS',
      'hub            a    1097           box     1h02m   0',
      '├─ db          b    1098           box     5s      3',
      '│  ├─ shard-1  d    1098 (thread)  box     5s      0',
      '│  └─ shard-2  e    1101           box     5s      0',
      '└─ cache       c    1099           box     5s      ?',
      '   └─ leaf     f    1102           box     1m01s   0',
      'visitor        v    1118           laptop  5s      0',
      '└─ helper      g    1103           box     5s      0',
    ]);
  });

  it('shows an actor whose parent is not listed as a root, and an empty registry as the header alone', () => {
    expect(renderTree([row('orphan', 'x', 'gone')], now)).toEqual(['NAME    UID  PID   HOST  UPTIME  CALLS', 'orphan  x    1120  box   5s      0']);
    expect(renderTree([], now)).toEqual(['NAME  UID  PID  HOST  UPTIME  CALLS']);
  });

  it('formats uptimes in their two largest units', () => {
    expect([0, 999, 59_999, 60_000, 187_000, 3_599_000, 3_600_000, 86_399_000, 86_400_000, 273_600_000, -5_000].map(formatUptime)).toEqual([
      '0s',
      '0s',
      '59s',
      '1m00s',
      '3m07s',
      '59m59s',
      '1h00m',
      '23h59m',
      '1d00h',
      '3d04h',
      '0s',
    ]);
  });
});

describe('the harrow command line', () => {
  const env = { HARROW_COOKIE: 'secret' };

  it('takes the address from --registry or HARROW_REGISTRY, and --watch, --interval, --timeout', () => {
    expect(parseCommand(['ps', '--registry', 'tcp://127.0.0.1:7357'], env)).toEqual({ command: 'ps', options: { registry: 'tcp://127.0.0.1:7357' } });
    expect(parseCommand(['ps', '-w', '-n', '250', '--timeout', '900'], { ...env, HARROW_REGISTRY: 'ws://10.0.0.5:80/harrow' })).toEqual({
      command: 'ps',
      options: { registry: 'ws://10.0.0.5:80/harrow', watch: true, interval: 250, timeout: 900 },
    });
    // A local Unix socket needs no cookie.
    expect(parseCommand(['ps', '-r', 'uds:///tmp/harrow-x/a.sock'], {})).toEqual({ command: 'ps', options: { registry: 'uds:///tmp/harrow-x/a.sock' } });
    expect(parseCommand([], env)).toEqual({ command: 'help' });
    expect(parseCommand(['ps', '--help'], env)).toEqual({ command: 'help' });
  });

  it('refuses what it cannot act on with a UsageError saying why', () => {
    let usage = (argv: string[], environment: NodeJS.ProcessEnv = env) => {
      try {
        parseCommand(argv, environment);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${argv.join(' ')}`);
    };
    expect(usage(['top'])).toBe("unknown command 'top' (the one command is ps; see harrow --help)");
    expect(usage(['ps'])).toBe('no registry address: give --registry ADDRESS or set HARROW_REGISTRY');
    expect(usage(['ps', '-r', 'tcp://127.0.0.1:7357'], {})).toMatch(/needs the tree's cookie: set HARROW_COOKIE$/);
    expect(usage(['ps', '-r', 'localhost:7357'])).toMatch(/^bad registry address: /);
    expect(usage(['ps', '-r', 'tcp://127.0.0.1:7357', '--interval', '0'])).toBe("--interval takes a whole number of ms > 0, got '0'");
    expect(usage(['ps', '-r', 'tcp://127.0.0.1:7357', '--bogus'])).toMatch(/^Unknown option '--bogus'/);
    expect(usage(['ps', '-r', 'tcp://127.0.0.1:7357', 'extra'])).toMatch(/positional argument/);
  });
});
