import { logLevel } from '../actor/log.ts';
import type { RemoteFn } from '../base/remote.ts';
import type { RestartType, SupervisorStrategy } from './supervisor.ts';

/** Options of `openNursery`. Times are milliseconds. */
export interface NurseryOptions {
  /** How long a cancelled actor has to exit before it gets SIGTERM. Default 1000. */
  cancelTimeout?: number;
  /** How long after SIGTERM before SIGKILL. Default 1000. */
  killTimeout?: number;
  /** How long a child may take to become ready before it is an `ActorBootError`. Default 10000. */
  bootTimeout?: number;
  /** Keep a warm spare process so that spawning costs a handshake, not a Node start-up. Default true. */
  spare?: boolean;
  /** Default log level of the children (else `HARROW_LOGLEVEL`, else `warn`). */
  loglevel?: string;
  /**
   * Make this nursery a supervisor (API.md §9): `oneForOne(...)`, `oneForAll(...)` or
   * `restForOne(...)`. Its `startActor` children are restarted when they exit, as their
   * `restart` type says; `runInActor` is refused.
   */
  supervise?: SupervisorStrategy;
  /**
   * Crash mode for every actor this nursery starts, and their subtrees (API.md §8): an error
   * about to leave an actor first opens a post-mortem REPL in the root's terminal. Needs
   * `@harrow/debugger` installed. Default: this actor's own.
   */
  debugMode?: boolean;
}

/** Options of `startActor` and `runInActor` (API.md §2). */
export interface ActorOptions {
  /** For `runInActor` (default: the function's name); `startActor` takes it first. */
  name?: string;
  /** Modules the actor imports and allows calls into: module URLs, absolute paths or bare package specifiers. */
  enableModules?: (string | URL)[];
  /** `'process'` (default) or `'thread'`. */
  spawn?: 'process' | 'thread';
  /** Extra environment variables (merged over this process's). */
  env?: Record<string, string>;
  /** Node flags (default: this process's, so a parent under tsx spawns children that load TypeScript). */
  execArgv?: string[];
  loglevel?: string;
  /** Crash mode for this actor and its subtree (see `NurseryOptions.debugMode`). */
  debugMode?: boolean;
  /** Overrides the nursery's `bootTimeout` for this actor. */
  bootTimeout?: number;
  /**
   * Start the actor on another machine (`user@hostname`, or a Host of the ssh config) over
   * `ssh` (API.md §7). It dials back to one of this actor's TCP addresses (openRoot's `listen`)
   * with the tree's cookie.
   */
  host?: string;
  /** The working directory on that host. Default: this process's. */
  cwd?: string;
  /**
   * Under a supervisor: when the actor is started again (API.md §9). `'permanent'` (the
   * default) after any exit, `'transient'` only after a failure, `'temporary'` never.
   */
  restart?: RestartType;
  /**
   * A `remote()` function without arguments, run in the actor once it is ready and before
   * `startActor` returns (and again in each new incarnation under a supervisor). Its failure
   * is the start's: an `ActorBootError`.
   */
  init?: RemoteFn;
}

/** `NurseryOptions` with their defaults filled in. */
export type ResolvedNurseryOptions = Required<Omit<NurseryOptions, 'loglevel' | 'debugMode' | 'supervise'>> & { loglevel: string; debugMode?: boolean; supervise?: SupervisorStrategy };

/** The defaults (API.md §2 and §5): `cancelTimeout` and `killTimeout` 1000 ms, `bootTimeout` 10000 ms, a spare. */
export function resolveOptions(options: NurseryOptions): ResolvedNurseryOptions {
  return {
    cancelTimeout: options.cancelTimeout ?? 1000,
    killTimeout: options.killTimeout ?? 1000,
    bootTimeout: options.bootTimeout ?? 10_000,
    spare: options.spare ?? true,
    loglevel: logLevel(options.loglevel),
    debugMode: options.debugMode,
    supervise: options.supervise,
  };
}
