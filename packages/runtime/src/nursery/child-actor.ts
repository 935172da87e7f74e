import { ProtocolError } from '@harrow/transport';
import { action, type Operation, type Scope } from 'effection';
import type { Actor } from '../actor/actor.ts';
import { ActorBootError, ActorCancelledError, BrokenActorError, type ActorRef } from '../base/errors.ts';
import { unbox } from '../base/boxing.ts';
import { Peer, type Dialog } from '../dialog/peer.ts';
import type { ActorMessage, DialogMessage, SpawnSpec } from '../dialog/protocol.ts';
import { serveCall } from '../dialog/serve.ts';
import { knockIfPaused } from '../actor/pause-door.ts';
import { debugSettings } from '../actor/debug-port.ts';
import type { ChildHandle, Exit } from '../spawn/handle.ts';
import type { CancelOptions, LadderTimeouts, PortalTarget } from './portal.ts';

/** How a child ended, from its nursery's point of view. */
export type ChildOutcome =
  | { status: 'running' }
  /** A `runInActor` child returned. */
  | { status: 'ok'; value: unknown }
  /** It raised, or died without being asked to. */
  | { status: 'failed'; error: Error }
  /** It exited because it was asked to. */
  | { status: 'cancelled' }
  /** It never became ready; its spawner got the `ActorBootError`. */
  | { status: 'boot-failed'; error: ActorBootError };

/**
 * A child's outcome is decided when its channel has ended: the operating system ends it right
 * after the exit (the socket pair's other end closes with the process, a thread's port with the
 * thread), once everything the child wrote before dying has been read. Only if something else
 * holds the other end (a descendant that inherited it) does it stay open: after this long it is
 * decided without the rest, and said so.
 */
const CHANNEL_END_AFTER_EXIT_MS = 5_000;

/**
 * A child closes its end of the channel just before it exits. One that has closed it and is
 * still running this long after has lost its lifeline too (it could not notice our death): it
 * is killed, and its calls in flight fail with why.
 */
const EXIT_AFTER_CHANNEL_END_MS = 1_000;

/**
 * A child actor as its spawner sees it: the process or thread, the connection to it, the spawn
 * handshake, how it ended, and the cancel ladder that ends it.
 */
export class ChildActor {
  ref: ActorRef = { name: '(spare)', uid: '' };
  kind: 'daemon' | 'run' = 'daemon';
  address = '';
  /** The hostname of the machine it runs on, as it reported when ready. */
  host = '';
  state: 'spare' | 'booting' | 'running' | 'exited' = 'spare';
  outcome: ChildOutcome = { status: 'running' };
  /** Told once the child has exited and its channel has delivered everything. */
  onFinished: (child: ChildActor) => void = () => {};
  /** Told when another actor asked this child to stop (through a portal found in the registry). */
  onCancelRequested: (canceller: string) => void = () => {};
  readonly peer: Peer;

  private stopRequested = false;
  private channelEnded = false;
  private channelError: Error | undefined;
  private main: { ok: true; value: unknown } | { ok: false; error: Error } | undefined;
  /** What the child reported when its own teardown failed. */
  private teardownError: Error | undefined;
  private boot: { resolve(): void; reject(error: Error): void } | undefined;
  private exitWaiters: (() => void)[] = [];
  private drainTimer: NodeJS.Timeout | undefined;
  private wedgeTimer: NodeJS.Timeout | undefined;

  constructor(readonly handle: ChildHandle, actor: Actor, scope: Scope) {
    this.peer = new Peer(handle.channel, {
      actor,
      parity: 0,
      serve: serveCall,
      control: (message) => this.control(message),
    });
    let child = this;
    scope.run(function* readChild() {
      let error = yield* child.peer.run();
      child.channelClosed(error);
    });
    handle.onExit((exit) => this.exited(exit));
  }

  get pid(): number {
    return this.handle.pid;
  }

  get alive(): boolean {
    return this.state !== 'exited';
  }

  /**
   * Send the spawn spec and wait until the child is ready. Fails with `ActorBootError` if the
   * child reports a boot failure, exits, or is not ready within `bootTimeout`; a child that
   * failed to boot is killed. If this operation is halted, the child is left as it is: the
   * caller stops it (its code may already run, and deserves its cleanups; see nursery.ts).
   */
  *start(spec: SpawnSpec, bootTimeout: number): Operation<void> {
    this.ref = { name: spec.name, uid: spec.uid };
    this.peer.remote = this.ref;
    this.kind = spec.main ? 'run' : 'daemon';
    this.state = 'booting';
    if (spec.main) this.peer.register(0, this.mainDialog());
    // A child already gone is reported by `finish` as the boot failure it is.
    if (this.peer.connected) this.peer.post({ type: 'spawn', spec });
    yield* action<void>((resolve, reject) => {
      let failed = false;
      this.boot = {
        resolve: () => {
          this.state = 'running';
          resolve();
        },
        reject: (error) => {
          failed = true;
          reject(error);
        },
      };
      if (this.handle.exit) this.finish();
      let timer = setTimeout(() => {
        this.boot?.reject(new ActorBootError(this.ref, `not ready within ${bootTimeout} ms (bootTimeout)`, { stderr: this.handle.stderrTail() }));
      }, bootTimeout);
      return () => {
        clearTimeout(timer);
        this.boot = undefined;
        if (this.state === 'booting' && failed) {
          this.stopRequested = true;
          this.handle.kill();
        }
      };
    });
  }

  /**
   * Ask the child to exit and wait until it has, escalating as API.md §5 describes. A spare has
   * no state to save and is killed at once.
   */
  *stop(options: { hard?: boolean; cancelTimeout: number; killTimeout: number; why?: string }): Operation<void> {
    if (this.state === 'exited') return;
    this.stopRequested = true;
    if (this.state !== 'spare' && !options.hard) {
      // Over a connection that is gone the request cannot go; a child that closed it is exiting.
      if (this.peer.connected) this.peer.post({ type: 'cancel-actor', canceller: this.peer.actor.uid });
      // A child paused in the debugger reads nothing until it is let go: tell it so. (Only a
      // tree with a terminal to debug in can have one.)
      if (debugSettings().hub) knockIfPaused(this.peer.actor.treeDir, this.ref.uid, options.why ?? 'it is being cancelled');
      // Its dialogs' cancellations, if any went unanswered just before, have used up its time.
      let exited = () => this.state === 'exited';
      yield* this.peer.awaitCancelConfirmation(options.cancelTimeout, (ms) => this.exitWithin(ms), exited);
      if (exited()) return;
      if (this.handle.terminate() && (yield* this.exitWithin(options.killTimeout))) return;
    }
    this.handle.kill();
    yield* this.exitWithin(Infinity);
  }

  /** What a portal on this child talks to (portal.ts), with its nursery's ladder timeouts. */
  target(ladder: LadderTimeouts): PortalTarget {
    let child = this;
    return {
      peer: this.peer,
      cancelTimeout: ladder.cancelTimeout,
      get actor() {
        return { name: child.ref.name, uid: child.ref.uid, pid: child.pid, address: child.address, host: child.host };
      },
      *result() {
        if (child.kind !== 'run') throw new TypeError(`actor '${child.ref.name}' was started with startActor; only runInActor actors have a result`);
        let outcome = yield* child.finished();
        switch (outcome.status) {
          case 'ok':
            return outcome.value;
          case 'failed':
          case 'boot-failed':
            throw outcome.error;
          default:
            throw new ActorCancelledError(child.ref, child.peer.actor.uid);
        }
      },
      *cancelActor(options: CancelOptions) {
        yield* child.stop({ ...ladder, hard: options.hard, why: 'portal.cancelActor() was called' });
      },
    };
  }

  /** Wait until the child has exited and its outcome is known. */
  *finished(): Operation<ChildOutcome> {
    yield* this.exitWithin(Infinity);
    return this.outcome;
  }

  private exitWithin(ms: number): Operation<boolean> {
    return action<boolean>((resolve) => {
      if (this.state === 'exited') {
        resolve(true);
        return () => {};
      }
      let done = () => resolve(true);
      this.exitWaiters.push(done);
      let timer = Number.isFinite(ms) ? setTimeout(() => resolve(false), ms) : undefined;
      return () => {
        clearTimeout(timer);
        this.exitWaiters = this.exitWaiters.filter((waiter) => waiter !== done);
      };
    });
  }

  private control(message: ActorMessage): void {
    switch (message.type) {
      case 'booted':
        return;
      case 'ready':
        this.address = message.address;
        this.host = message.host;
        this.boot?.resolve();
        return;
      case 'cancel-requested':
        if (this.state === 'running') this.onCancelRequested(message.canceller);
        return;
      case 'failed':
        this.teardownError = unbox(message.error);
        return;
      case 'boot-failed': {
        let cause = unbox(message.error);
        this.boot?.reject(new ActorBootError(this.ref, `${cause.type}: ${cause.message}`, { cause, stderr: this.handle.stderrTail() }));
        return;
      }
      default:
        throw new ProtocolError(`unexpected ${message.type} message from actor '${this.ref.name}'`);
    }
  }

  /** Receives the outcome of a `runInActor` child's main function (dialog 0). */
  private mainDialog(): Dialog {
    return {
      receive: (message: DialogMessage) => {
        if (message.type === 'return') this.main = { ok: true, value: message.value };
        if (message.type === 'error') this.main = { ok: false, error: unbox(message.error) };
        if (message.type === 'return' || message.type === 'error') this.peer.unregister(0);
      },
      broken: () => {},
    };
  }

  private channelClosed(error: Error | undefined): void {
    this.channelEnded = true;
    this.channelError = error;
    if (this.handle.exit) {
      this.finish();
    } else if (error) {
      // A child that sent garbage cannot be talked to: end it.
      this.handle.kill();
    } else {
      // A clean close: its exit follows, unless it is wedged (see EXIT_AFTER_CHANNEL_END_MS).
      this.wedgeTimer = setTimeout(() => {
        this.peer.actor.log.warn({ child: this.ref.name, childPid: this.pid }, 'a child that closed its channel did not exit; killing it');
        this.handle.kill();
      }, EXIT_AFTER_CHANNEL_END_MS);
    }
  }

  private exited(_exit: Exit): void {
    if (this.channelEnded) return this.finish();
    this.drainTimer = setTimeout(() => {
      this.peer.actor.log.warn({ child: this.ref.name, childPid: this.pid }, 'the channel of an exited child is still open; deciding its outcome without it');
      this.finish();
    }, CHANNEL_END_AFTER_EXIT_MS);
  }

  private finish(): void {
    if (this.state === 'exited') return;
    clearTimeout(this.drainTimer);
    clearTimeout(this.wedgeTimer);
    let exit = this.handle.exit ?? { code: null, signal: null };
    let wasBooting = this.state === 'booting' || this.state === 'spare';
    this.state = 'exited';
    let broken = new BrokenActorError(this.ref, exit.code, exit.signal);
    if (wasBooting) {
      let why = exit.signal ? `it was killed by ${exit.signal}` : `it exited with code ${exit.code}`;
      let error = new ActorBootError(this.ref, `${why} before it was ready`, {
        exitCode: exit.code,
        signal: exit.signal,
        cause: this.channelError,
        stderr: this.handle.stderrTail(),
      });
      this.outcome = { status: 'boot-failed', error };
      this.boot?.reject(error);
    } else if (this.main && !this.main.ok) {
      this.outcome = { status: 'failed', error: this.main.error };
    } else if (this.teardownError) {
      this.outcome = { status: 'failed', error: this.teardownError };
    } else if (this.main) {
      this.outcome = { status: 'ok', value: this.main.value };
    } else if (this.stopRequested) {
      this.outcome = { status: 'cancelled' };
    } else if (this.channelError instanceof ProtocolError) {
      this.outcome = { status: 'failed', error: this.channelError };
    } else {
      this.outcome = { status: 'failed', error: broken };
    }
    // The nursery records the outcome before anyone is woken: waking a waiter runs effection
    // code on the spot, which may be the nursery's own teardown reading its outcomes.
    this.onFinished(this);
    // Calls still in flight fail with why: its main function's failure, which ended it; our
    // own request to stop it; or how it died.
    let why = this.main && !this.main.ok ? this.main.error : this.stopRequested && !this.main ? new ActorCancelledError(this.ref, this.peer.actor.uid) : broken;
    this.peer.break(why);
    let waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (let waiter of waiters) waiter();
  }
}
