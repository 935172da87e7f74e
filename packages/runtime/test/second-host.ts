import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { resource, until, type Operation } from 'effection';
import { afterAll, beforeAll } from 'vitest';
import { alive, parentOf } from './helpers.ts';

/*
 * A real second host for tests: a network namespace joined to this one by a veth pair, with
 * Debian's sshd (openssh-server) running inside it. The namespace shares the filesystem and the
 * pid namespace with this one, so `node`, the repository and the test's temporary files are all
 * "there" too, and a process started over ssh is visible in /proc here (leak checks by pid work).
 *
 *   this namespace  <localAddress>/30  hrw<N>  ==veth==  eth0  <address>/30  namespace <name>
 *                                                                sshd on <address>:22
 *
 * Everything lives in a private temporary directory: the host key, the client key pair,
 * authorized_keys, known_hosts (the host key pre-written: StrictHostKeyChecking yes), sshd_config
 * and an ssh client config with two aliases: `harrow-peer` (the host) and `harrow-nowhere` (a
 * closed port on the same address: ssh fails at once with "Connection refused").
 *
 * Use it from vitest with `secondHostPerFile()` (one host for a file's tests: sshd's start-up is
 * not free), from effection with `useSecondHost()`, or with `startSecondHost()` / `close()`.
 * Creating namespaces needs root: check `secondHostSupport()` and skip when it says no.
 */

/** The ssh alias of the second host, in `SecondHost.sshConfig`. */
export const PEER_ALIAS = 'harrow-peer';
/** An ssh alias nobody answers on (a closed port of the second host's address): fails fast. */
export const NOWHERE_ALIAS = 'harrow-nowhere';

export interface SecondHost {
  /** The network namespace's name (`ip netns exec <namespace> …`, `ip netns identify` there). */
  readonly namespace: string;
  /** The ssh alias of the host: `ssh -F <sshConfig> harrow-peer <command>`. */
  readonly hostAlias: typeof PEER_ALIAS;
  /** An alias on the same address whose port is closed: ssh fails at once, exit status 255. */
  readonly unreachableAlias: typeof NOWHERE_ALIAS;
  /** The ssh client configuration (absolute path) defining both aliases. */
  readonly sshConfig: string;
  /** The host's address (the namespace side of the veth pair); sshd listens on it, port 22. */
  readonly address: string;
  /** This namespace's side of the veth pair: what a parent listens on for children there to dial back. */
  readonly localAddress: string;
  /** The root-namespace end of the veth pair (its peer inside the namespace is `eth0`). */
  readonly localInterface: string;
  /** `['ssh', '-F', sshConfig]`: append the alias and the command. */
  readonly sshCommand: string[];
  /** For the runtime: `HARROW_SSH_COMMAND`, like GIT_SSH_COMMAND (a shell-quoted command line). */
  readonly env: { HARROW_SSH_COMMAND: string };
  /** The private temporary directory (keys, configurations); removed by `close()`. */
  readonly dir: string;
  /** The listening sshd. */
  readonly sshdPid: number;
  /** Live processes inside the namespace other than the listening sshd: ssh sessions and what they started. */
  processes(): number[];
  /** What sshd logged so far (connections accepted, authentication failures, …). */
  log(): string;
  /** Run `command` (a shell command line) there over ssh, or on `alias`; resolves when ssh exits. */
  ssh(command: string, options?: { alias?: string; timeoutMs?: number }): Promise<SshResult>;
  /**
   * Tear it all down: every process in the namespace killed (sshd, its sessions, anything they
   * started), the veth pair and the namespace deleted, the directory removed. Idempotent.
   */
  close(): Promise<void>;
}

export interface SshResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** How long ssh ran. */
  ms: number;
}

export type SecondHostSupport = { ok: true } | { ok: false; reason: string };

let support: SecondHostSupport | undefined;

/**
 * Whether this machine can give a test a second host: Linux, root, `ip`, `ssh`, `ssh-keygen`,
 * /usr/sbin/sshd, and `ip netns add` works (checked once per process, by adding and deleting
 * a namespace). Synchronous, for `describe.skipIf`.
 */
export function secondHostSupport(): SecondHostSupport {
  return (support ??= checkSupport());
}

function checkSupport(): SecondHostSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces are Linux's (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'creating network namespaces needs root' };
  if (!existsSync(SSHD)) return { ok: false, reason: `openssh-server is not installed (${SSHD} is missing)` };
  for (let [command, args] of [['ip', ['-V']], ['ssh', ['-V']], ['ssh-keygen', ['-?']]] as const) {
    let result = spawnSync(command, args, { stdio: 'ignore' });
    if (result.error) return { ok: false, reason: `\`${command}\` cannot be run: ${result.error.message}` };
  }
  let probe = `harrow-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  let added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.status !== 0) return { ok: false, reason: `\`ip netns add\` fails: ${(added.stderr || added.error?.message || '').trim()}` };
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  return { ok: true };
}

/**
 * For a vitest file (or a `describe`): one second host, set up in `beforeAll` and torn down in
 * `afterAll`; `.host` is it, in the tests. Register it inside a `describe.skipIf(!secondHostSupport().ok)`.
 */
export function secondHostPerFile(): { readonly host: SecondHost } {
  let host: SecondHost | undefined;
  beforeAll(async () => {
    host = await startSecondHost();
  }, 30_000);
  afterAll(async () => {
    await host?.close();
  }, 30_000);
  return {
    get host(): SecondHost {
      if (!host) throw new Error('the second host is not set up (its beforeAll failed, or this runs outside it)');
      return host;
    },
  };
}

/** The second host as an effection resource: torn down when the scope that used it ends, halted or not. */
export function useSecondHost(): Operation<SecondHost> {
  return resource(function* (provide) {
    let setup = new Setup();
    try {
      yield* provide(yield* until(setup.start()));
    } finally {
      yield* until(setup.close());
    }
  });
}

/** Set up a second host; on failure, what was set up is torn down before this rejects. */
export async function startSecondHost(): Promise<SecondHost> {
  let setup = new Setup();
  try {
    return await setup.start();
  } catch (error) {
    await setup.close().catch(() => {});
    throw error;
  }
}

const SSHD = '/usr/sbin/sshd';
/** sshd's privilege separation directory: it must exist, owned by root, not group- or world-writable. */
const PRIVSEP_DIR = '/run/sshd';
/** The namespaces' names: `harrow-<pid of the process that made it>-<count>`. */
const NAMESPACE = /^harrow-(\d+)-(\d+)$/;
/** The temporary directories' names: `harrow-host-<pid of the process that made it>-<random>`. */
const DIR = /^harrow-host-(\d+)-\w+$/;
/** Subnets: 10.213.<a>.<b>/30 for index 0 … 16383 (a = index >> 6, b = (index & 63) * 4). */
const SUBNETS = 16_384;
const SSHD_READY_MS = 10_000;
const KILL_MS = 5_000;
/** How long `killNamespace` kills leaves first, before it kills whatever is left at once. */
const LEAVES_FIRST_MS = 1_000;

let made = 0;

class Setup {
  private dir?: string;
  private namespace?: string;
  private namespaceAdded = false;
  private localInterface?: string;
  private sshd?: ChildProcess;
  private sshdExited?: Promise<void>;
  private sshdLog = '';
  private starting?: Promise<SecondHost>;
  private closing?: Promise<void>;

  start(): Promise<SecondHost> {
    return (this.starting ??= this.setUp());
  }

  private checkpoint(): void {
    if (this.closing) throw new Error('the second host was closed while it was being set up');
  }

  private async setUp(): Promise<SecondHost> {
    let supported = secondHostSupport();
    if (!supported.ok) throw new Error(`no second host here: ${supported.reason}`);
    await sweepStale();
    this.checkpoint();

    let dir = (this.dir = mkdtempSync(join(tmpdir(), `harrow-host-${process.pid}-`)));
    let file = (name: string) => join(dir, name);
    let keys = Promise.all([sshKeygen(file('host_ed25519'), 'harrow second host'), sshKeygen(file('client_ed25519'), 'harrow test client')]);
    keys.catch(() => {}); // awaited below; a failure of the namespace steps first must not leave it unhandled

    // A name of its own (one left by an earlier process that had this pid is skipped).
    let count: number;
    let namespace: string;
    for (let tries = 0; ; tries++) {
      count = made++;
      namespace = this.namespace = `harrow-${process.pid}-${count}`;
      try {
        await ip(['netns', 'add', namespace]);
        break;
      } catch (error) {
        if (!/File exists/.test((error as Error).message) || tries >= 64) throw error;
      }
    }
    this.namespaceAdded = true;
    this.checkpoint();

    // Claim a subnet: the root-namespace end of the veth pair, named after it, is the claim
    // (`ip link add` fails with "File exists" if another process holds it). Start from one
    // derived from the pid, so that parallel test workers mostly start apart.
    let index = ((process.pid % 256) * 64 + count) % SUBNETS;
    for (let tries = 0; ; tries++) {
      let name = `hrw${index}`;
      try {
        await ip(['link', 'add', name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
        this.localInterface = name;
        break;
      } catch (error) {
        if (!/File exists/.test((error as Error).message) || tries >= 64) throw error;
        index = (index + 1) % SUBNETS;
      }
    }
    this.checkpoint();
    let base = `10.213.${index >> 6}.${(index & 63) * 4}`.split('.').map(Number);
    let at = (offset: number) => [...base.slice(0, 3), base[3]! + offset].join('.');
    let localAddress = at(1);
    let address = at(2);
    await ip(['-b', '-'], `addr add ${localAddress}/30 dev ${this.localInterface}\nlink set ${this.localInterface} up\n`);
    await ip(['-n', namespace, '-b', '-'], `addr add ${address}/30 dev eth0\nlink set eth0 up\nlink set lo up\n`);
    this.checkpoint();

    await keys;
    this.checkpoint();
    let hostKey = readFileSync(file('host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(file('authorized_keys'), readFileSync(file('client_ed25519.pub')));
    writeFileSync(file('known_hosts'), `${address} ${hostKey}\n`);
    writeFileSync(
      file('sshd_config'),
      lines([
        `ListenAddress ${address}:22`,
        `HostKey ${file('host_ed25519')}`,
        `PidFile ${file('sshd.pid')}`,
        `AuthorizedKeysFile ${file('authorized_keys')}`,
        // The temporary directory is the test's, not a user's home: no ownership checks.
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'PrintMotd no',
        'PrintLastLog no',
        // Tests may open many connections at once: no random refusals of unauthenticated ones
        // (the default 10:30:100 starts dropping at 10), and many sessions per connection.
        'MaxStartups 200',
        'MaxSessions 100',
        // bash started by sshd runs ~/.bashrc unless it is a nested shell (SHLVL ≥ 1 before it
        // counts itself). Root's .bashrc is the machine's, not the host's: here it runs
        // `pyenv init`, which takes ~145 ms and a lock (pyenv rehash) that a session killed at
        // the wrong moment leaves behind, stalling every later shell that runs it for 60 s.
        // Tests kill sessions all the time: the sessions do without it.
        'SetEnv SHLVL=1',
        'LogLevel INFO',
      ]),
    );
    let sshConfig = file('ssh_config');
    let common = [
      `  User root`,
      `  IdentityFile ${file('client_ed25519')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${file('known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  CheckHostIP no',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '  ControlMaster no',
      '  ControlPath none',
      '  ForwardAgent no',
      '  ForwardX11 no',
      // The quickest key exchange (the default, sntrup761x25519, costs ~65 ms more a connection here).
      '  KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org',
    ];
    writeFileSync(
      sshConfig,
      lines([
        `Host ${PEER_ALIAS}`,
        `  HostName ${address}`,
        '  Port 22',
        '  ConnectTimeout 5',
        ...common,
        '',
        // Nobody listens on port 1 in a namespace that only our sshd runs in: refused at once.
        `Host ${NOWHERE_ALIAS}`,
        `  HostName ${address}`,
        '  Port 1',
        '  ConnectTimeout 2',
        ...common,
      ]),
    );

    mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
    await this.startSshd(namespace, file('sshd_config'));
    this.checkpoint();

    let sshCommand = ['ssh', '-F', sshConfig];
    let host: SecondHost = {
      namespace,
      hostAlias: PEER_ALIAS,
      unreachableAlias: NOWHERE_ALIAS,
      sshConfig,
      address,
      localAddress,
      localInterface: this.localInterface!,
      sshCommand,
      env: { HARROW_SSH_COMMAND: sshCommand.map(shellQuote).join(' ') },
      dir,
      sshdPid: this.sshd!.pid!,
      processes: () => namespacePids(namespace).filter((pid) => pid !== this.sshd?.pid),
      log: () => this.sshdLog,
      ssh: (command, options = {}) => runSsh(sshCommand, options.alias ?? PEER_ALIAS, command, options.timeoutMs ?? 20_000),
      close: () => this.close(),
    };
    // Proof that it works end to end (keys, known_hosts, routes), so that a test's first ssh
    // does not fail for the helper's reasons.
    let check = await host.ssh('true', { timeoutMs: 10_000 }).catch((error: Error) => error);
    if (check instanceof Error || check.code !== 0) {
      let failure = check instanceof Error ? check.message : `${JSON.stringify({ code: check.code, signal: check.signal })}: ${check.stderr.trim()}`;
      throw new Error(`ssh to the second host fails (${failure})\nsshd's log:\n${this.sshdLog}\nprocesses there:\n${describeProcesses(host.processes())}`);
    }
    return host;
  }

  /** Start sshd in the namespace and wait for it to listen (it says so on stderr: `-e`). */
  private startSshd(namespace: string, config: string): Promise<void> {
    // `ip netns exec` execs sshd in its own process: the child is sshd. Its environment is not
    // the test's (no process tag): sshd and its sessions are the host's, not the test's.
    let env = { ...process.env };
    delete env.HARROW_TEST_TAG;
    delete env.NODE_OPTIONS;
    let child = (this.sshd = spawn('ip', ['netns', 'exec', namespace, SSHD, '-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'], env }));
    this.sshdExited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.setEncoding('utf8');
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      let timer = setTimeout(() => finish(new Error(`sshd did not listen within ${SSHD_READY_MS} ms; its log:\n${this.sshdLog}`)), SSHD_READY_MS);
      child.stderr!.on('data', (chunk: string) => {
        this.sshdLog += chunk;
        if (/Server listening on /.test(this.sshdLog)) finish();
      });
      child.once('error', (error) => finish(new Error(`sshd could not be started: ${error.message}`)));
      child.once('exit', (code, signal) => finish(new Error(`sshd exited (${JSON.stringify({ code, signal })}) before listening; its log:\n${this.sshdLog}`)));
    });
  }

  close(): Promise<void> {
    return (this.closing ??= this.tearDown());
  }

  private async tearDown(): Promise<void> {
    // Let a set-up in progress reach its next step (where it stops): then everything it made is known.
    await this.starting?.catch(() => {});
    let problems: string[] = [];
    let step = async (what: string, body: () => unknown) => {
      try {
        await body();
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`);
      }
    };
    // The sessions first, while the listening sshd lives to reap them (killed after it, they
    // would be left to init as zombies for a while); then sshd, then anything left.
    let namespace = this.namespaceAdded ? this.namespace : undefined;
    let listener = this.sshd?.pid;
    if (namespace) await step('killing the ssh sessions', () => killNamespace(namespace, (pid) => pid !== listener));
    if (listener) await childrenReaped(listener, 500);
    if (this.sshd && this.sshd.exitCode === null && this.sshd.signalCode === null) {
      await step('killing sshd', () => this.sshd!.kill('SIGKILL'));
    }
    if (namespace) await step('killing the processes in the namespace', () => killNamespace(namespace));
    if (this.sshdExited) await step('waiting for sshd', () => withTimeout(this.sshdExited!, KILL_MS, 'sshd to exit'));
    // Deleting our end deletes both ends at once (a namespace's deletion takes its end with it
    // only when the kernel gets round to destroying the namespace).
    if (this.localInterface) {
      let name = this.localInterface;
      await step(`deleting ${name}`, () => ip(['link', 'del', name]));
    }
    if (this.namespace && this.namespaceAdded) {
      let namespace = this.namespace;
      await step(`deleting namespace ${namespace}`, () => ip(['netns', 'del', namespace]));
    }
    if (this.dir) {
      let dir = this.dir;
      await step(`removing ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    }
    if (problems.length > 0) throw new Error(`the second host's teardown failed:\n${problems.join('\n')}`);
  }
}

/** Live processes in the named namespace (any process whose network namespace is it). */
export function namespacePids(namespace: string): number[] {
  let inode: number;
  try {
    inode = statSync(`/run/netns/${namespace}`).ino;
  } catch {
    return [];
  }
  let link = `net:[${inode}]`;
  let found: number[] = [];
  for (let entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let pid = Number(entry);
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === link && alive(pid)) found.push(pid);
    } catch {
      // gone, or a zombie
    }
  }
  return found;
}

/**
 * SIGKILL every process in the namespace (`which` of them) until none is left. Leaves first, each
 * round reaped by its parent before the next (an sshd killed with its children unreaped would
 * leave them to init as zombies for a while); processes that keep forking, all at once.
 */
async function killNamespace(namespace: string, which: (pid: number) => boolean = () => true): Promise<void> {
  let started = Date.now();
  for (;;) {
    let left = namespacePids(namespace).filter(which);
    if (left.length === 0) return;
    if (Date.now() > started + KILL_MS) throw new Error(`still alive after ${KILL_MS} ms: ${left.join(', ')}`);
    let leavesFirst = Date.now() < started + LEAVES_FIRST_MS;
    let parents = new Set(left.map(parentOf));
    let victims = leavesFirst ? left.filter((pid) => !parents.has(pid)) : left;
    for (let pid of victims.length > 0 ? victims : left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Until their parents have reaped them (gone from /proc, not just dead), a moment at most.
    // Orphans are init's to reap, when it gets round to it: not waited for.
    let reaping = victims.filter((pid) => (parentOf(pid) ?? 1) !== 1);
    let until = Date.now() + 100;
    while (reaping.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < until) await pause(2);
  }
}

/** Wait until `parent` has no child left, not even one exiting or exited and unreaped; `withinMs` at most. */
async function childrenReaped(parent: number, withinMs: number): Promise<void> {
  let deadline = Date.now() + withinMs;
  let children = () => readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && parentOf(Number(entry)) === parent);
  while (children().length > 0 && Date.now() < deadline) await pause(2);
}


/**
 * Namespaces and directories of ours whose maker is gone (a test worker that exited before its
 * teardown ended): removed.
 */
async function sweepStale(): Promise<void> {
  for (let entry of readdirSync(tmpdir())) {
    let match = DIR.exec(entry);
    if (match && !alive(Number(match[1]))) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  for (let name of names) {
    let match = NAMESPACE.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    try {
      await killNamespace(name);
      // Its veth end goes with it; ours (hrw<N>) once the kernel destroys the namespace.
      await ip(['netns', 'del', name]);
    } catch {
      // another process swept it first, or it will be swept next time
    }
  }
}

function describeProcesses(pids: number[]): string {
  return pids
    .map((pid) => {
      try {
        return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 160)}`;
      } catch {
        return `${pid}`;
      }
    })
    .join('\n');
}

function sshKeygen(path: string, comment: string): Promise<void> {
  return exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]).then(() => {});
}

function ip(args: string[], input?: string): Promise<string> {
  return exec('ip', args, input);
}

function exec(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let child = execFile(command, args, { encoding: 'utf8', timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    // Commands that do not read their input may be gone before it is written: no EPIPE then.
    child.stdin!.on('error', () => {});
    if (input === undefined) child.stdin!.end();
    else child.stdin!.end(input);
  });
}

function runSsh(sshCommand: string[], alias: string, command: string, timeoutMs: number): Promise<SshResult> {
  let started = Date.now();
  let [program, ...args] = sshCommand;
  return new Promise((resolve, reject) => {
    let child = spawn(program!, [...args, alias, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ssh ${alias} ${JSON.stringify(command)} did not finish within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close', not 'exit': the output is complete.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let timeout = new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function lines(items: string[]): string {
  return `${items.join('\n')}\n`;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
