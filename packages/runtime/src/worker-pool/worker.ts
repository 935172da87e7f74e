import { TransportError } from '@harrow/transport';
import { Ok, action, type Effect, type Operation, type Result } from 'effection';
import { BrokenWorkerError, type BoxedError } from '../base/errors.ts';
import { unbox } from '../base/boxing.ts';
import { WORKER_MAIN } from '../spawn/entries.ts';
import { childExecArgv, threadExecArgv } from '../spawn/exec-argv.ts';
import { typescriptFor } from '../spawn/typescript.ts';
import type { ChildHandle, Exit } from '../spawn/handle.ts';
import { startProcess } from '../spawn/process.ts';
import { startThread } from '../spawn/thread.ts';
import { wireLink, type Link } from './link.ts';
import { callEnded, callHalted, callStarted, type WaitedCall } from './waited-calls.ts';
import { threadLink } from './thread-link.ts';
import type { FromWorker, ToWorker } from './messages.ts';

/** `'process'`: crash isolation, killable at any point. `'thread'`: cheaper, but shares the process. */
export type WorkerType = 'process' | 'thread';

/** How long a worker that closed its connection may take to exit before it is killed. */
const EXIT_AFTER_EOF_MS = 1000;
/**
 * A worker is gone once its link has ended too: the operating system ends it right after the
 * exit, once everything the worker wrote before dying has been read (see child-actor.ts). Only
 * a link held open by something else is decided without its end, this long after the exit.
 */
const LINK_END_AFTER_EXIT_MS = 5_000;

/** A job's outcome, as the pool sees it. */
export type Reply =
  | { kind: 'return'; value: unknown }
  | { kind: 'error'; error: BoxedError }
  /** The result could not cross the codec. */
  | { kind: 'unsendable'; message: string }
  /** The worker died before replying. */
  | { kind: 'broken'; error: BrokenWorkerError }
  /** The worker had left (idle, retired) before it saw the job: run it on another. */
  | { kind: 'retry' };

type Job = Extract<ToWorker, { type: 'job' }>;
type Config = Extract<ToWorker, { type: 'config' }>;

let started = 0;

/**
 * One worker as its pool sees it: the process or thread, the link to it, and the one job it is
 * running. It is `usable` (may be given a job) until it says it is leaving or it dies; a dead
 * worker is `gone` once both its exit and the end of its link are known.
 */
export class PoolWorker {
  private threadLabel: string | undefined;
  /** Called once the worker is gone. */
  onGone: (worker: PoolWorker) => void = () => {};

  private handle: ChildHandle<Link>;
  private busy = false;
  private leaving = false;
  private booted = false;
  private gone = false;
  private linkEnded = false;
  private linkError: Error | undefined;
  private initError: Error | undefined;
  private fnName = '';
  private killOnCancel = false;
  /** The job in flight, where a halt of its caller would wait for it. */
  private waited: WaitedCall | undefined;
  /** Receives the reply (or the death) of the job in flight. */
  private settle: ((reply: Reply) => void) | undefined;
  private bootWaiters: (() => void)[] = [];
  private goneWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly type: WorkerType, config: Config, modules: string[]) {
    let typescript = typescriptFor(modules) ?? null;
    if (type === 'thread') {
      this.handle = startThread({ execArgv: threadExecArgv(), env: process.env, entry: WORKER_MAIN, typescript }, threadLink);
      this.threadLabel = `thread #${++started}`;
    } else {
      this.handle = startProcess({ execArgv: childExecArgv(), env: process.env, entry: WORKER_MAIN, group: 'worker', typescript }, wireLink);
    }
    this.handle.channel.attach({
      message: (message) => this.received(message as FromWorker),
      end: (error) => this.linkEnd(error),
    });
    this.handle.onExit((exit) => this.exited(exit));
    // Its caller holds the event loop open while it waits (keep-alive.ts); an idle worker must not.
    this.handle.keepAlive(false);
    // Queued before the worker even started: it reads this, then the job sent right after.
    this.handle.channel.send(config);
  }

  get pid(): number {
    return this.handle.pid;
  }

  /** For messages: `process 1234`, or `thread #3`. (A process started for a worker thread has its pid a moment after it starts.) */
  get label(): string {
    return this.threadLabel ?? `process ${this.handle.pid}`;
  }

  get usable(): boolean {
    return !this.gone && !this.leaving && !this.linkEnded && this.handle.exit === undefined;
  }

  /** Call `listener` once the worker's Node start-up is over (or it died trying). */
  whenBooted(listener: () => void): void {
    if (this.booted || this.gone) listener();
    else this.bootWaiters.push(listener);
  }

  /**
   * Run `job` and wait for its reply. A value the codec cannot carry is a `TypeError` here,
   * before anything is sent, and leaves the worker as it was.
   *
   * If the caller is halted while the job runs, its halt completes only once the worker is
   * done with the job: with `killOnCancel` the worker is killed at once and the halt waits for
   * its exit (it is reaped, never left behind); otherwise the job runs to its end and its
   * reply is dropped. Either way nothing outlives the halt.
   */
  *run(job: Job, killOnCancel: boolean): Operation<Reply> {
    try {
      this.handle.channel.send(job);
    } catch (error) {
      if (error instanceof TransportError) return { kind: 'retry' }; // it left, or died, while idle
      throw error;
    }
    this.busy = true;
    this.fnName = job.fn;
    this.killOnCancel = killOnCancel;
    if (!killOnCancel) this.waited = callStarted(() => this.handle.kill());
    return (yield this.reply) as Reply;
  }

  /** Ask the worker to exit (end of file on its link); kill it if it has not within `graceMs`. */
  *stop(graceMs: number): Operation<void> {
    if (this.gone) return;
    this.handle.channel.close();
    if (!(yield* this.goneWithin(graceMs))) {
      this.handle.kill();
      yield* this.goneWithin(Infinity);
    }
  }

  /** Close the link of a worker that was never given a job; it exits on its own. */
  dismiss(): void {
    this.leaving = true;
    this.handle.channel.close();
  }

  /*
   * Waiting for the reply is an effect of our own rather than an `action`, because of what
   * happens on a halt: effection asks the effect to exit, and the halt goes on only when the
   * effect says it has. An action's cleanup must say so at once; this one says so when the
   * worker is dead (killOnCancel) or done with the job. So the caller's scope cannot end while
   * its job still runs, with no task or `ensure` per call. One effect object per worker serves
   * all its calls (one at a time).
   */
  private readonly reply: Effect<Reply> = {
    description: 'runSync: waiting for a worker',
    enter: (resolve) => {
      this.settle = (reply) => resolve(Ok(reply));
      if (this.gone) this.finish();
      return (exited) => this.exitReply(exited);
    },
  };

  /** The caller's wait ends: at once if the reply is in, else (a halt) once the worker is done with the job. */
  private exitReply(exited: (result: Result<void>) => void): void {
    if (!this.settle) return exited(Ok());
    if (this.killOnCancel) {
      this.settle = () => {};
      this.handle.kill();
      this.whenGone(() => exited(Ok()));
    } else {
      // A second Ctrl-C kills the worker instead (waited-calls.ts).
      if (this.waited) callHalted(this.waited);
      this.settle = () => exited(Ok());
    }
  }

  private received(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        this.booted = true;
        return this.notifyBooted();
      case 'return':
        return this.settleWith({ kind: 'return', value: message.result });
      case 'error':
        return this.settleWith({ kind: 'error', error: message.error });
      case 'unsendable':
        return this.settleWith({ kind: 'unsendable', message: message.message });
      case 'init-failed':
        this.initError = unbox(message.error);
        return; // its exit follows
      case 'leaving':
        this.leaving = true;
        if (this.busy) this.settleWith({ kind: 'retry' });
        // It waits for this before it exits (worker-loop.ts, `leave`).
        this.handle.channel.close();
        return;
      default:
        this.linkError = new TransportError(`unexpected message from runSync worker ${this.label}`);
        this.handle.kill();
    }
  }

  private settleWith(reply: Reply): void {
    let settle = this.settle;
    this.settle = undefined;
    this.busy = false;
    if (this.waited) callEnded(this.waited);
    this.waited = undefined;
    settle?.(reply);
  }

  private linkEnd(error: Error | undefined): void {
    this.linkEnded = true;
    this.linkError ??= error;
    if (this.handle.exit) return this.finish();
    // A worker that closed its link without exiting cannot be used: give it a moment, then kill it.
    this.timer = setTimeout(() => this.handle.kill(), EXIT_AFTER_EOF_MS);
    this.timer.unref();
  }

  private exited(_exit: Exit): void {
    if (this.linkEnded) return this.finish();
    this.timer = setTimeout(() => this.finish(), LINK_END_AFTER_EXIT_MS);
    this.timer.unref();
  }

  private finish(): void {
    clearTimeout(this.timer);
    if (!this.gone) {
      this.gone = true;
      this.handle.channel.close();
      this.notifyBooted();
      this.onGone(this);
    }
    if (this.busy && this.settle) this.settleWith(this.leaving ? { kind: 'retry' } : { kind: 'broken', error: this.brokenError() });
    let waiters = this.goneWaiters;
    this.goneWaiters = [];
    for (let waiter of waiters) waiter();
  }

  private brokenError(): BrokenWorkerError {
    let exit = this.handle.exit ?? { code: null, signal: null };
    let context = this.initError ? 'failed in init' : this.booted ? `died during a call to ${this.fnName}` : 'died while starting';
    return new BrokenWorkerError(this.label, this.pid, exit.code, exit.signal, { context, cause: this.initError ?? this.linkError });
  }

  private notifyBooted(): void {
    let waiters = this.bootWaiters;
    this.bootWaiters = [];
    for (let waiter of waiters) waiter();
  }

  private whenGone(listener: () => void): void {
    if (this.gone) listener();
    else this.goneWaiters.push(listener);
  }

  private goneWithin(ms: number): Operation<boolean> {
    return action<boolean>((resolve) => {
      let done = () => resolve(true);
      this.whenGone(done);
      let timer = Number.isFinite(ms) ? setTimeout(() => resolve(false), ms) : undefined;
      return () => {
        clearTimeout(timer);
        this.goneWaiters = this.goneWaiters.filter((waiter) => waiter !== done);
      };
    });
  }
}
