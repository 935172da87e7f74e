import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { socketWire, type Wire } from '@harrow/transport';
import { BOOT, PROCESS_ACTOR_MAIN } from './entries.ts';
import { bootStderrStdio, realStderrFd, relayStderr } from './stderr.ts';
import type { ChildHandle, StartOptions } from './handle.ts';
import { watchProcessExit } from './process-exit.ts';
import type { GroupKind } from './sentinel.ts';

/** What `startProcess` needs. Plain data: a worker thread sends it to the main thread (process-host.ts). */
export interface ProcessOptions extends StartOptions {
  /**
   * Start the child in a new session and process group that this process's sentinel watches
   * (see below and sentinel.ts); else it stays in this process's group.
   */
  group?: GroupKind;
  /** Capture what the child prints to stderr while it boots (an actor: see stderr.ts); a runSync worker's is simply inherited. */
  captureBootStderr?: boolean;
}

/** What runs over a child's fd 3 (a byte wire): the actor protocol's `Channel`, or a spawner's own link. */
export type ConnectWire<C> = (wire: Wire) => C;

/**
 * Start a child process of this thread, which must be the main thread (see process.ts), running
 * `options.entry` (default `entry/process-main.ts`) through boot.cjs. Its fd 3 is one end of a
 * socket pair that is both its channel to us and its lifeline: if we die, however we die, it
 * reads end-of-file and cancels itself. stdout and stderr are inherited, so `console.log` in
 * any actor shows up; stdin is not (the root owns the terminal).
 *
 * `group` puts the child in a new session and process group: the root does this for its actor
 * children, and every process for its runSync workers, so that Ctrl-C at a terminal reaches
 * only the root, which cancels the tree in order, and so that a final SIGKILL to the group
 * (on exit, or by the sentinel if this process dies) also takes anything left behind. Deeper
 * actors stay in their ancestor's group.
 *
 * `onStderr` sees each chunk of a captured boot stderr (the host passes them on to its thread).
 */
export function startLocalProcess<C>(options: ProcessOptions, connect: ConnectWire<C>, onStderr?: (chunk: Uint8Array) => void): ChildHandle<C> {
  let capture = options.captureBootStderr ? bootStderrStdio() : undefined;
  // Which loader, if any, was decided by the thread that asked (startProcess).
  let loaderArgs = options.typescript ? [options.typescript.loader, options.typescript.api] : ['-', '-'];
  let child = spawn(process.execPath, [...options.execArgv, fileURLToPath(BOOT), ...loaderArgs, options.entry ?? PROCESS_ACTOR_MAIN], {
    stdio: capture ? ['ignore', 'inherit', capture.stdio[0], 'pipe', capture.stdio[2]] : ['ignore', 'inherit', realStderrFd(), 'pipe'],
    env: capture ? { ...options.env, ...capture.env } : options.env,
    detached: options.group !== undefined,
  });
  let stderrTail = capture && child.stderr ? relayStderr(child.stderr, onStderr) : () => '';
  let pid = child.pid ?? -1;
  let record = watchProcessExit(child, {
    // Whatever of the child's group is left behind goes with it.
    seen: () => {
      if (options.group) killGroup(pid, 'SIGKILL');
    },
    group: options.group,
  });
  let socket = child.stdio[3] as Socket;
  let channel = connect(socketWire(socket, `actor process ${pid}`));
  return {
    pid,
    channel,
    get exit() {
      return record.exit;
    },
    onExit: record.onExit,
    stderrTail,
    terminate() {
      if (!record.exit) child.kill('SIGTERM');
      return true;
    },
    kill() {
      if (record.exit) return;
      if (options.group) killGroup(pid, 'SIGKILL');
      child.kill('SIGKILL');
    },
    keepAlive(on) {
      if (on) {
        child.ref();
        socket.ref();
      } else {
        child.unref();
        socket.unref();
      }
    },
  };
}

/** Signal a whole process group; nothing if it is already empty. */
function killGroup(leader: number, signal: NodeJS.Signals): void {
  if (leader <= 0) return;
  try {
    process.kill(-leader, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
