/*
 * Type-level tests of the public API (issue 12, "Types a user can lean on"). This file is
 * type-checked by the root `tsc` (tsconfig.json includes packages/*\/test) and never run: its
 * name does not match vitest's `*.test.ts`. Every `@ts-expect-error` line must be an error,
 * and every `Expect<Equal<…>>` must hold, or the type-check fails.
 */
import type { Operation, Stream } from 'effection';
import {
  openWorkerContext,
  remote,
  runSync,
  type CallerContext,
  type Context,
  type ContextHandle,
  type MsgStream,
  type Nursery,
  type Portal,
  type Remote,
  type RemoteFn,
} from '../src/index.ts';

/** True when `A` and `B` are the same type (not merely assignable either way: `any` fails it). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

declare const portal: Portal;
declare const nursery: Nursery;

// Remote functions of every kind `remote()` takes.
const add = remote(import.meta, function* add(a: number, b: number) {
  return a + b;
});
const asyncAdd = remote(import.meta, async function asyncAdd(a: number, b: number) {
  return a + b;
});
const fib = remote(import.meta, function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
});
const counter = remote(import.meta, async function* counter(count: number) {
  for (let i = 0; i < count; i++) yield i;
  return 'counted';
});

// The same functions, not marked.
function* unmarkedAdd(a: number, b: number) {
  return a + b;
}
function unmarkedFib(n: number): number {
  return n;
}
async function* unmarkedCounter(count: number) {
  yield count;
}

// API.md §3's echo: `first` is inferred from what it passes to ctx.started().
const echo = remote(import.meta, function* echo(ctx: Context<string, string>, greeting: string) {
  yield* ctx.started(greeting.toUpperCase());
  const stream = yield* ctx.openStream();
  for (let next = yield* stream.next(); !next.done; next = yield* stream.next()) yield* stream.send(next.value);
  return 'bye';
});

// `first` written out in the Context type; an async context function.
const tally = remote(import.meta, async function tally(ctx: Context<number, string, { ready: true }>, label: string) {
  await Promise.resolve(label);
  return new Map<string, number>();
});

// started() without a value; a union of what it may pass; a context function that never starts.
const quiet = remote(import.meta, function* quiet(ctx: Context<number, never>) {
  yield* ctx.started();
  return 1;
});
const either = remote(import.meta, function* either(ctx: Context, flag: boolean) {
  if (flag) yield* ctx.started(1);
  else yield* ctx.started('one');
});

export function* portalRun(): Operation<void> {
  // Results are precise: an operation's, a promise's value.
  let sum = yield* portal.run(add, 1, 2);
  let asyncSum = yield* portal.run(asyncAdd, 1, 2);
  type _run = Expect<Equal<typeof sum, number>>;
  type _asyncRun = Expect<Equal<typeof asyncSum, number>>;

  // @ts-expect-error a function not marked with remote() is a type error
  yield* portal.run(unmarkedAdd, 1, 2);
  // @ts-expect-error a wrong argument type
  yield* portal.run(add, 1, '2');
  // @ts-expect-error a missing argument
  yield* portal.run(add, 1);
  // @ts-expect-error an argument too many
  yield* portal.run(add, 1, 2, 3);
  // @ts-expect-error a plain arrow function: it cannot be marked (it has no name) nor found by the actor
  yield* portal.run((a: number) => a, 1);
}

export function* runInActor(): Operation<void> {
  let child = yield* nursery.runInActor(add, [1, 2]);
  type _child = Expect<Equal<typeof child, Portal<number>>>;
  let result = yield* child.result();
  type _result = Expect<Equal<typeof result, number>>;

  // @ts-expect-error a function not marked with remote() is a type error
  yield* nursery.runInActor(unmarkedAdd, [1, 2]);
  // @ts-expect-error a wrong argument type
  yield* nursery.runInActor(add, [1, '2']);
}

export function* syncCalls(): Operation<void> {
  let value = yield* runSync(fib, [30]);
  type _value = Expect<Equal<typeof value, number>>;
  // @ts-expect-error a function not marked with remote() is a type error
  yield* runSync(unmarkedFib, [30]);
  // @ts-expect-error a wrong argument type
  yield* runSync(fib, ['30']);

  let workers = yield* openWorkerContext({ init: remote(import.meta, function warmUp() {}) });
  let fromContext = yield* workers.runSync(fib, [30]);
  type _fromContext = Expect<Equal<typeof fromContext, number>>;
  // @ts-expect-error a function not marked with remote() is a type error
  yield* workers.runSync(unmarkedFib, [30]);
  // @ts-expect-error init and retire are remote functions too
  yield* openWorkerContext({ retire: () => false });
}

export function* streams(): Operation<void> {
  let stream = portal.openStreamFrom(counter, 3);
  type _stream = Expect<Equal<typeof stream, Stream<number, string>>>;
  // @ts-expect-error a function not marked with remote() is a type error
  portal.openStreamFrom(unmarkedCounter, 3);
  // @ts-expect-error a wrong argument type
  portal.openStreamFrom(counter, '3');
}

export function* contexts(): Operation<void> {
  // API.md §3, as written there.
  const { ctx, first } = yield* portal.openContext(echo, 'hi');
  type _first = Expect<Equal<typeof first, string>>;
  type _ctx = Expect<Equal<typeof ctx, ContextHandle<string, string, string>>>;
  type _named = Expect<Equal<typeof ctx, CallerContext<typeof echo>>>;
  const stream = yield* ctx.openStream();
  type _msgs = Expect<Equal<typeof stream, MsgStream<string, string>>>;
  yield* stream.send('ping');
  // @ts-expect-error the caller sends what the context function receives: strings
  yield* stream.send(1);
  const reply = yield* stream.next();
  type _reply = Expect<Equal<typeof reply, IteratorResult<string, void>>>;
  yield* stream.close();
  const result = yield* ctx.result();
  type _result = Expect<Equal<typeof result, string>>;
  // @ts-expect-error started() is the context function's, not the caller's
  yield* ctx.started('x');

  // A written-out First; an async context function's result.
  const tallied = yield* portal.openContext(tally, 'votes');
  type _talliedFirst = Expect<Equal<typeof tallied.first, { ready: true }>>;
  type _talliedResult = Expect<Equal<ReturnType<typeof tallied.ctx.result>, Operation<Map<string, number>>>>;
  type _talliedStream = Expect<Equal<ReturnType<typeof tallied.ctx.openStream>, Operation<MsgStream<string, number>>>>;

  const quieted = yield* portal.openContext(quiet);
  type _quietFirst = Expect<Equal<typeof quieted.first, undefined>>;
  type _quietStream = Expect<Equal<ReturnType<typeof quieted.ctx.openStream>, Operation<MsgStream<never, number>>>>;
  const eithered = yield* portal.openContext(either, true);
  type _eitherFirst = Expect<Equal<typeof eithered.first, number | string>>;

  // @ts-expect-error a function not marked with remote() is a type error
  yield* portal.openContext(function* unmarkedEcho(ctx: Context<string, string>, greeting: string) {
    yield* ctx.started(greeting);
  }, 'hi');
  // @ts-expect-error a wrong argument type
  yield* portal.openContext(echo, 1);
  // @ts-expect-error the context is not an argument of the caller's
  yield* portal.openContext(echo, ctx, 'hi');
}

// The context function's side.
export const checkedStarted = remote(import.meta, function* checkedStarted(ctx: Context<string, number, number>) {
  // @ts-expect-error started() takes the First of the Context type
  yield* ctx.started('not a number');
  // @ts-expect-error started() must be given a value when First does not allow undefined
  yield* ctx.started();
  yield* ctx.started(1);
  const stream = yield* ctx.openStream();
  // @ts-expect-error the context function sends its Send type
  yield* stream.send(1);
  yield* stream.send('one');
  const next = yield* stream.next();
  type _next = Expect<Equal<typeof next, IteratorResult<number, void>>>;
  // @ts-expect-error result() is the caller's, not the context function's
  yield* ctx.result();
});

// A context that declares a narrower First may go where one that does not is expected.
function* sendAll(ctx: Context<string, number>, items: string[]): Operation<void> {
  const stream = yield* ctx.openStream();
  for (const item of items) yield* stream.send(item);
}
export const delegates = remote(import.meta, function* delegates(ctx: Context<string, number, number>) {
  yield* ctx.started(1);
  yield* sendAll(ctx, ['a', 'b']);
});

// A remote function that calls itself in another actor: in its own body its name is the
// function expression, without the mark; remote() of it again returns it, marked.
export const recurse = remote(import.meta, function* recurse(depth: number): Operation<number> {
  if (depth === 0) return 0;
  // @ts-expect-error in its own body, the function's name is not marked
  yield* portal.run(recurse, depth - 1);
  return 1 + (yield* portal.run(remote(import.meta, recurse), depth - 1));
});

// Generic helpers over remote functions.
export function* twice<F extends RemoteFn>(target: Portal, fn: F, ...args: Parameters<F>) {
  return [yield* target.run(fn, ...args), yield* target.run(fn, ...args)];
}
export function* useTwice(): Operation<void> {
  let sums = yield* twice(portal, add, 1, 2);
  type _sums = Expect<Equal<typeof sums, number[]>>;
  // @ts-expect-error a function not marked with remote() is a type error
  yield* twice(portal, unmarkedAdd, 1, 2);
  let marked: ((a: number, b: number) => Operation<number>) & Remote = add;
  // @ts-expect-error only remote() marks a function
  marked = unmarkedAdd;
}
