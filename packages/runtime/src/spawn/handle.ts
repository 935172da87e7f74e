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
export interface ChildHandle {
  /** The process id (for a thread actor, the id of the process it runs in). */
  readonly pid: number;
  /** The channel to the child. */
  readonly channel: Channel;
  /** Set once the child has exited and (for a process) been reaped. */
  readonly exit: Exit | undefined;
  /** Called once, when the child has exited. */
  onExit(listener: (exit: Exit) => void): void;
  /** Ask the operating system to stop it gracefully (SIGTERM). False where the backend has no such step (threads). */
  terminate(): boolean;
  /** Stop it at once: SIGKILL to the process and everything in its process group; `terminate()` for a thread. */
  kill(): void;
}

/** What a spawn backend needs to start a child. */
export interface StartOptions {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}
