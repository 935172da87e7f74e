import type { Operation, Subscription } from 'effection';

/*
 * What a remote function returned, told apart by shape: harrow accepts operations (generators),
 * promises, async iterables and effection streams from the same `remote()` call sites.
 */

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** A generator object (or any iterator that is its own iterable): an effection operation in progress. */
export function isIterator(value: unknown): value is Iterator<unknown, unknown, unknown> & Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterator<unknown>).next === 'function' &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** An effection operation: iterable, and not one of the iterable data types a function may return. */
export function isOperation(value: unknown): value is Operation<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function' &&
    !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set) && !ArrayBuffer.isView(value);
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** An effection subscription: something with `next()` that is not itself iterable. */
export function isSubscription(value: unknown): value is Subscription<unknown, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Subscription<unknown, unknown>).next === 'function' &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function';
}
