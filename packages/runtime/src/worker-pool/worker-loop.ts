import { ModuleNotExposedError, type ActorRef } from '../base/errors.ts';
import { box } from '../base/boxing.ts';
import { TopLevelProgramError, importEnabled, importError } from '../base/modules.ts';
import { lookupRemote } from '../base/remote.ts';
import type { Link } from './link.ts';
import type { FromWorker, FunctionRef, ToWorker } from './messages.ts';

/** How long a leaving worker waits for its pool to close the link before it exits anyway. */
const LEAVE_GRACE_MS = 1000;

/** The longest delay `setTimeout` takes; a longer idle timeout is waited out in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where a worker's replies go. */
export interface Outbox {
  /** Throws like `Link.send`: the codec's `TypeError`, or a `TransportError` once closed. */
  send(message: FromWorker): void;
  readonly closed: boolean;
}

/**
 * What a runSync worker does with each message, whatever carries the messages: take the config,
 * then jobs one at a time: import the function's module (once), call it, send back its result
 * or its boxed error, then ask `retire`. A call whose module is already loaded runs at once,
 * with no promise in between: that is the hot path.
 */
export class JobRunner {
  /** Set once the worker has decided to go; it runs nothing more. */
  leaving = false;
  private modules = new Map<string, Promise<unknown>>();
  private served = 0;
  private timeout: number | null = null;
  private retire: Function | undefined;
  private quitting = false;

  private leavingCode: number | undefined;
  private leaveTimer: NodeJS.Timeout | undefined;

  /** `waitForClose`: a worker whose link tells it when the pool closed its end (see `leave`). */
  constructor(private outbox: Outbox, private self: ActorRef, private exit: (code: number) => void, private waitForClose = false) {}

  /**
   * How long to wait for the next job before leaving; null: no limit. A new worker waits for
   * its first job however short the timeout: it was started for one, already on its way.
   */
  get idleTimeout(): number | null {
    return this.served === 0 ? null : this.timeout;
  }

  /** Handle one message; returns a promise only when it must wait for an import first. */
  handle(message: ToWorker): Promise<void> | void {
    if (message.type === 'config') return this.configure(message);
    if (message.type === 'job') {
      let fn = lookupRemote(message.module, message.fn);
      if (fn) return this.run(message, fn);
      return this.load(message.module).then(() => this.run(message), (error) => {
        this.reply({ type: 'error', error: box(importError(message.module, error), this.self) });
        // That program runs on in this worker: it must serve nothing more.
        if (error instanceof TopLevelProgramError) this.leave('retired', 1);
      });
    }
    process.stderr.write(`harrow runSync worker ${this.self.uid}: unexpected message ${JSON.stringify((message as { type?: unknown }).type)}\n`);
    this.quit(1);
  }

  /**
   * Leave on our own: say so (a job that crosses this message is retried elsewhere), then exit.
   * A worker on a socket waits for the pool to close its end first (at most `LEAVE_GRACE_MS`):
   * exiting at once would make the pool's write of a crossing job fail (EPIPE) before it has
   * read the message that says to retry it elsewhere.
   */
  leave(reason: 'idle' | 'retired', code = 0): void {
    this.leaving = true;
    try {
      this.outbox.send({ type: 'leaving', reason });
    } catch {
      // the pool is gone already
    }
    if (!this.waitForClose) return this.quit(code);
    this.leavingCode = code;
    this.leaveTimer = setTimeout(() => this.quit(code), LEAVE_GRACE_MS);
  }

  /** Exit once, however many reasons arrive; a worker that is leaving exits with the code it chose. */
  quit(code: number): void {
    if (this.quitting) return;
    clearTimeout(this.leaveTimer);
    this.quitting = this.leaving = true;
    this.exit(this.leavingCode ?? code);
  }

  private configure(config: Extract<ToWorker, { type: 'config' }>): Promise<void> | void {
    this.timeout = config.idleTimeout;
    let { init, retire } = config;
    if (!init && !retire) return;
    let refs = [init, retire].filter((ref): ref is FunctionRef => ref !== null);
    return Promise.all(refs.map((ref) => this.load(ref.module))).then(() => {
      if (retire) this.retire = resolve(retire);
      if (init) expectSync(resolve(init)(), init.name);
    }).catch((error) => {
      // No job will run here: the call waiting for this worker gets a BrokenWorkerError.
      this.leaving = true;
      try {
        this.outbox.send({ type: 'init-failed', error: box(error, this.self) });
      } finally {
        this.quit(1);
      }
    });
  }

  private run(job: Extract<ToWorker, { type: 'job' }>, found?: Function): void {
    let message: FromWorker;
    try {
      let fn = found ?? resolve({ module: job.module, name: job.fn });
      message = { type: 'return', result: expectSync(fn(...job.args), job.fn) };
    } catch (error) {
      message = { type: 'error', error: box(error, this.self) };
    }
    this.reply(message);
  }

  /** Send a job's outcome, then let `retire` decide whether this worker goes on. */
  private reply(message: FromWorker): void {
    try {
      this.outbox.send(message);
    } catch (error) {
      if (this.outbox.closed) return; // the pool is gone; we are told next
      this.outbox.send({ type: 'unsendable', message: `the result cannot be sent back: ${(error as Error).message}` });
    }
    this.served++;
    if (!this.retire) return;
    let done: unknown;
    try {
      done = this.retire();
    } catch (error) {
      process.stderr.write(`harrow runSync worker ${this.self.uid}: retire() threw, so the worker retires: ${(error as Error)?.stack ?? error}\n`);
      this.leave('retired', 1);
      return;
    }
    if (done) this.leave('retired');
  }

  private load(module: string): Promise<unknown> {
    let loading = this.modules.get(module);
    if (!loading) this.modules.set(module, (loading = importEnabled(module, `runSync worker ${this.self.uid}`)));
    return loading;
  }
}

/**
 * Serve jobs as they arrive on an event-driven link (a process worker's socket): one at a time,
 * in order; leave after `idleTimeout` without one (the worker keeps this timer itself, so a
 * stuck parent cannot keep it forever), and when the link ends (the pool closed it, or its
 * process is gone, however it died).
 */
export function serveEvents(link: Link, runner: JobRunner): void {
  let queue: ToWorker[] = [];
  let busy = false;
  // One timer, checked lazily: re-arming a timer after every job would cost more than the job.
  let timer: NodeJS.Timeout | undefined;
  let idleSince = 0;

  let checkIdle = (): void => {
    timer = undefined;
    let idle = runner.idleTimeout;
    if (busy || runner.leaving || idle === null) return;
    let left = idleSince + idle - Date.now();
    if (left <= 0) runner.leave('idle');
    else timer = setTimeout(checkIdle, Math.min(left, MAX_TIMER_MS));
  };

  let drain = (): void => {
    while (!runner.leaving && queue.length > 0) {
      let pending = runner.handle(queue.shift()!);
      if (pending) {
        busy = true;
        void pending.then(afterImport);
        return;
      }
    }
    let idle = runner.idleTimeout;
    if (runner.leaving || idle === null) return;
    idleSince = Date.now();
    timer ??= setTimeout(checkIdle, Math.min(idle, MAX_TIMER_MS));
  };

  let afterImport = (): void => {
    busy = false;
    drain();
  };

  link.attach({
    message(message) {
      queue.push(message as ToWorker);
      if (!busy) drain();
    },
    end() {
      clearTimeout(timer);
      runner.quit(0);
    },
  });
  link.send({ type: 'ready' } satisfies FromWorker);
}

function resolve(ref: FunctionRef): Function {
  let fn = lookupRemote(ref.module, ref.name);
  if (!fn) throw new ModuleNotExposedError(`module ${ref.module} has no remote() function named "${ref.name}"`);
  return fn;
}

/** What a synchronous function returned; a promise or a generator means it was not one. */
function expectSync(value: unknown, name: string): unknown {
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as PromiseLike<unknown>).then === 'function') {
      // Nobody will await it: keep a rejection from ending the worker.
      (value as PromiseLike<unknown>).then(undefined, () => {});
      throw new TypeError(`runSync expected a synchronous function, but ${name} returned a promise; it appears to be asynchronous`);
    }
    if (typeof (value as Iterator<unknown>).next === 'function' && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function') {
      throw new TypeError(`runSync expected a synchronous function, but ${name} returned an iterator; it appears to be a generator (an operation)`);
    }
  }
  return value;
}
