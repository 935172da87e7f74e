import { action, sleep, type Operation, type Scope, type Stream } from 'effection';
import type { Actor } from '../actor/actor.ts';
import { BrokenActorError, SupervisorError } from '../base/errors.ts';
import type { ChildActor } from './child-actor.ts';
import { createPortal, type LadderTimeouts, type Portal } from './portal.ts';
import { Intensity, isNormalExit, restarts, type RestartType, type SupervisorStrategy } from './supervisor.ts';

/** What supervision reads of a child's `startActor` options (nursery-options.ts's `ActorOptions`); the rest it passes back as they are. */
export interface SupervisedOptions {
  restart?: RestartType;
}

/** One supervised child across its incarnations: the `startActor` it re-runs, and where it is. */
interface Slot<O extends SupervisedOptions> {
  name: string;
  options: O;
  restart: RestartType;
  /** The current incarnation (the last one started), and the portal that reaches it. */
  child: ChildActor | undefined;
  portal: Portal | undefined;
  incarnation: number;
  state: 'starting' | 'running' | 'restarting' | 'gone';
  /** Told when `state` changes (a portal waiting for the next incarnation). */
  waiters: Set<() => void>;
}

/** What supervision needs of its nursery. */
export interface SupervisedNursery<O extends SupervisedOptions> {
  readonly actor: Actor;
  /** Where restarts run: the scope of the nursery's children. */
  readonly scope: Scope;
  readonly ladder: LadderTimeouts;
  /** Whether the nursery still runs its children (not closing, not failing): else exits are its own business. */
  supervising(): boolean;
  /** Start one incarnation of `name`: spawn (calling `bind` with the child as soon as it exists), then its `init`. */
  startIncarnation(name: string, options: O, bind: (child: ChildActor) => void): Operation<ChildActor>;
  /** Fail the nursery (with a `SupervisorError`). */
  fail(error: Error): void;
}

/**
 * The supervisor of a nursery (API.md §9, OTP's model): it restarts children that exit, as its
 * strategy says, with a back-off, and gives up with a `SupervisorError` past its intensity.
 * Children keep their names across incarnations; `portal(name)` follows the current one.
 */
export class Supervision<O extends SupervisedOptions> {
  private slots: Slot<O>[] = [];
  private slotOf = new Map<ChildActor, Slot<O>>();
  private intensity: Intensity;
  /** The failures that made children restart, the last `maxRestarts + 1` of them. */
  private failures: Error[] = [];

  constructor(private strategy: SupervisorStrategy, private nursery: SupervisedNursery<O>) {
    this.intensity = new Intensity(strategy);
  }

  /** The first incarnation of a supervised child: `startActor` under a supervisor. */
  *start(name: string, options: O): Operation<ChildActor> {
    if (this.slots.some((slot) => slot.name === name && slot.state !== 'gone')) {
      throw new TypeError(`startActor('${name}'): a supervising nursery names each child once, and '${name}' is one of its children already`);
    }
    let restart = options.restart ?? 'permanent';
    if (!['permanent', 'transient', 'temporary'].includes(restart)) {
      throw new TypeError(`startActor('${name}'): restart must be 'permanent', 'transient' or 'temporary', got ${JSON.stringify(restart)}`);
    }
    let slot: Slot<O> = { name, options, restart, child: undefined, portal: undefined, incarnation: 1, state: 'starting', waiters: new Set() };
    this.slots.push(slot);
    let started = false;
    try {
      yield* this.nursery.startIncarnation(name, options, (child) => this.bind(slot, child));
      started = true;
    } finally {
      // The first start is the caller's: it fails to them, or is halted with them, and nothing
      // is restarted; the name is free again.
      if (!started) this.slots = this.slots.filter((other) => other !== slot);
    }
    this.enter(slot, 'running');
    return slot.child!;
  }

  /**
   * A child of the nursery has exited. True if supervision took care of it (a supervised child,
   * restarted or let go as its restart type says): the nursery does not fail for it.
   */
  exited(child: ChildActor): boolean {
    let slot = this.slotOf.get(child);
    if (!slot) return false;
    this.slotOf.delete(child);
    // A nursery that no longer supervises (closing, failing) deals with its children's exits
    // as any nursery does.
    if (!this.nursery.supervising()) return false;
    // An incarnation that is not the running one is no news: a sibling stopped for a restart,
    // or one that failed to start (its start reports that itself).
    if (slot.child !== child || slot.state !== 'running') return true;
    let outcome = child.outcome;
    let failure = outcome.status === 'failed' || outcome.status === 'boot-failed' ? outcome.error : undefined;
    this.handle(slot, failure, isNormalExit(outcome), restarts(slot.restart, outcome));
    return true;
  }

  /** The portal of `name` that follows its incarnations (`nursery.portal(name)`). */
  portal(name: string): Portal {
    let slot = this.slots.find((candidate) => candidate.name === name && candidate.state !== 'gone') ?? this.slots.findLast((candidate) => candidate.name === name);
    if (!slot) throw new TypeError(`nursery.portal('${name}'): this nursery has no child named '${name}'`);
    return followingPortal(slot, () => this.current(slot), this.nursery.ladder);
  }

  /** The nursery stopped supervising: portals waiting for an incarnation hear that none comes. */
  stop(): void {
    for (let slot of this.slots) if (slot.state !== 'running') this.enter(slot, 'gone');
  }

  private bind(slot: Slot<O>, child: ChildActor): void {
    slot.child = child;
    slot.portal = createPortal(child.target(this.nursery.ladder));
    this.slotOf.set(child, slot);
  }

  private handle(slot: Slot<O>, failure: Error | undefined, normal: boolean, restart: boolean): void {
    let abnormal = failure !== undefined && !normal;
    if (abnormal) this.failures = [...this.failures, failure!].slice(-(this.strategy.maxRestarts + 1));
    let log = this.nursery.actor.log;
    if (!restart) {
      this.enter(slot, 'gone');
      if (abnormal) log.warn({ child: slot.name, incarnation: slot.incarnation, err: failure }, `a ${slot.restart} actor failed; it is not restarted`);
      return;
    }
    if (!this.intensity.allow()) {
      this.enter(slot, 'gone');
      this.nursery.fail(new SupervisorError(this.strategy.maxRestarts, this.strategy.within, [...this.failures]));
      return;
    }
    let reason = abnormal ? failure!.message : 'it exited normally';
    let affected = this.affectedBy(slot);
    for (let other of affected) this.enter(other, 'restarting');
    let delay = this.intensity.delay();
    let supervision = this;
    this.nursery.scope.run(function* restart() {
      // The others go first, the latest started first, as OTP stops them.
      for (let other of [...affected].reverse()) {
        if (other !== slot && other.child?.alive) {
          yield* other.child.stop({ ...supervision.nursery.ladder, why: `its sibling '${slot.name}' is restarted (${supervision.strategy.kind})` });
        }
      }
      yield* sleep(delay);
      for (let other of affected) {
        if (!supervision.nursery.supervising()) return;
        if (other !== slot && other.restart === 'temporary') {
          supervision.enter(other, 'gone');
          continue;
        }
        yield* supervision.restart(other, other === slot ? reason : `its sibling '${slot.name}' was restarted`);
      }
    });
  }

  /** The children a restart of `slot` takes with it: itself; every live one; or itself and those started after it. */
  private affectedBy(slot: Slot<O>): Slot<O>[] {
    let live = this.slots.filter((other) => other === slot || other.state === 'running');
    switch (this.strategy.kind) {
      case 'one-for-one':
        return [slot];
      case 'one-for-all':
        return live;
      case 'rest-for-one':
        return live.slice(live.indexOf(slot));
    }
  }

  private *restart(slot: Slot<O>, reason: string): Operation<void> {
    slot.incarnation++;
    this.nursery.actor.log.warn({ child: slot.name, incarnation: slot.incarnation, reason, strategy: this.strategy.kind }, `restarting actor '${slot.name}'`);
    try {
      yield* this.nursery.startIncarnation(slot.name, slot.options, (child) => this.bind(slot, child));
    } catch (error) {
      // It could not start (boot, or its init): a failure like any other, under the same intensity.
      this.enter(slot, 'running');
      this.handle(slot, error as Error, false, slot.restart !== 'temporary');
      return;
    }
    this.enter(slot, 'running');
  }

  private enter(slot: Slot<O>, state: Slot<O>['state']): void {
    slot.state = state;
    let waiters = [...slot.waiters];
    slot.waiters.clear();
    for (let waiter of waiters) waiter();
  }

  /** The current incarnation once it is running (waiting through a restart); a slot that is gone fails. */
  private *current(slot: Slot<O>): Operation<Portal> {
    while (slot.state === 'starting' || slot.state === 'restarting') {
      yield* action<void>((resolve) => {
        slot.waiters.add(resolve);
        return () => slot.waiters.delete(resolve);
      });
    }
    let child = slot.child!;
    if (slot.state === 'gone') {
      throw new BrokenActorError(child.ref, child.handle.exit?.code ?? null, child.handle.exit?.signal ?? null, `is gone, and its supervisor does not start it again (restart: ${slot.restart})`);
    }
    return slot.portal!;
  }
}

/** A portal that reaches whichever incarnation `current` gives at each call. */
export function followingPortal(slot: { name: string; child: ChildActor | undefined }, current: () => Operation<Portal>, ladder: LadderTimeouts): Portal {
  return {
    get actor() {
      let child = slot.child!;
      return child.target(ladder).actor;
    },
    *run(fn, ...args) {
      return yield* (yield* current()).run(fn, ...args);
    },
    *result() {
      throw new TypeError(`nursery.portal('${slot.name}') follows a daemon's incarnations; only a runInActor portal has a result`);
    },
    *cancelActor(options) {
      yield* (yield* current()).cancelActor(options);
    },
    openStreamFrom(fn, ...args) {
      return {
        *[Symbol.iterator]() {
          return yield* (yield* current()).openStreamFrom(fn, ...args);
        },
      } as Stream<never, never>;
    },
    *openContext(fn, ...args) {
      return yield* (yield* current()).openContext(fn, ...args);
    },
  };
}
