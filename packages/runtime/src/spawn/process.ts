import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createChannel, socketWire, type Channel } from '@harrow/transport';
import { BOOT, PROCESS_ACTOR_MAIN } from './entries.ts';
import { TSX_LOADER } from './exec-argv.ts';
import { exitRecord, type ChildHandle, type StartOptions } from './handle.ts';

/** What runs over a child's fd 3: the actor protocol's `Channel`, or a spawner's own connection. */
export type ConnectSocket<C> = (socket: Socket, peer: string) => C;

const channelOver: ConnectSocket<Channel> = (socket, peer) => createChannel(socketWire(socket, peer));

/**
 * Start a child process running `options.entry` (default `entry/process-main.ts`) through boot.mjs.
 * Its fd 3 is one end of a socket pair that is both its channel to us and its lifeline: if we
 * die, however we die, it reads end-of-file and cancels itself. stdout and stderr are
 * inherited, so `console.log` in any actor shows up; stdin is not (the root owns the terminal).
 *
 * `detached` puts the child in a new session and process group: the root does this for its
 * children so that Ctrl-C at a terminal reaches only the root, which cancels the tree in order,
 * and so that a final SIGKILL to the group also takes any grandchild left behind. Deeper
 * actors stay in their ancestor's group.
 *
 * `connect` builds what talks over fd 3 (default: a `Channel`); the runSync pool passes its own.
 */
export function startProcess(options: StartOptions & { detached: boolean }): ChildHandle;
export function startProcess<C>(options: StartOptions & { detached: boolean }, connect: ConnectSocket<C>): ChildHandle<C>;
export function startProcess(options: StartOptions & { detached: boolean }, connect: ConnectSocket<unknown> = channelOver): ChildHandle<unknown> {
  let child = spawn(process.execPath, [...options.execArgv, BOOT.pathname, TSX_LOADER, options.entry ?? PROCESS_ACTOR_MAIN], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: options.env,
    detached: options.detached,
  });
  let record = exitRecord();
  let exited = (code: number | null, signal: string | null) => {
    // Whatever of the child's group is left behind goes with it.
    if (options.detached && !record.exit) killGroup(pid, 'SIGKILL');
    record.exited({ code, signal });
  };
  // A spawn that fails (EAGAIN, ENOMEM) reports 'error' and no 'exit'.
  child.on('error', () => exited(null, null));
  child.on('exit', exited);
  let pid = child.pid ?? -1;
  let socket = child.stdio[3] as Socket;
  let channel = connect(socket, `actor process ${pid}`);
  return {
    pid,
    channel,
    get exit() {
      return record.exit;
    },
    onExit: record.onExit,
    terminate() {
      if (!record.exit) child.kill('SIGTERM');
      return true;
    },
    kill() {
      if (record.exit) return;
      if (options.detached) killGroup(pid, 'SIGKILL');
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
