import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { until, type Operation, type Scope, type Task } from 'effection';
import { ModuleNotExposedError, type ActorRef } from '../base/errors.ts';
import { createLogger, type LogLevel, type Logger } from './log.ts';
import { lookupRemote, RUNTIME_MODULE } from '../base/remote.ts';

/** What `currentActor()` and `portal.actor` tell about an actor. */
export interface ActorInfo {
  name: string;
  uid: string;
  pid: number;
  parent?: ActorRef;
  /**
   * The address other actors reach it by: its Unix socket (`uds:///…`), or a TCP (WebSocket)
   * address where it listens on one; empty in a root process before its first nursery.
   */
  address: string;
  /** The machine's hostname. */
  host: string;
}

/**
 * This process's (or thread's) actor: its identity, the modules it allows calls into, the scope
 * its served calls run in, and its logger. There is one per process or thread.
 */
export class Actor {
  readonly ref: ActorRef;
  readonly pid = process.pid;
  readonly enabled = new Set<string>([RUNTIME_MODULE]);
  readonly log: Logger;
  readonly host = hostname();
  /** When it started (ms since the epoch), for its registry entry's uptime. */
  readonly since = Date.now();
  /** Every address it listens on: its Unix socket first, then TCP or WebSocket ones. */
  addresses: string[] = [];
  /** The address others reach it by: a TCP (WebSocket) one where it has one, else its Unix socket. */
  get address(): string {
    return networkAddresses(this.addresses)[0] ?? this.addresses[0] ?? '';
  }
  /** The addresses of the tree's registry (its Unix socket first, then TCP ones), which its children register with. */
  registry: string[] = [];
  /** Where its children listen besides their Unix sockets (`tcp://host:0`), when the tree listens on TCP or WebSocket. */
  childListen: string[] = [];
  /**
   * An actor other than its parent asked it to stop (through a portal found in the registry).
   * By default it stops; a spawned actor asks its parent to stop it instead, so that the
   * parent's cancel ladder bounds its exit and the parent counts it as cancelled.
   */
  cancelRequested: (canceller: string) => void = () => this.shutdown();
  private shutdownListeners = new Set<(hard: boolean) => void>();
  private failureListeners = new Set<(error: Error) => void>();
  shuttingDown = false;
  private stoppingHard = false;
  /**
   * Where a failure that has no caller left to hear of it goes: a cleanup that threw in a call
   * its caller had cancelled. A spawned actor reports it to its parent; the root logs it.
   */
  reportFailure: (error: unknown) => void = (error) => this.log.error({ err: error }, 'a cancelled call failed in its cleanup');
  private halting = new Set<Promise<void>>();

  constructor(
    name: string,
    uid: string,
    readonly parent: (ActorRef & { address: string }) | undefined,
    /** The directory holding the tree's Unix sockets. */
    readonly treeDir: string,
    /** Where served calls run; destroyed when the actor stops. */
    readonly calls: Scope,
    readonly loglevel: LogLevel,
  ) {
    this.ref = { name, uid };
    this.log = createLogger(this.ref, loglevel);
  }

  get name(): string {
    return this.ref.name;
  }

  get uid(): string {
    return this.ref.uid;
  }

  info(): ActorInfo {
    let info: ActorInfo = { name: this.name, uid: this.uid, pid: this.pid, address: this.address, host: this.host };
    if (this.parent) info.parent = { name: this.parent.name, uid: this.parent.uid };
    return info;
  }

  /**
   * The function a call names, if this actor allows it: the module must be enabled and the
   * function `remote()`-marked in it. Anything else is a `ModuleNotExposedError`, before
   * anything is imported or run.
   */
  resolveRemote(module: string | null, name: string): Function {
    if (module === null) {
      throw new ModuleNotExposedError(
        `"${name}" is not marked with remote(); only remote() functions can be called in another actor`,
      );
    }
    if (!this.enabled.has(module)) {
      throw new ModuleNotExposedError(
        `actor '${this.name}' has not enabled module ${module}; add it to enableModules to call "${name}"`,
      );
    }
    let fn = lookupRemote(module, name);
    if (!fn) throw new ModuleNotExposedError(`module ${module} has no remote() function named "${name}"`);
    return fn;
  }

  /**
   * Halt a call's task because its caller cancelled it. An effection halt is lazy (it starts
   * only when awaited), and its cleanup may fail after the caller is gone: that failure goes to
   * `reportFailure`, and the actor waits for every such halt before it stops (`settleHalts`).
   */
  haltCall(task: Task<unknown>): void {
    let halting = task.halt().then(
      () => {},
      (error) => this.reportFailure(error),
    );
    this.halting.add(halting);
    void halting.finally(() => this.halting.delete(halting));
  }

  /** Wait until every halt started by `haltCall` has finished. */
  *settleHalts(): Operation<void> {
    while (this.halting.size > 0) yield* until(Promise.all([...this.halting]));
  }

  /**
   * Ask everything this actor runs to stop (a signal, a cancel request, the parent's death):
   * gracefully, or with `hard` (a second Ctrl-C at the root) at once. Listeners hear each kind
   * once.
   */
  shutdown(hard = false): void {
    if (this.shuttingDown && (!hard || this.stoppingHard)) return;
    this.shuttingDown = true;
    this.stoppingHard ||= hard;
    for (let listener of [...this.shutdownListeners]) listener(hard);
  }

  /**
   * This actor can no longer serve (its listener died): log why, and fail whatever relies on it
   * (every nursery of the root fails with `error`).
   */
  fail(error: Error): void {
    this.log.error({ err: error }, `actor '${this.name}' can no longer serve`);
    for (let listener of [...this.failureListeners]) listener(error);
  }

  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  onShutdown(listener: (hard: boolean) => void): () => void {
    this.shutdownListeners.add(listener);
    return () => this.shutdownListeners.delete(listener);
  }
}

/**
 * The addresses of `addresses` that reach across machines (TCP, WebSocket), in order: not the
 * Unix sockets, which only this machine reaches.
 */
export function networkAddresses(addresses: string[]): string[] {
  return addresses.filter((address) => !address.startsWith('uds:'));
}

let current: Actor | undefined;

/** The actor of this process or thread, once it exists. */
export function maybeCurrentActor(): Actor | undefined {
  return current;
}

export function setCurrentActor(actor: Actor | undefined): void {
  current = actor;
}

let provisional: ActorInfo | undefined;

/**
 * This actor's identity, in any process or thread of the tree: `{ name, uid, pid, parent?,
 * address }`. In a root process before its first nursery the actor has no address yet.
 *
 * @example
 * ```ts
 * export const whoami = remote(import.meta, function* whoami() {
 *   let { name, uid, pid, parent } = currentActor();
 *   return `${name} (${uid}), pid ${pid}, started by ${parent?.name}`;
 * });
 * ```
 */
export function currentActor(): ActorInfo {
  if (current) return current.info();
  provisional ??= { name: 'root', uid: newUid(), pid: process.pid, address: '', host: hostname() };
  return provisional;
}

/** The uid the root actor takes: the provisional one if `currentActor()` was asked before. */
export function rootUid(): string {
  return provisional?.uid ?? newUid();
}

/** A short unique id for an actor. */
export function newUid(): string {
  return randomBytes(6).toString('base64url');
}
