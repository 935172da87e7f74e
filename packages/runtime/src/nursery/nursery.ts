import { isMainThread } from 'node:worker_threads';
import { assertEncodable } from '@harrow/transport';
import { action, all, createScope, suspend, withResolvers, type Operation, type Scope } from 'effection';
import { newUid, type Actor } from '../actor/actor.ts';
import { ChildActor } from './child-actor.ts';
import { ActorBootError, ActorGroupError, SupervisorError } from '../base/errors.ts';
import { followingPortal, Supervision, type SupervisedNursery } from './supervision.ts';
import { startOnHost } from './on-host.ts';
import { logLevel } from '../actor/log.ts';
import { resolveOptions, type ActorOptions, type NurseryOptions, type ResolvedNurseryOptions } from './nursery-options.ts';
import { useOwner, type Ending, type Owner } from './owner.ts';
import { createPortal, type Portal, type Returned } from './portal.ts';
import type { SpawnSpec } from '../dialog/protocol.ts';
import { isChildActor, markOf, moduleUrl, type RemoteFn } from '../base/remote.ts';
import { useActor, useDebugHub } from './root.ts';
import { debugSettings } from '../actor/debug-port.ts';
import { lastInterrupt } from '../base/interrupts.ts';
import { childExecArgv, threadExecArgv } from '../spawn/exec-argv.ts';
import { typescriptFor, typescriptSupport, type TypeScriptSupport } from '../spawn/typescript.ts';
import { bootSlot } from '../spawn/boot-slots.ts';
import type { ChildHandle, StartOptions } from '../spawn/handle.ts';
import { startProcess } from '../spawn/process.ts';
import { startThread } from '../spawn/thread.ts';
import { resolveModule } from '../base/modules.ts';

/** A child as `nursery.children` lists it. */
export interface ChildInfo {
  name: string;
  uid: string;
  pid: number;
}

/** The handle `openNursery` gives (API.md §2). */
export interface Nursery {
  /** Spawn a long-lived actor and return once it is ready to serve. */
  startActor(name: string, options?: ActorOptions): Operation<Portal>;
  /**
   * Spawn an actor that runs `fn(...args)` once and exits; its name defaults to `fn.name`. `fn`
   * must be `remote()`-marked (else a type error); the portal's `result()` is typed as its result.
   */
  runInActor<F extends RemoteFn>(fn: F, args?: Parameters<F>, options?: ActorOptions): Operation<Portal<Returned<ReturnType<F>>>>;
  /** Cancel every child; `{ hard: true }` kills at once. Returns when all have exited. */
  cancel(options?: { hard?: boolean }): Operation<void>;
  /** The live children. */
  readonly children: ChildInfo[];
  /**
   * A portal on the child named `name` that reaches its current incarnation at every call:
   * under a supervisor, across restarts (a call made while it restarts waits for the new one).
   */
  portal(name: string): Portal;
}

/**
 * Open an actor nursery for as long as the current scope lasts. The first nursery in a process
 * starts the process's root actor. When the scope ends: if its body completed, every
 * `runInActor` child is awaited; then every child still running is cancelled (gracefully, then
 * escalated: API.md §5); the scope exits only when every child has exited and been reaped.
 *
 * If any child fails, the scope fails at once, its body and the other children are cancelled,
 * and the error thrown from it is that child's error, or an `ActorGroupError` holding each
 * failure when there were several.
 *
 * @example
 * ```ts
 * let nursery = yield* openNursery();
 * let portal = yield* nursery.runInActor(hello, ['world']);
 * console.log(yield* portal.result());
 * ```
 */
export function openNursery(options: NurseryOptions = {}): Operation<Nursery> {
  return {
    *[Symbol.iterator]() {
      let owner = yield* useOwner();
      let actor = yield* useActor(owner);
      if (!isChildActor()) yield* useDebugHub(actor, options.debugMode ?? false);
      // The tasks that read the children's channels live in a scope of their own, not the
      // owner's: effection halts a task's tasks when its body completes, before its scope's
      // destructors run, and the nursery's teardown must still hear from its children.
      let [scope, destroyScope] = createScope();
      let nursery = new ActorNursery(actor, scope, resolveOptions(options));
      // Destructors run last-registered first: close, then the children's scope, then the actor.
      owner.onDestroyed(() => destroyScope());
      owner.onDestroyed(() => nursery.close(owner.ending()));
      // In the owner's scope, so that a child's failure fails the owner at once; effection halts
      // it as soon as the owner's body has ended, which marks that moment (see owner.ts).
      owner.scope.run(() => nursery.watch(owner));
      nursery.startSpare();
      return nursery;
    },
  };
}

/**
 * Start an actor process. The root's children lead process groups of their own, which the
 * root's sentinel watches in case the root is killed (see spawn/process.ts).
 */
function startActorProcess(options: StartOptions): ChildHandle {
  return startProcess({ ...options, group: isChildActor() ? undefined : 'tree', captureBootStderr: true });
}

function sameEnv(a: NodeJS.ProcessEnv, b: NodeJS.ProcessEnv): boolean {
  let keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

class ActorNursery implements Nursery {
  private all = new Set<ChildActor>();
  private failures: Error[] = [];
  private firstFailure = withResolvers<Error>();
  private cancelling = false;
  private closing = false;
  private wake: (() => void) | undefined;
  private spare: ChildActor | undefined;
  /** The environment the spare was started with: it serves only while this process's is the same. */
  private spareEnv: NodeJS.ProcessEnv = {};
  private unlistenShutdown: () => void;
  private supervision: Supervision<ActorOptions> | undefined;

  constructor(private actor: Actor, private scope: Scope, private options: ResolvedNurseryOptions) {
    if (options.supervise) this.supervision = new Supervision(options.supervise, this.supervised());
    let unlistenShutdown = actor.onShutdown((hard) => (hard ? this.killAll() : this.cancelSoon()));
    let unlistenFailure = actor.onFailure((error) => this.failWith(error));
    this.unlistenShutdown = () => {
      unlistenShutdown();
      unlistenFailure();
    };
  }

  get children(): ChildInfo[] {
    return [...this.all].filter((child) => child.state === 'running').map((child) => ({ ...child.ref, pid: child.pid }));
  }

  *startActor(name: string, options: ActorOptions = {}): Operation<Portal> {
    if (typeof name !== 'string' || !name) throw new TypeError('startActor(name, options): name must be a non-empty string');
    if (options.init !== undefined && typeof options.init !== 'function') throw new TypeError(`startActor('${name}'): init must be a remote() function`);
    let child = this.supervision ? yield* this.supervision.start(name, options) : yield* this.startIncarnation(name, options, () => {});
    return createPortal(child.target(this.options));
  }

  portal(name: string): Portal {
    if (this.supervision) return this.supervision.portal(name);
    let current = () => [...this.all].reverse().find((child) => child.ref.name === name && child.kind === 'daemon');
    let found = current();
    if (!found) throw new TypeError(`nursery.portal('${name}'): this nursery has no daemon named '${name}'`);
    let ladder = this.options;
    let slot = { name, child: found as ChildActor | undefined };
    return followingPortal(slot, function* () {
      slot.child = current() ?? slot.child;
      return createPortal(slot.child!.target(ladder));
    }, ladder);
  }

  /** Start a daemon (`startActor`, or a supervisor's restart): spawn it, then run its `init`. */
  private *startIncarnation(name: string, options: ActorOptions, bind: (child: ChildActor) => void): Operation<ChildActor> {
    return yield* this.spawn(name, options, { bind, init: options.init });
  }

  /** Run a new daemon's `init` in it; its failure is the start's `ActorBootError`, and the child is killed. */
  private *runInit(child: ChildActor, init: RemoteFn): Operation<void> {
    try {
      yield* createPortal(child.target(this.options)).run(init);
    } catch (error) {
      let cause = error as Error;
      yield* child.stop({ ...this.options, hard: true, why: 'its init failed' });
      throw new ActorBootError(child.ref, `its init ${(init as Function).name || ''} failed: ${cause?.message ?? cause}`, { cause });
    }
  }

  /** What the supervisor uses of this nursery. */
  private supervised(): SupervisedNursery<ActorOptions> {
    let nursery = this;
    return {
      actor: this.actor,
      scope: this.scope,
      ladder: this.options,
      supervising: () => !nursery.closing && !nursery.cancelling,
      startIncarnation: (name, options, bind) => nursery.startIncarnation(name, options, bind),
      fail: (error) => nursery.failWith(error),
    };
  }

  *runInActor<F extends RemoteFn>(fn: F, args: Parameters<F> = [] as unknown as Parameters<F>, options: ActorOptions = {}) {
    if (typeof fn !== 'function') throw new TypeError('runInActor(fn, args, options): fn must be a remote() function');
    if (this.supervision) {
      throw new TypeError(`runInActor(${fn.name}): a supervising nursery restarts daemons; an actor that runs once has nothing to restart. Start it in a nursery without supervise, or make it a daemon with startActor`);
    }
    assertEncodable(args, 'args');
    let mark = markOf(fn);
    let main = { module: mark?.module ?? null, fn: mark?.name ?? fn.name, args: args as unknown[] };
    let child = yield* this.spawn(options.name ?? fn.name, options, { main });
    return createPortal<Returned<ReturnType<F>>>(child.target(this.options));
  }

  *cancel(options: { hard?: boolean } = {}): Operation<void> {
    yield* this.stopAll(options.hard ?? false, 'its nursery was cancelled (nursery.cancel())');
  }

  /**
   * Fails the owner's scope with the first child failure, while its body runs. A failure that
   * comes once the body has ended (while effection halts the scope's other tasks, before this
   * one) is raised by `close` with the others instead: thrown here, it would escape the scope.
   */
  *watch(owner: Owner): Operation<void> {
    try {
      let error = yield* this.firstFailure.operation;
      if (owner.bodyRunning()) throw error;
      yield* suspend();
    } finally {
      owner.markEnded();
    }
  }

  /** This actor is being cancelled: stop waiting for `runInActor` children. */
  cancelSoon(): void {
    this.cancelling = true;
    this.wake?.();
  }

  /** Kill every child at once (a second Ctrl-C at the root); their ladders see them exit. */
  killAll(): void {
    this.cancelSoon();
    for (let child of this.all) if (child.alive) child.handle.kill();
    this.spare?.handle.kill();
  }

  startSpare(): void {
    // Only the main thread keeps a spare. A process is reaped by the event loop that started it:
    // one started by a thread actor that is then terminated would stay a zombie until the
    // whole program exits.
    if (!this.options.spare || this.closing || this.spare || !isMainThread) return;
    let handle: ChildHandle;
    try {
      handle = startActorProcess({ execArgv: childExecArgv(), env: process.env });
    } catch (error) {
      this.actor.log.warn({ err: error }, 'could not start a spare process');
      return;
    }
    let spare = new ChildActor(handle, this.actor, this.scope);
    spare.onFinished = () => {
      if (this.spare === spare) this.spare = undefined;
    };
    this.spare = spare;
    this.spareEnv = { ...process.env };
  }

  /**
   * Start a child: its spec, a spare or a new process or thread (or one on another host), the
   * boot, then (a daemon) its `init`. The start is the caller's until it returns: one that fails
   * is the caller's error, one that is halted sends the child down its ladder.
   */
  private *spawn(name: string, options: ActorOptions, how: { main?: SpawnSpec['main']; bind?: (child: ChildActor) => void; init?: RemoteFn } = {}): Operation<ChildActor> {
    let { main, bind, init } = how;
    this.refuseWhenClosing(name);
    let enableModules = (options.enableModules ?? []).map((module) => resolveModule(moduleUrl(module)));
    if (main?.module && !enableModules.includes(main.module)) enableModules.push(main.module);
    let spec: SpawnSpec = {
      name,
      uid: newUid(),
      parent: { ...this.actor.ref, address: this.actor.address },
      treeDir: this.actor.treeDir,
      enableModules,
      loglevel: logLevel(options.loglevel ?? this.options.loglevel),
      ...(main ? { main } : {}),
      debug: { ...debugSettings(), mode: options.debugMode ?? this.options.debugMode ?? debugSettings().mode },
      ...(this.actor.registry.length > 0 ? { registry: this.actor.registry } : {}),
      ...(this.actor.childListen.length > 0 ? { listen: this.actor.childListen } : {}),
    };
    let typescript = typescriptFor(enableModules, options.execArgv);
    let child = options.host === undefined ? this.takeSpare(options, typescript) : undefined;
    // A spare is already started; a new child waits for a boot slot first.
    let release = child ? () => {} : yield* bootSlot();
    let outcome: 'started' | 'failed' | undefined;
    try {
      this.refuseWhenClosing(name);
      if (options.host !== undefined) {
        let handle = yield* startOnHost(this.actor, spec, { ...options, host: options.host }, typescript, options.bootTimeout ?? this.options.bootTimeout);
        // It may have begun to close while ssh connected (a supervisor's restarts run in the background).
        if (this.closing) handle.kill();
        this.refuseWhenClosing(name);
        child = new ChildActor(handle, this.actor, this.scope);
      }
      child ??= new ChildActor(this.startHandle(options, typescript), this.actor, this.scope);
      bind?.(child);
      child.onFinished = (finished) => this.finished(finished);
      child.onCancelRequested = (canceller) => this.cancelChild(child!, canceller);
      this.all.add(child);
      yield* child.start(spec, options.bootTimeout ?? this.options.bootTimeout);
      // A Node start-up is what the boot slots ration: not the init.
      release();
      this.actor.log.debug({ child: name, childUid: spec.uid, childPid: child.pid }, 'actor started');
      if ((options.spawn ?? 'process') === 'process') this.startSpare();
      if (init) yield* this.runInit(child, init);
      outcome = 'started';
    } catch (error) {
      outcome = 'failed';
      throw error;
    } finally {
      release();
      // Halted before it returned (its owner's scope ended, a race around it was lost): nobody
      // has its portal, yet its code may run already (its modules' top level, its init; even
      // its main function, which it starts as it posts 'ready', and 'ready' may have arrived
      // too). It goes down its ladder, as any child does, not straight to SIGKILL. One that
      // failed to start or init was killed then.
      if (outcome === undefined && child?.alive) this.stopInBackground(child, `its start was cancelled (actor '${name}')`);
    }
    return child;
  }

  /** A nursery that has begun to close starts no more children: its close has already listed those it stops. */
  private refuseWhenClosing(name: string): void {
    if (this.closing) throw new Error(`the nursery is closing; cannot start actor '${name}'`);
  }

  /** Another actor asked `child` to stop: it goes down its cancel ladder as if its portal's `cancelActor()` was called. */
  private cancelChild(child: ChildActor, canceller: string): void {
    this.stopInBackground(child, `actor ${canceller} cancelled it through a portal found in the registry`);
  }

  /** Send `child` down its cancel ladder in the children's scope, without waiting for it here (the nursery's close does). */
  private stopInBackground(child: ChildActor, why: string): void {
    let ladder = { cancelTimeout: this.options.cancelTimeout, killTimeout: this.options.killTimeout };
    this.scope.run(() => child.stop({ ...ladder, why }));
  }

  private takeSpare(options: ActorOptions, typescript: TypeScriptSupport | undefined): ChildActor | undefined {
    // A spare loads TypeScript as the tree does: not for an actor that needs it otherwise.
    let usable = (options.spawn ?? 'process') === 'process' && !options.env && !options.execArgv && typescript === typescriptSupport();
    let spare = this.spare;
    if (!usable || !spare || spare.state !== 'spare') return undefined;
    this.spare = undefined;
    if (!sameEnv(this.spareEnv, process.env)) {
      // Started before this process's environment changed: it would run with the old one.
      spare.handle.kill();
      return undefined;
    }
    return spare;
  }

  private startHandle(options: ActorOptions, typescript: TypeScriptSupport | undefined): ChildHandle {
    let env = options.env ? { ...process.env, ...options.env } : process.env;
    if (options.spawn === 'thread') return startThread({ execArgv: threadExecArgv(options.execArgv), env, typescript: typescript ?? null });
    if (options.spawn !== undefined && options.spawn !== 'process') {
      throw new TypeError(`spawn must be 'process' or 'thread', got ${JSON.stringify(options.spawn)}`);
    }
    return startActorProcess({ execArgv: childExecArgv(options.execArgv), env, typescript: typescript ?? null });
  }

  private finished(child: ChildActor): void {
    if (this.supervision?.exited(child)) {
      // Its slot holds the next incarnation: a long-lived supervisor does not keep every one.
      this.all.delete(child);
      this.wake?.();
      return;
    }
    if (child.outcome.status === 'failed') {
      this.actor.log.debug({ child: child.ref.name, err: child.outcome.error }, 'actor failed');
      this.failWith(child.outcome.error);
    }
    this.wake?.();
  }

  /** A failure of this nursery (a child's, or its actor's): the owner's scope fails at once. */
  private failWith(error: Error): void {
    this.failures.push(error);
    this.cancelling = true;
    this.supervision?.stop();
    // A supervisor that gives up in an actor fails that actor too, so that its own supervisor
    // (its parent's nursery) hears of it: supervision trees nest.
    if (error instanceof SupervisorError && isChildActor()) {
      this.actor.reportFailure(error);
      this.actor.shutdown();
    }
    if (!this.closing) this.firstFailure.resolve(error);
    this.wake?.();
  }

  /**
   * End of the owner's scope. `ending` says how its body ended: only a completed body waits
   * for its `runInActor` children.
   */
  *close(ending: Ending): Operation<void> {
    this.closing = true;
    this.supervision?.stop();
    // Waiting for the children is teardown: as everywhere in effection, a halt that arrives now
    // (effection's \`main\` halts its body's task once the body has returned) does not cut it
    // short. This actor being cancelled (its parent's request, its parent's death, SIGINT or
    // SIGTERM at the root) and a child's failure do.
    if (ending.kind === 'completed' && !this.actor.shuttingDown) yield* this.awaitRunChildren();
    this.unlistenShutdown();
    yield* this.stopAll(false, this.stopReason(ending));
    let failures = [...this.failures];
    if (ending.kind === 'failed' && failures.length > 0 && !failures.includes(ending.error as Error)) {
      failures.push(ending.error as Error);
    }
    if (failures.length > 1) throw new ActorGroupError(failures);
    if (failures.length === 1 && !(ending.kind === 'failed' && ending.error === failures[0])) throw failures[0];
  }

  private *awaitRunChildren(): Operation<void> {
    let pending = () => [...this.all].some((child) => child.kind === 'run' && child.alive);
    while (!this.cancelling && pending()) {
      yield* action<void>((resolve) => {
        this.wake = resolve;
        return () => {
          this.wake = undefined;
        };
      });
    }
  }

  /** Why the children are cancelled at the end of the owner's scope, for a child paused in the debugger. */
  private stopReason(ending: Ending): string {
    let failure = this.failures[0] ?? (ending.kind === 'failed' ? ending.error : undefined);
    if (failure) {
      let error = failure as { name?: string; type?: string; message?: string };
      return `its nursery is failing: ${error.type ?? error.name ?? 'Error'}: ${error.message ?? String(failure)}`;
    }
    let signal = isChildActor() ? undefined : lastInterrupt();
    if (signal) return `the program received ${signal}`;
    if (this.actor.shuttingDown) return `actor '${this.actor.name}', which started it, is being cancelled`;
    return "its nursery's scope ended";
  }

  private *stopAll(hard: boolean, why: string): Operation<void> {
    let ladder = { hard, why, cancelTimeout: this.options.cancelTimeout, killTimeout: this.options.killTimeout };
    let stopping = [...this.all].filter((child) => child.alive);
    if (this.closing && this.spare) {
      stopping.push(this.spare);
      this.spare = undefined;
    }
    if (stopping.length > 0) yield* all(stopping.map((child) => child.stop(ladder)));
  }
}
