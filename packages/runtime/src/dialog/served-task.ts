import { ensure, scoped, type Operation, type Scope, type Task } from 'effection';

/** How a served call's operation ended; `undefined` when it was halted before it could. */
export type ServedOutcome = { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;

/**
 * Run the operation of a served call as a task of `calls` (the actor's scope of served calls),
 * and give its outcome to `answer` from inside the task, after the call's own cleanup and after
 * everything it started has stopped. Answering from a promise callback instead would come a
 * microtask late: late enough for the actor's teardown to have closed the connection, and the
 * answer with it. The operation runs in `scoped()`, an error boundary, so that a failure raised
 * into it (a nursery it opened whose child failed) is thrown here like its own errors, and not
 * taken for a halt. An error thrown while a halted call cleans up is its outcome too.
 */
export function runServed(calls: Scope, operation: Operation<unknown>, answer: (outcome: ServedOutcome) => void): Task<void> {
  return calls.run(function* servedCall() {
    let outcome: ServedOutcome;
    // Registered first, so it runs last.
    yield* ensure(() => answer(outcome));
    try {
      outcome = { ok: true, value: yield* scoped(() => operation) };
    } catch (error) {
      outcome = { ok: false, error };
    }
  });
}
