import { assertEncodable } from '@harrow/transport';
import { action, all, ensure, resource, type Operation } from 'effection';
import { unbox } from '../base/boxing.ts';
import { bootSlot } from '../spawn/boot-slots.ts';
import { sentinel } from '../spawn/sentinel.ts';
import { WorkerCache } from './cache.ts';
import { holdEventLoop, releaseEventLoop } from './keep-alive.ts';
import { Limiter } from '../base/limiter.ts';
import type { ToWorker } from './messages.ts';
import { contextSettings, syncRemote, type ContextSettings, type WorkerContextOptions } from './options.ts';
import { PoolWorker, type Reply } from './worker.ts';
import type { RemoteFn } from '../base/remote.ts';

type Job = Extract<ToWorker, { type: 'job' }>;

/** Options of one `runSync` call. */
export interface RunSyncOptions {
  /**
   * What a halt of the caller does to a call that is running. `false` (default): the call runs
   * to its end, the halt waits for it, and its result is dropped. `true`: the worker is killed
   * at once (SIGKILL for a process, `terminate()` for a thread) and the halt completes as soon
   * as it has exited.
   */
  killOnCancel?: boolean;
}

/** What `ctx.statistics()` reports. */
export interface WorkerStatistics {
  /** Workers waiting for a job. */
  idleWorkers: number;
  /** Workers running a job (or starting up for one). */
  runningWorkers: number;
}

/** A pool of workers of its own, from `openWorkerContext`; `runSync` uses the default one. */
export interface WorkerContext {
  /**
   * Run the `remote()`-marked synchronous function `fn(...args)` in a worker of this context and
   * return its result. Arguments and result cross through the codec. Errors: what `fn` throws
   * arrives as a `RemoteActorError`; a worker that dies during the call is a `BrokenWorkerError`;
   * an argument the codec cannot carry is a `TypeError` before anything is sent, and a result
   * it cannot carry a `TypeError` too (the worker serves on). A function that was not
   * `remote()`-marked is a type error.
   */
  runSync<F extends RemoteFn>(fn: F, args?: Parameters<F>, options?: RunSyncOptions): Operation<ReturnType<F>>;
  /** How many workers are idle and how many are running a job, right now. */
  statistics(): WorkerStatistics;
}

/** How long `close` gives each idle worker to exit after its link is closed, before SIGKILL. */
const STOP_GRACE_MS = 1000;

/**
 * A worker context: LIFO cache of idle workers, a limiter on concurrent calls, and every worker
 * it started. Nothing here is an effection task: a call is the caller's own operation, and the
 * workers report through callbacks, so an idle context costs nothing.
 */
export class Pool implements WorkerContext {
  private cache = new WorkerCache<PoolWorker>();
  private workers = new Set<PoolWorker>();
  private limiter: Limiter;
  private running = 0;
  private closed = false;
  private idleWaiters = new Set<() => void>();
  /** Process workers are watched by this process's sentinel for as long as the context lasts. */
  private releaseSentinel: (() => Operation<void>) | undefined;

  constructor(private settings: ContextSettings) {
    this.limiter = new Limiter(settings.limit);
    if (settings.workerType === 'process') this.releaseSentinel = sentinel.use();
  }

  *runSync<F extends RemoteFn>(fn: F, args?: Parameters<F>, options: RunSyncOptions = {}): Operation<ReturnType<F>> {
    let { module, name } = syncRemote(fn, 'runSync(fn)');
    let list: unknown[] = args ?? [];
    if (!Array.isArray(list)) throw new TypeError(`runSync(fn, args): args must be an array, got ${typeof list}`);
    let job: Job = { type: 'job', module, fn: name, args: list };
    this.assertOpen();
    holdEventLoop();
    try {
      if (!this.limiter.tryAcquire()) yield* this.limiter.acquire();
      try {
        return (yield* this.call(job, options.killOnCancel === true)) as ReturnType<F>;
      } finally {
        this.limiter.release();
      }
    } finally {
      releaseEventLoop();
    }
  }

  /** Run `job` on the most recently used idle worker, or a new one; on another if that one had left. */
  private *call(job: Job, killOnCancel: boolean): Operation<unknown> {
    for (;;) {
      this.assertOpen();
      let worker = this.cache.pop();
      let fresh = worker === undefined;
      if (!worker) {
        // Checked here only when a worker must be started for it; a warm call's send checks anyway.
        assertEncodable(job.args, 'args');
        worker = yield* this.start(job.module);
      }
      let reply: Reply;
      this.running++;
      try {
        reply = yield* worker.run(job, killOnCancel);
      } catch (error) {
        // Nothing was sent; a new worker would wait for a first job forever.
        if (fresh) worker.dismiss();
        throw error;
      } finally {
        this.running--;
        if (worker.usable) this.cache.push(worker);
        this.wakeIdle();
      }
      switch (reply.kind) {
        case 'retry':
          continue;
        case 'return':
          return reply.value;
        case 'error':
          throw unbox(reply.error);
        case 'unsendable':
          throw new TypeError(reply.message);
        case 'broken':
          throw reply.error;
      }
    }
  }

  statistics(): WorkerStatistics {
    return { idleWorkers: this.cache.size, runningWorkers: this.running };
  }

  /**
   * End the context: refuse new calls, wait for the calls still running (trio-parallel's rule:
   * a context does not end under a job), then close every worker's link, killing any that has
   * not exited a second later, and wait until all have exited.
   */
  *close(): Operation<void> {
    this.closed = true;
    while (this.running > 0) {
      yield* action<void>((resolve) => {
        this.idleWaiters.add(resolve);
        return () => this.idleWaiters.delete(resolve);
      });
    }
    let workers = [...this.workers];
    if (workers.length > 0) yield* all(workers.map((worker) => worker.stop(STOP_GRACE_MS)));
    if (this.releaseSentinel) yield* this.releaseSentinel();
  }

  /** Start a worker for a job of `module` (which, with init's and retire's, says whether it needs TypeScript). */
  private *start(module: string): Operation<PoolWorker> {
    let release = yield* bootSlot();
    let worker: PoolWorker;
    try {
      this.assertOpen();
      let { init, retire } = this.settings.config;
      worker = new PoolWorker(this.settings.workerType, this.settings.config, [module, init?.module, retire?.module].filter((each) => each !== undefined));
    } catch (error) {
      release();
      throw error;
    }
    // A Node start-up is what the boot slots ration; init and the job run after it.
    worker.whenBooted(release);
    this.workers.add(worker);
    worker.onGone = (gone) => {
      this.workers.delete(gone);
      this.cache.remove(gone);
    };
    return worker;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('this worker context is closed: its scope has ended');
  }

  private wakeIdle(): void {
    if (this.running > 0) return;
    for (let waiter of [...this.idleWaiters]) waiter();
  }
}

/**
 * Open a worker context for as long as the current scope lasts: workers of its own, with its
 * own `idleTimeout`, `init`, `retire`, `workerType` and `limit`. When the scope ends, the
 * context waits for calls still running, then ends its workers and waits until they exited.
 *
 * @example
 * ```ts
 * let ctx = yield* openWorkerContext({ workerType: 'thread', limit: 4 });
 * let value = yield* ctx.runSync(fib, [30]);
 * ```
 */
export function openWorkerContext(options: WorkerContextOptions = {}): Operation<WorkerContext> {
  return resource(function* (provide) {
    let pool = new Pool(contextSettings(options));
    yield* ensure(() => pool.close());
    yield* provide({
      runSync: (fn, args, callOptions) => pool.runSync(fn, args, callOptions),
      statistics: () => pool.statistics(),
    });
  });
}
