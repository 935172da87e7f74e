import type { Operation } from 'effection';
import { isAsyncIterable, isIterator, isOperation, isThenable } from './shapes.ts';

/** What calling a remote function produced. */
export type Invocation =
  | { kind: 'value'; value: unknown }
  | { kind: 'promise'; promise: PromiseLike<unknown> }
  | { kind: 'operation'; operation: Operation<unknown> };

/**
 * Call `fn(...args)` and classify what it returned. A generator (an effection operation) is run
 * right here up to its first suspension: most calls that compute and return never suspend, and
 * those finish without the ~50 µs an effection task costs. One that does suspend is handed on,
 * as an operation that resumes exactly where it stopped, to run as a task. Throws what `fn`
 * throws before suspending.
 */
export function invoke(fn: Function, args: unknown[]): Invocation {
  let result: unknown = fn(...args);
  if (isIterator(result)) return runToFirstSuspension(result);
  if (isOperation(result)) return runToFirstSuspension(result[Symbol.iterator]());
  if (isThenable(result)) return { kind: 'promise', promise: result };
  if (isAsyncIterable(result)) {
    throw new TypeError(`${fn.name} returned a stream; call it with portal.openStreamFrom() instead of portal.run()`);
  }
  return { kind: 'value', value: result };
}

function runToFirstSuspension(iterator: Iterator<unknown, unknown, unknown>): Invocation {
  let first = iterator.next();
  if (first.done) return { kind: 'value', value: first.value };
  return { kind: 'operation', operation: resumeFrom(iterator, first) };
}

/** An operation whose first step is one already taken: it yields `first`, then continues `iterator`. */
function resumeFrom(iterator: Iterator<unknown, unknown, unknown>, first: IteratorResult<unknown, unknown>): Operation<unknown> {
  return {
    [Symbol.iterator]() {
      let started = false;
      let resumed: Iterator<any, unknown, unknown> = {
        next(value?: unknown) {
          if (!started) {
            started = true;
            return first;
          }
          return iterator.next(value);
        },
        return(value?: unknown) {
          started = true;
          return iterator.return ? iterator.return(value) : { done: true, value };
        },
        throw(error?: unknown) {
          started = true;
          if (iterator.throw) return iterator.throw(error);
          throw error;
        },
      };
      return resumed;
    },
  };
}
