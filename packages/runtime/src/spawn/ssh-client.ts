import { spawn as spawnProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Exit, FollowedProcess } from './handle.ts';
import { watchProcessExit } from './process-exit.ts';
import { relayStderr } from './stderr.ts';

/**
 * The ssh client of one actor on another host, as plain data: a worker thread sends it to the
 * main thread, which runs every process of the program (process-host.ts).
 */
export interface SshClientSpec {
  command: string;
  args: string[];
  /** The first line ssh-stub.cjs reads on its stdin: its bootstrap, cookie included (never on a command line). */
  bootstrap: string;
  /** Whether the client leads a process group that the sentinel watches (the root's children). */
  group: boolean;
  /** ssh's own environment (its agent socket, PATH, HOME): that of the actor that starts it, which a thread actor's may not share with the main thread. */
  env: NodeJS.ProcessEnv;
}

/**
 * A running ssh client. Its session is the remote actor's lifeline: the stub there ends the
 * actor when the session ends. `terminate()` and `kill()` reach the actor through the stub;
 * `end()` ends the session from here at once. Its pid is ssh's, not the actor's.
 */
export type SshClient = FollowedProcess & { end(): void };

/** How long `kill()` waits for the stub to act before it ends the session from here. */
const KILL_THROUGH_STUB_MS = 1000;

/**
 * Start ssh for `spec` (see `SshClientSpec`), on this thread, which must be the main thread (a
 * process is reaped by the event loop that started it). `onStderr` sees each chunk of what ssh
 * and the stub print, which also goes on to this process's stderr.
 */
export function runSshClient(spec: SshClientSpec, onStderr?: (chunk: Uint8Array) => void): SshClient {
  let ssh = spawnProcess(spec.command, spec.args, { stdio: ['pipe', 'inherit', 'pipe'], detached: spec.group, env: spec.env });
  let stderrTail = ssh.stderr ? relayStderr(ssh.stderr, onStderr) : () => '';
  let record = watchProcessExit(ssh, {
    map: remoteExit,
    failed: (error) => process.stderr.write(`harrow: could not run ${spec.command}: ${error.message}\n`),
    group: spec.group ? 'tree' : undefined,
  });
  ssh.stdin!.on('error', () => {}); // ssh is gone: its exit says why
  ssh.stdin!.write(spec.bootstrap);
  let killTimer: NodeJS.Timeout | undefined;
  record.onExit(() => clearTimeout(killTimer));
  let tell = (line: string) => {
    if (!record.exit && ssh.stdin!.writable) ssh.stdin!.write(`${line}\n`);
  };
  return {
    pid: ssh.pid ?? -1,
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
      killTimer ??= setTimeout(() => ssh.kill('SIGKILL'), KILL_THROUGH_STUB_MS);
    },
    end() {
      ssh.kill('SIGKILL');
    },
    keepAlive(on) {
      if (on) ssh.ref();
      else ssh.unref();
    },
  };
}

/** The actor's exit from ssh's: the stub exits 128 + a signal's number for a signal; 255 is ssh's own failure. */
function remoteExit({ code, signal }: Exit): Exit {
  if (code !== null && code > 128 && code < 255) {
    let name = Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0];
    if (name) return { code: null, signal: name };
  }
  return { code, signal };
}
