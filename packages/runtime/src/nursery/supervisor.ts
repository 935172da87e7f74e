import { BrokenActorError } from '../base/errors.ts';
import type { ChildOutcome } from './child-actor.ts';

/** OTP's restart strategies: which children a failure restarts. */
export type StrategyKind = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/**
 * When a supervised actor is restarted (API.md §9): `'permanent'` after any exit, `'transient'`
 * only after a failure (not a normal exit: its process exiting with code 0 on its own), and
 * `'temporary'` never.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** The delay before a restart, so that a crash loop does not burn the machine. */
export interface Backoff {
  /** Before the first restart within `within`, in ms. Default 10. */
  initial?: number;
  /** The cap of the delay, which doubles with each restart within `within`. Default 1000. */
  max?: number;
  /** Up to this fraction of the delay is added or taken at random. Default 0.2. */
  jitter?: number;
}

/** Options of `oneForOne`, `oneForAll` and `restForOne`. */
export interface SupervisorOptions {
  /** More restarts than this within `within` ms fail the nursery with a `SupervisorError`. Default 3. */
  maxRestarts?: number;
  /** The window of `maxRestarts`, in ms. Default 5000. */
  within?: number;
  backoff?: Backoff;
}

/**
 * How a supervising nursery restarts its children: `openNursery({ supervise })`. Made by
 * `oneForOne`, `oneForAll` or `restForOne`.
 *
 * @example
 * ```ts
 * const nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 5, within: 10_000 }) });
 * ```
 */
export interface SupervisorStrategy {
  readonly kind: StrategyKind;
  readonly maxRestarts: number;
  readonly within: number;
  readonly backoff: Required<Backoff>;
}

function strategy(kind: StrategyKind, options: SupervisorOptions): SupervisorStrategy {
  let maxRestarts = options.maxRestarts ?? 3;
  let within = options.within ?? 5000;
  let backoff = { initial: 10, max: 1000, jitter: 0.2, ...options.backoff };
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new TypeError(`${kind}: maxRestarts must be an integer >= 0, got ${maxRestarts}`);
  if (!(within > 0)) throw new TypeError(`${kind}: within must be a number of ms > 0, got ${within}`);
  if (!(backoff.initial >= 0) || !(backoff.max >= backoff.initial) || !(backoff.jitter >= 0 && backoff.jitter <= 1)) {
    throw new TypeError(`${kind}: backoff must have 0 <= initial <= max and jitter in [0, 1], got ${JSON.stringify(options.backoff)}`);
  }
  return { kind, maxRestarts, within, backoff };
}

/**
 * Restart only the child that exited (OTP's `one_for_one`).
 *
 * @example
 * ```ts
 * const nursery = yield* openNursery({ supervise: oneForOne({ maxRestarts: 3, within: 5000 }) });
 * yield* nursery.startActor('worker', { enableModules: [jobs] });
 * ```
 */
export function oneForOne(options: SupervisorOptions = {}): SupervisorStrategy {
  return strategy('one-for-one', options);
}

/**
 * Restart every child when one exits: the others are cancelled first, then all are started
 * again in start order (OTP's `one_for_all`), for children that cannot run without each other.
 *
 * @example
 * ```ts
 * const nursery = yield* openNursery({ supervise: oneForAll() });
 * yield* nursery.startActor('db', { enableModules: [db] });
 * yield* nursery.startActor('cache', { enableModules: [cache] }); // restarted with db, and db with it
 * ```
 */
export function oneForAll(options: SupervisorOptions = {}): SupervisorStrategy {
  return strategy('one-for-all', options);
}

/**
 * Restart the child that exited and every child started after it, in start order (OTP's
 * `rest_for_one`), for children that depend on those started before them.
 *
 * @example
 * ```ts
 * const nursery = yield* openNursery({ supervise: restForOne() });
 * yield* nursery.startActor('db', { enableModules: [db] });
 * yield* nursery.startActor('api', { enableModules: [api] }); // restarted when db is, not the other way round
 * ```
 */
export function restForOne(options: SupervisorOptions = {}): SupervisorStrategy {
  return strategy('rest-for-one', options);
}

/** A daemon that exited with code 0 of its own accord: OTP's `normal` exit. */
export function isNormalExit(outcome: ChildOutcome): boolean {
  return outcome.status === 'failed' && outcome.error instanceof BrokenActorError && outcome.error.exitCode === 0 && outcome.error.signal === null;
}

/** Whether a child of restart type `type` that ended with `outcome` is started again. */
export function restarts(type: RestartType, outcome: ChildOutcome): boolean {
  if (outcome.status === 'cancelled' || outcome.status === 'running') return false;
  if (type === 'temporary') return false;
  return type === 'permanent' || !isNormalExit(outcome);
}

/** The restarts of one supervising nursery within its window: whether one more is allowed, and how long to wait first. */
export class Intensity {
  private times: number[] = [];

  constructor(private strategy: SupervisorStrategy) {}

  /** Count a restart now; false if it is one more than `maxRestarts` within `within`. */
  allow(now = Date.now()): boolean {
    this.times = this.times.filter((time) => now - time < this.strategy.within);
    this.times.push(now);
    return this.times.length <= this.strategy.maxRestarts;
  }

  /** The delay before the restart just counted: doubling with each restart in the window, capped, with jitter. */
  delay(): number {
    let { initial, max, jitter } = this.strategy.backoff;
    let base = Math.min(max, initial * 2 ** Math.max(0, this.times.length - 1));
    return Math.max(0, base * (1 + jitter * (2 * Math.random() - 1)));
  }
}
