import { spawn as spawnProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Channel } from '@harrow/transport';
import { action, type Operation } from 'effection';
import { ActorBootError, type ActorRef } from '../base/errors.ts';
import { expectDialBack } from './dial-back.ts';
import { BOOT, REMOTE_ACTOR_MAIN, SSH_STUB } from './entries.ts';
import type { ChildHandle, Exit } from './handle.ts';
import { watchProcessExit } from './process-exit.ts';
import { relayStderr } from './stderr.ts';
import type { TypeScriptSupport } from './typescript.ts';

/** How the actor on the other host reaches its parent (what remote-main.ts reads from HARROW_DIAL). */
export interface Dial {
  /** The parent's TCP addresses, tried in order. */
  addresses: string[];
  /** Which spawn this is, for the parent. */
  token: string;
}

/** Read HARROW_DIAL; a clear error where it is missing. */
export function parseDial(text: string | undefined): Dial {
  let dial = JSON.parse(text ?? 'null') as Dial | null;
  if (!dial || !Array.isArray(dial.addresses) || typeof dial.token !== 'string') {
    throw new Error('HARROW_DIAL is not set: entry/remote-main is started on another host by ssh-stub.cjs');
  }
  return dial;
}

/** What `startSshProcess` needs. */
export interface SshOptions {
  actor: ActorRef;
  /** `[user@]hostname`, or a Host of the ssh config. */
  host: string;
  /** The working directory there. */
  cwd: string;
  execArgv: string[];
  /** Extra environment of the actor there (its `env` option; see `forwardedEnv` for the rest). */
  env: Record<string, string>;
  typescript: TypeScriptSupport | null;
  /** The parent's TCP (WebSocket) addresses to dial back to. */
  dial: string[];
  /** Whether the ssh client leads a process group that the sentinel watches (the root's children). */
  group: boolean;
  bootTimeout: number;
}

/**
 * The ssh client, from `HARROW_SSH_COMMAND` (as git's GIT_SSH_COMMAND: a command line split at
 * spaces, e.g. `ssh -F ./ssh_config`), else `ssh`: the system's OpenSSH, with its config and keys.
 */
function sshCommand(): string[] {
  let command = process.env.HARROW_SSH_COMMAND?.trim();
  return command ? command.split(/\s+/) : ['ssh'];
}

/** A word for a POSIX shell (the remote command line), quoted. */
function quoted(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Start an actor on another host over ssh (API.md §7): ssh runs ssh-stub.cjs with `node` there,
 * in `cwd`, and the stub starts the actor (`node` with the same execArgv, through boot.cjs),
 * which dials back over TCP with the cookie. Returns once it has dialled back, with the
 * connection as the handle's channel. ssh's session is the actor's lifeline: the stub ends the
 * actor when it ends; `terminate()` and `kill()` reach it through the stub. A host that cannot
 * be reached, or a node that cannot start there, is an `ActorBootError` with ssh's own message.
 */
export function* startSshProcess(options: SshOptions): Operation<ChildHandle> {
  let token = randomBytes(16).toString('base64url');
  let [command, ...args] = sshCommand();
  let remoteCommand = `cd ${quoted(options.cwd)} && exec node ${quoted(fileURLToPath(SSH_STUB))}`;
  let ssh = spawnProcess(command!, [...args, '-o', 'BatchMode=yes', '-T', options.host, remoteCommand], {
    stdio: ['pipe', 'inherit', 'pipe'],
    detached: options.group,
  });
  let stderrTail = ssh.stderr ? relayStderr(ssh.stderr) : () => '';
  let record = watchProcessExit(ssh, {
    map: remoteExit,
    failed: (error) => process.stderr.write(`harrow: could not run ${command}: ${error.message}\n`),
    group: options.group ? 'tree' : undefined,
  });
  ssh.stdin!.on('error', () => {}); // ssh is gone: its exit says why
  let env = { ...forwardedEnv(), ...options.env };
  let loader = options.typescript ? [options.typescript.loader, options.typescript.api] : ['-', '-'];
  ssh.stdin!.write(`${JSON.stringify({
    cookie: process.env.HARROW_COOKIE,
    dial: { addresses: options.dial, token } satisfies Dial,
    execArgv: options.execArgv,
    boot: fileURLToPath(BOOT),
    loader,
    entry: REMOTE_ACTOR_MAIN,
    env,
  })}\n`);

  let killTimer: NodeJS.Timeout | undefined;
  let tell = (line: string) => {
    if (!record.exit && ssh.stdin!.writable) ssh.stdin!.write(`${line}\n`);
  };
  let dialled: { channel: Channel; pid: number };
  try {
    dialled = yield* action<{ channel: Channel; pid: number }>((resolve, reject) => {
      let cancel = expectDialBack(token, (channel, pid) => resolve({ channel, pid }));
      let failed = (exit: Exit) => {
        let why = exit.code === 255 ? `ssh to ${options.host} failed` : `it exited (${describe(exit)}) on ${options.host} before it dialled back`;
        reject(new ActorBootError(options.actor, `${why}: ${stderrTail().trim() || 'no message'}`, { exitCode: exit.code, signal: exit.signal, stderr: stderrTail() }));
      };
      record.onExit(failed);
      let timer = setTimeout(() => {
        reject(new ActorBootError(options.actor, `it did not dial back from ${options.host} within ${options.bootTimeout} ms (bootTimeout); is one of ${options.dial.join(', ')} reachable from there?`, { stderr: stderrTail() }));
      }, options.bootTimeout);
      return () => {
        cancel();
        clearTimeout(timer);
      };
    });
  } catch (error) {
    ssh.kill('SIGKILL');
    throw error;
  }
  record.onExit(() => clearTimeout(killTimer));
  return {
    get pid() {
      return dialled.pid;
    },
    channel: dialled.channel,
    get exit() {
      return record.exit;
    },
    onExit: record.onExit,
    stderrTail,
    terminate() {
      tell('TERM');
      return true;
    },
    kill() {
      if (record.exit) return;
      tell('KILL');
      // If the stub cannot be told (the network is gone), the session is ended from here: the
      // stub then kills the actor itself (ssh-stub.cjs).
      killTimer ??= setTimeout(() => ssh.kill('SIGKILL'), 1000);
    },
    keepAlive(on) {
      if (on) ssh.ref();
      else ssh.unref();
    },
  };
}

/**
 * What of this process's environment the actor there gets: node's own options (NODE_OPTIONS, as
 * good as execArgv) and the runtime's settings (HARROW_*), not the rest, which belongs to this
 * machine (PATH, HOME). The cookie goes in the bootstrap itself.
 */
function forwardedEnv(): Record<string, string> {
  let env: Record<string, string> = {};
  for (let [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'HARROW_COOKIE' || key === 'HARROW_SSH_COMMAND') continue;
    if (key === 'NODE_OPTIONS' || key.startsWith('HARROW_')) env[key] = value;
  }
  return env;
}

/** The actor's exit from ssh's: the stub exits 128 + a signal's number for a signal; 255 is ssh's own failure. */
function remoteExit({ code, signal }: Exit): Exit {
  if (code !== null && code > 128 && code < 255) {
    let name = Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0];
    if (name) return { code: null, signal: name };
  }
  return { code, signal };
}

function describe(exit: Exit): string {
  return exit.signal ? `killed by ${exit.signal}` : `code ${exit.code}`;
}
