import { Ok, createContext, useScope, type Coroutine, type Effect, type Operation, type Scope } from 'effection';

/*
 * How the body that opened a nursery ended. When it completed, the nursery waits for its
 * `runInActor` children (API.md §2); when it failed or was halted, the nursery cancels them at
 * once. Effection 4.1 does not tell a resource this: it is halted the same way whether its
 * scope's body returned, threw or was halted, and no public value records which. So this is the
 * one file of the runtime that reads effection's internals; test/owner.test.ts pins each fact
 * below for every way a body can end (main, scoped, spawn, a remote function, a caught all(), a
 * halt, a failure), and docs/internals.md says what was tried first and why it fails.
 *
 * - Failed: the body's error boundary (the context "@effection/error-boundary", a `Trap`)
 *   records an `Err` outcome when the body throws or a child's error is raised into it, before
 *   the scope's destructors run (`scope.ensure`, on every scope though not in its public type).
 *   Its `Ok` means nothing: after a halt, effection's own teardown (effection#1190) records `Ok`
 *   too.
 * - Halted: a halt reaches the body's coroutine as `unwind()` (a member of the public
 *   `Coroutine` type), which is observed here. An error raised into a boundary of the same
 *   coroutine (an `all()` that fails) unwinds it too, but with an `Err` just recorded in the
 *   coroutine's current boundary: that is not a halt, and the body may catch it and go on.
 * - Before or after: only a halt that came before the body ended counts. A halt that comes
 *   while a completed body's nursery waits in teardown must not turn that wait into a
 *   cancellation (elsewhere in effection, too, a halt does not interrupt teardown). The nursery
 *   marks the end of the body when its own task in the owner's scope is halted (`markEnded`):
 *   effection does that right after the body returned, threw or unwound.
 * - Running: the boundary records no outcome until the body returns or throws (`all()` and
 *   `race()` in the body install boundaries of their own, which record theirs), and a halt is
 *   observed as above. Right after the body ends effection puts back the boundary outside it,
 *   before it halts the scope's tasks.
 * - `main`: when its body returns, `main` calls `exit(0)`, which halts the task the body ran in
 *   before that task's teardown reaches the nursery. So where the owner's scope is the one
 *   `main` gave its `exit` to (the context "exit"), the function `exit()` calls is wrapped, and
 *   a halt that follows `exit(0)` is the body's completion. Ctrl-C does not go through it
 *   (`main` resolves its exit directly), and stays a halt.
 */

interface Trap {
  outcome?: { exists: boolean; value?: { ok: boolean; error?: unknown } };
}

interface ScopeWithDestructors extends Scope {
  ensure(destructor: () => Operation<void>): () => void;
}

const ErrorBoundary = createContext<Trap>('@effection/error-boundary');

type Escape = (result: { status: number; message?: string }) => Operation<void>;

const MainExit = createContext<Escape>('exit');

/** How the owner's body ended. */
export type Ending = { kind: 'completed' } | { kind: 'failed'; error: unknown } | { kind: 'halted' };

/** The scope an operation was called from, and how its body ended. */
export interface Owner {
  readonly scope: Scope;
  /** Mark the end of the body: call when a task of the owner's scope is halted at its end. */
  markEnded(): void;
  /** How the body ended; known in a destructor registered with `onDestroyed`. */
  ending(): Ending;
  /**
   * Whether the body is still running: it has not returned, thrown or been halted. Once it has
   * ended, a task of the owner's scope that fails raises into the boundary outside it, past the
   * caller's try/catch (effection 4.1), so the nursery must not fail that way any more.
   */
  bodyRunning(): boolean;
  /** Run `destructor` when the owner's scope is destroyed: after its body, its tasks and its resources. */
  onDestroyed(destructor: () => Operation<void>): void;
}

/** Capture the calling body's scope, error boundary and coroutine. */
export function* useOwner(): Operation<Owner> {
  let scope = (yield* useScope()) as ScopeWithDestructors;
  let trap = scope.get(ErrorBoundary);
  if (typeof scope.ensure !== 'function' || !trap || !('outcome' in trap)) {
    throw new Error('harrow: this effection is not a version harrow supports (~4.1): its scopes have no error boundary to read');
  }
  let routine = yield* useCoroutine();
  let halts = haltsOf(routine);
  if (scope.hasOwn(MainExit)) observeExit(scope, halts);
  let haltedBeforeEnd: boolean | undefined;
  return {
    scope,
    markEnded() {
      haltedBeforeEnd ??= halts.halted;
    },
    ending() {
      let outcome = trap.outcome;
      if (outcome?.exists && outcome.value && !outcome.value.ok) return { kind: 'failed', error: outcome.value.error };
      return (haltedBeforeEnd ?? halts.halted) ? { kind: 'halted' } : { kind: 'completed' };
    },
    onDestroyed(destructor) {
      scope.ensure(destructor);
    },
    bodyRunning: () => !trap.outcome?.exists && !halts.halted,
  };
}

interface Halts {
  halted: boolean;
  /** The body called `exit(0)` (as `main` does when its body returns): the halt that follows is no cancellation. */
  exiting: boolean;
}

const observed = new WeakMap<Coroutine, Halts>();

function haltsOf(routine: Coroutine): Halts {
  let known = observed.get(routine);
  if (known) return known;
  let halts: Halts = { halted: false, exiting: false };
  let unwind = routine.unwind;
  routine.unwind = function unwindObserved() {
    let boundary = routine.scope.get(ErrorBoundary);
    let raised = boundary?.outcome?.exists && boundary.outcome.value && !boundary.outcome.value.ok;
    if (!raised && !halts.exiting) halts.halted = true;
    unwind.call(routine);
  };
  observed.set(routine, halts);
  return halts;
}

const wrapped = new WeakSet<Escape>();

function observeExit(scope: Scope, halts: Halts): void {
  let escape = scope.get(MainExit);
  if (typeof escape !== 'function' || wrapped.has(escape)) return;
  let observing: Escape = (result) => ({
    *[Symbol.iterator]() {
      if (result?.status === 0) halts.exiting = true;
      return yield* escape(result);
    },
  });
  wrapped.add(observing);
  scope.set(MainExit, observing);
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
