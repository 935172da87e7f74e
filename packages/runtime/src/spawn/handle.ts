import type { TypeScriptSupport } from './typescript.ts';
import type { Channel } from '@harrow/transport';

/** How a child ended, as the operating system (or the worker thread) reported it. */
export interface Exit {
  code: number | null;
  signal: string | null;
}

/**
 * A started child, process or thread, before it is an actor: what the spawner needs to talk
 * to it and to end it. Every backend gives the same handle.
 */
export interface ChildHandle<C = Channel> {
  /** The process id (for a thread actor, the id of the process it runs in). */
  readonly pid: number;
  /** The connection to the child: a `Channel` unless the spawner built its own (see `startProcess`). */
  readonly channel: C;
  /** Set once the child has exited and (for a process) been reaped. */
  readonly exit: Exit | undefined;
  /** Called once, when the child has exited. */
  onExit(listener: (exit: Exit) => void): void;
  /** The last of what the child printed to stderr while it booted, where that was captured (see stderr.ts); else ''. */
  stderrTail(): string;
  /** Ask the operating system to stop it gracefully (SIGTERM). False where the backend has no such step (threads). */
  terminate(): boolean;
  /** Stop it at once: SIGKILL to the process and everything in its process group; `terminate()` for a thread. */
  kill(): void;
  /**
   * Whether the child and its connection keep this process's event loop alive (they do from
   * the start). A pool turns this off for idle workers, so they do not hold a finished program open.
   */
  keepAlive(on: boolean): void;
}

/** A child's process as something other than its channel follows it: the main thread for a thread, an ssh client for a remote actor. */
export type FollowedProcess = Omit<ChildHandle<never>, 'channel'>;

/** The handle of a child from the process that follows it and its channel; `pid` says which pid to report (default: the process's). */
export function handleOf<C>(process: FollowedProcess, channel: C, pid: () => number = () => process.pid): ChildHandle<C> {
  return {
    get pid() {
      return pid();
    },
    channel,
    get exit() {
      return process.exit;
    },
    onExit: (listener) => process.onExit(listener),
    stderrTail: () => process.stderrTail(),
    terminate: () => process.terminate(),
    kill: () => process.kill(),
    keepAlive: (on) => process.keepAlive(on),
  };
}

/** What a spawn backend needs to start a child. */
export interface StartOptions {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  /** URL of the module the child runs after boot.cjs; default: the actor entry (entry/process-main.ts or entry/thread-main.ts). */
  entry?: string;
  /** How the child loads TypeScript (null: it does not); default: as this tree does (typescript.ts). */
  typescript?: TypeScriptSupport | null;
}

/** The exit half of a handle: records the one exit, and tells listeners (even late ones). */
export interface ExitRecord {
  readonly exit: Exit | undefined;
  onExit(listener: (exit: Exit) => void): void;
  /** Record the exit; later calls are ignored. */
  exited(exit: Exit): void;
}

export function exitRecord(): ExitRecord {
  let exit: Exit | undefined;
  let listeners: ((exit: Exit) => void)[] = [];
  return {
    get exit() {
      return exit;
    },
    onExit(listener) {
      if (exit) listener(exit);
      else listeners.push(listener);
    },
    exited(recorded) {
      if (exit) return;
      exit = recorded;
      for (let listener of listeners) listener(recorded);
      listeners = [];
    },
  };
}
