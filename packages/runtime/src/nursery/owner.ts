import { Ok, createContext, useScope, type Coroutine, type Effect, type Operation, type Scope } from 'effection';

/*
 * A nursery must know how the scope that opened it ended: when its body completed, the
 * nursery waits for its `runInActor` children (API.md §2); when the body failed or was halted,
 * it cancels them at once. Effection 4 does not tell a resource why its scope ends, so this
 * file reads it from effection's own bookkeeping. It is the one place that depends on
 * effection internals, which is why effection is pinned to exactly 4.1.1:
 *
 * - the scope's error boundary (context "@effection/error-boundary", a `Trap`) records the
 *   body's error, or a child's error raised into it, before the scope's destructors run;
 * - a halt reaches the owning task as `unwind()` on its coroutine, which we observe, so a halt
 *   that arrives while the nursery is already waiting in teardown still cancels the children;
 * - a scope destructor (`scope.ensure`, present on every scope though not in the public type)
 *   runs after both of the above, whereas a resource is torn down before the body's outcome is
 *   recorded.
 */

interface Trap {
  outcome?: { exists: boolean; value?: { ok: boolean; error?: unknown } };
}

interface ScopeWithDestructors extends Scope {
  ensure(destructor: () => Operation<void>): () => void;
}

const ErrorBoundary = createContext<Trap>('@effection/error-boundary');

/** How the owner's body ended, as far as can be told while its scope is being destroyed. */
export type Ending = { kind: 'completed' } | { kind: 'failed'; error: unknown } | { kind: 'halted' };

/** The task and scope an operation was called from, and hooks into how they end. */
export interface Owner {
  readonly scope: Scope;
  /** How the body ended; meaningful in a destructor registered with `onDestroyed`. */
  ending(): Ending;
  /** Call `listener` when the owning task is halted or failed (possibly later than now). */
  onHalt(listener: () => void): () => void;
  /** Run `destructor` when the owner's scope is destroyed, after its tasks and resources. */
  onDestroyed(destructor: () => Operation<void>): void;
}

/** Capture the calling task's scope, error boundary and coroutine. */
export function* useOwner(): Operation<Owner> {
  let scope = (yield* useScope()) as ScopeWithDestructors;
  let trap = scope.get(ErrorBoundary);
  let routine = yield* useCoroutine();
  let hooks = unwindHooks(routine);
  return {
    scope,
    ending() {
      let outcome = trap?.outcome;
      if (outcome?.exists && outcome.value && !outcome.value.ok) return { kind: 'failed', error: outcome.value.error };
      if (hooks.unwound) return { kind: 'halted' };
      return { kind: 'completed' };
    },
    onHalt(listener) {
      hooks.listeners.add(listener);
      return () => hooks.listeners.delete(listener);
    },
    onDestroyed(destructor) {
      scope.ensure(destructor);
    },
  };
}

interface UnwindHooks {
  unwound: boolean;
  listeners: Set<() => void>;
}

const hooked = new WeakMap<Coroutine, UnwindHooks>();

function unwindHooks(routine: Coroutine): UnwindHooks {
  let hooks = hooked.get(routine);
  if (hooks) return hooks;
  let state: UnwindHooks = { unwound: false, listeners: new Set() };
  let unwind = routine.unwind;
  routine.unwind = function unwindObserved() {
    state.unwound = true;
    for (let listener of [...state.listeners]) listener();
    unwind.call(routine);
  };
  hooked.set(routine, state);
  return state;
}

function* useCoroutine(): Operation<Coroutine> {
  let effect: Effect<Coroutine> = {
    description: 'harrow: the calling coroutine',
    enter(resolve, routine) {
      resolve(Ok(routine));
      return (exited) => exited(Ok());
    },
  };
  return (yield effect) as Coroutine;
}
