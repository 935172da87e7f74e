import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { Channel } from '@harrow/transport';
import { action, type Operation } from 'effection';
import { ActorBootError, type ActorRef } from '../base/errors.ts';
import { expectDialBack } from './dial-back.ts';
import { BOOT, REMOTE_ACTOR_MAIN, SSH_STUB } from './entries.ts';
import { handleOf, type ChildHandle, type Exit } from './handle.ts';
import { runSshClientThroughHost } from './process-host.ts';
import { runSshClient } from './ssh-client.ts';
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
  let env = { ...forwardedEnv(), ...options.env };
  let loader = options.typescript ? [options.typescript.loader, options.typescript.api] : ['-', '-'];
  let bootstrap = JSON.stringify({
    cookie: process.env.HARROW_COOKIE,
    dial: { addresses: options.dial, token } satisfies Dial,
    execArgv: options.execArgv,
    boot: fileURLToPath(BOOT),
    loader,
    entry: REMOTE_ACTOR_MAIN,
    env,
  });
  let spec = { command: command!, args: [...args, '-o', 'BatchMode=yes', '-T', options.host, remoteCommand], bootstrap: `${bootstrap}\n`, group: options.group, env: { ...process.env } };
  // A worker thread's processes are the main thread's to start and reap (process-host.ts).
  let ssh = isMainThread ? runSshClient(spec) : runSshClientThroughHost(spec);
  let dialled: { channel: Channel; pid: number } | undefined;
  let arrived: Channel | undefined;
  try {
    dialled = yield* action<{ channel: Channel; pid: number }>((resolve, reject) => {
      let cancel = expectDialBack(token, (channel, pid) => {
        arrived = channel;
        resolve({ channel, pid });
      });
      let failed = (exit: Exit) => {
        let why = exit.code === 255 ? `ssh to ${options.host} failed` : `it exited (${describe(exit)}) on ${options.host} before it dialled back`;
        reject(new ActorBootError(options.actor, `${why}: ${ssh.stderrTail().trim() || 'no message'}`, { exitCode: exit.code, signal: exit.signal, stderr: ssh.stderrTail() }));
      };
      ssh.onExit(failed);
      let timer = setTimeout(() => {
        reject(new ActorBootError(options.actor, `it did not dial back from ${options.host} within ${options.bootTimeout} ms (bootTimeout); is one of ${options.dial.join(', ')} reachable from there?`, { stderr: ssh.stderrTail() }));
      }, options.bootTimeout);
      return () => {
        cancel();
        clearTimeout(timer);
      };
    });
  } finally {
    // Failed, or halted (its owner's scope ended, a race around the start was lost): ending
    // the session ends the actor there, and a connection it made as we were halted goes too.
    if (!dialled) {
      ssh.end();
      arrived?.destroy();
    }
  }
  let { pid, channel } = dialled;
  // Its pid is the actor's there, as it dialled back: not ssh's.
  return handleOf(ssh, channel, () => pid);
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

function describe(exit: Exit): string {
  return exit.signal ? `killed by ${exit.signal}` : `code ${exit.code}`;
}
