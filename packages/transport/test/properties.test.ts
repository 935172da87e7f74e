/*
 * Property-based tests of the codec and the framing, with fast-check.
 *
 * Case counts: every property here runs RUNS cases, 10,000 by default, except the round trip of
 * deeply nested values (DEEP_RUNS, a tenth of RUNS: each case walks 50 to 200 levels). Set
 * HARROW_FUZZ_RUNS=<n> to run n cases instead (HARROW_FUZZ_RUNS=200000 for a long local fuzz;
 * packages/runtime/test/protocol-properties.test.ts reads it too). Seeds are random: on a
 * failure fast-check prints the seed and the shrunk counterexample's path;
 * HARROW_FUZZ_SEED=<seed> (with HARROW_FUZZ_PATH=<path>) replays exactly that case.
 *
 * What the codec carries but does not give back exactly, as its doc says (as msgpack and JSON):
 * - `-0` arrives as `0` (msgpack writes it as the integer 0); tolerated below, and only that.
 * - A hole in a sparse array arrives as an `undefined` item; tolerated below, and only that.
 * - A string is UTF-8 on the wire: a lone surrogate arrives as U+FFFD (its own property below);
 *   elsewhere strings are generated well-formed.
 * What it refuses with a `TypeError` naming the path, besides functions, symbols, class
 * instances and cycles: an own property named `__proto__` (msgpack readers rename or drop it)
 * and a value nested deeper than MAX_DEPTH (512): both have properties of their own below.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeScratch } from '../src/codec.ts';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, HEADER_BYTES, MAX_DEPTH, ProtocolError, assertEncodable, decode, encode, frameAll, frameHeader } from '../src/index.ts';

const RUNS = positiveInteger(process.env.HARROW_FUZZ_RUNS) ?? 10_000;
/** For the one property whose every case walks a value 50 to 200 containers deep, several times over. */
const DEEP_RUNS = Math.max(1, Math.round(RUNS / 10));

function positiveInteger(text: string | undefined): number | undefined {
  let value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** fast-check parameters: RUNS cases (or `runs`), a random seed unless HARROW_FUZZ_SEED replays one. */
function params(runs = RUNS): fc.Parameters<unknown> {
  let seed = process.env.HARROW_FUZZ_SEED;
  let replay = seed === undefined ? {} : { seed: Number(seed), path: process.env.HARROW_FUZZ_PATH };
  return { numRuns: runs, ...replay };
}

/** Long enough for 10,000 cases of the slower properties on a busy 2-core machine, scaled with RUNS. */
const TIMEOUT = 60_000 * Math.max(1, RUNS / 10_000);

// ---------------------------------------------------------------------------------------------
// What the codec carries

/** A string with its lone surrogates replaced by U+FFFD (lone surrogates are not carried intact). */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Any UTF-16 code units, then made well-formed: surrogate pairs appear, lone halves do not. */
const codeUnitString = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength }).map(wellFormed);

/** Lengths across msgpack's str 8/16/32 and msgpackr's short, long and native string paths; rarely long ones. */
const stringLengths = fc.oneof(
  { arbitrary: fc.integer({ min: 15, max: 300 }), weight: 20 },
  { arbitrary: fc.constantFrom(15, 16, 31, 32, 63, 64, 65, 139, 140, 255, 256, 257), weight: 20 },
  { arbitrary: fc.constantFrom(65_535, 65_536, 65_537), weight: 1 },
);

const strings: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string(), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 80 }), weight: 2 },
  { arbitrary: codeUnitString(40), weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom('a', 'é', '😀', '\u0000'), stringLengths).map(([unit, n]) => unit.repeat(n)), weight: 1 },
);

/** Property keys, including the awkward ones; never `__proto__` (renamed on reading, reported). */
const keys: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ maxLength: 12 }),
    codeUnitString(12),
    fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto_', 'length', 'then', '0', '1', '-1', '1.5', '4294967295', '', 'not an id', 'a.b', '$x', '_'),
  )
  .filter((key) => key !== '__proto__');

const numbers: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64, 0.1, 1e21),
);

const bigints: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), weight: 8 },
  { arbitrary: fc.bigInt(), weight: 2 },
  { arbitrary: fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n)), weight: 2 },
  { arbitrary: fc.bigInt({ min: -(2n ** 5000n), max: 2n ** 5000n }), weight: 1 },
);

/** A view on part of a larger buffer (so the codec must send the view's bytes, not the buffer's). */
function viewOf<T extends ArrayBufferView>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, size: number): fc.Arbitrary<T> {
  return fc
    .tuple(fc.uint8Array({ minLength: 8 * size, maxLength: 8 * size }), fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 0, max: size - 1 }))
    .map(([bytes, a, b]) => make(bytes.buffer, Math.min(a, b), Math.abs(a - b)));
}

const typedArrays: fc.Arbitrary<ArrayBufferView> = fc.oneof(
  fc.uint8Array({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)), // small Buffers sit at an offset in Node's pool
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).subarray(1)),
  fc.int8Array({ maxLength: 10 }),
  fc.uint8ClampedArray({ maxLength: 10 }),
  fc.int16Array({ maxLength: 10 }),
  fc.uint16Array({ maxLength: 10 }),
  fc.int32Array({ maxLength: 10 }),
  fc.uint32Array({ maxLength: 10 }),
  fc.float32Array({ maxLength: 10 }),
  fc.float64Array({ maxLength: 10 }),
  fc.bigInt64Array({ maxLength: 6 }),
  fc.bigUint64Array({ maxLength: 6 }),
  viewOf((buffer, offset, length) => new Uint8Array(buffer, offset * 8, length * 8), 6),
  viewOf((buffer, offset, length) => new Uint16Array(buffer, offset * 8, length * 4), 6),
  viewOf((buffer, offset, length) => new Float64Array(buffer, offset * 8, length), 6),
  viewOf((buffer, offset, length) => new BigInt64Array(buffer, offset * 8, length), 6),
);

const leaves: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(undefined, null, true, false), weight: 2 },
  { arbitrary: numbers, weight: 3 },
  { arbitrary: strings, weight: 3 },
  { arbitrary: bigints, weight: 1 },
  { arbitrary: fc.date({ noInvalidDate: false }), weight: 1 },
  { arbitrary: typedArrays, weight: 1 },
);

/** Any value the codec carries: leaves, arrays (sparse too), plain and null-prototype objects, Maps and Sets, nested. */
const { value: codecValue, container: codecContainer } = fc.letrec<{ value: unknown; container: object }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, { arbitrary: leaves, weight: 2 }, { arbitrary: tie('container'), weight: 3 }),
  container: fc.oneof(
    fc.array(tie('value'), { maxLength: 4 }),
    fc.sparseArray(tie('value'), { maxLength: 4 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 4 }), // half of them with a null prototype
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
  ),
}));

/** Cheaper values, one level of containers at most: for properties about frames, not about the codec. */
const frameValue: fc.Arbitrary<unknown> = fc.oneof(
  leaves,
  fc.array(leaves, { maxLength: 3 }),
  fc.dictionary(keys, leaves, { maxKeys: 3 }),
  fc.array(fc.tuple(leaves, leaves), { maxLength: 2 }).map((entries) => new Map(entries)),
  fc.array(leaves, { maxLength: 2 }).map((items) => new Set(items)),
);

/**
 * Where `got` (what arrived) differs from what the codec promises for `sent`, or undefined.
 * `tolerant` allows exactly the two reported deviations: `-0` arriving as `0`, and a hole in a
 * sparse array arriving as `undefined`; without it the two must be identical in kind and value.
 */
function difference(got: unknown, sent: unknown, tolerant: boolean, path = 'value'): string | undefined {
  let at = (what: string) => `${path}: ${what}`;
  if (typeof sent !== 'object' || sent === null) {
    if (Object.is(got, sent)) return undefined;
    if (tolerant && Object.is(sent, -0) && Object.is(got, 0)) return undefined;
    return at(`sent ${show(sent)}, got ${show(got)}`);
  }
  if (typeof got !== 'object' || got === null) return at(`sent an object, got ${show(got)}`);
  let proto = Object.getPrototypeOf(sent);
  if (proto === Array.prototype) {
    let array = sent as unknown[];
    if (Object.getPrototypeOf(got) !== Array.prototype) return at('sent an array, got something else');
    let back = got as unknown[];
    if (back.length !== array.length) return at(`sent ${array.length} items, got ${back.length}`);
    for (let i = 0; i < array.length; i++) {
      if (!(i in array)) {
        if (tolerant ? back[i] === undefined : !(i in back)) continue;
        return at(`sent a hole at [${i}], got ${show(back[i])}`);
      }
      if (!(i in back)) return at(`got a hole at [${i}]`);
      let problem = difference(back[i], array[i], tolerant, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (proto === Object.prototype || proto === null) {
    if (Object.getPrototypeOf(got) !== Object.prototype) return at('sent a plain object, got something else');
    let sentKeys = Object.keys(sent);
    let gotKeys = Object.keys(got);
    if (JSON.stringify(gotKeys) !== JSON.stringify(sentKeys)) return at(`sent keys ${show(sentKeys)}, got ${show(gotKeys)}`);
    for (let key of sentKeys) {
      let problem = difference((got as Record<string, unknown>)[key], (sent as Record<string, unknown>)[key], tolerant, `${path}[${JSON.stringify(key)}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (proto === Map.prototype || proto === Set.prototype) {
    if (Object.getPrototypeOf(got) !== proto) return at(`sent a ${proto === Map.prototype ? 'Map' : 'Set'}, got something else`);
    let sentItems = [...(sent as Map<unknown, unknown> | Set<unknown>)];
    let gotItems = [...(got as Map<unknown, unknown> | Set<unknown>)];
    if (gotItems.length !== sentItems.length) return at(`sent ${sentItems.length} entries, got ${gotItems.length}`);
    // Entries in insertion order; a Map's entries are [key, value] arrays, compared as such.
    for (let i = 0; i < sentItems.length; i++) {
      let problem = difference(gotItems[i], sentItems[i], tolerant, `${path}.entries()[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (proto === Date.prototype) {
    if (Object.getPrototypeOf(got) !== Date.prototype) return at('sent a Date, got something else');
    let [a, b] = [(got as Date).getTime(), (sent as Date).getTime()];
    return Object.is(a, b) ? undefined : at(`sent the Date ${b}, got ${a}`);
  }
  if (ArrayBuffer.isView(sent)) {
    // A Buffer (or any Uint8Array subclass) arrives as a plain Uint8Array; the others as themselves.
    let expected = sent instanceof Uint8Array && !(sent instanceof Uint8ClampedArray) ? Uint8Array : sent.constructor;
    if (Object.getPrototypeOf(got) !== expected.prototype) return at(`sent a ${sent.constructor.name}, got a ${(got as object).constructor?.name}`);
    let view = got as ArrayBufferView;
    let same = Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(Buffer.from(sent.buffer, sent.byteOffset, sent.byteLength));
    return same ? undefined : at(`sent bytes ${show(sent)}, got ${show(got)}`);
  }
  // Only garbage decodes to anything else (a RegExp, an Error, msgpackr's 0xc1 marker): two decodings must agree.
  if (!tolerant) return isDeepStrictEqual(got, sent) ? undefined : at(`decoded ${show(sent)} and ${show(got)}`);
  return at(`test bug: generated a value the codec does not carry (${show(sent)})`);
}

function show(value: unknown): string {
  try {
    let text = JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${item}n` : Object.is(item, -0) ? '-0' : item));
    return (text ?? String(value)).slice(0, 120);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Fail the case (fast-check then shrinks it and reports the smallest) when `problem` says
 * what is wrong; `false` or `undefined` pass. Cheaper than `expect` in loops of 10,000 cases.
 */
function check(problem: string | false | undefined): void {
  if (problem) throw new Error(problem);
}

function checkTypeError(error: unknown, message: string): void {
  check(!(error instanceof TypeError) && `expected a TypeError (${message}), got ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
  check((error as TypeError).message !== message && `expected the message "${message}", got "${(error as TypeError).message}"`);
}

describe('the codec carries every value it accepts', () => {
  it(`round-trips any carried value (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(codecValue, (value) => {
        assertEncodable(value);
        let bytes = encode(value);
        // encode leaves its input as it was (it boxes Maps in copies, never in place): encoded
        // again, it gives the same bytes.
        check(Buffer.compare(encode(value), bytes) !== 0 && 'encode changed the value it was given');
        let back = decode(bytes);
        check(difference(back, value, true));
        // What arrives is carried exactly: a second trip changes nothing, not even -0 or holes.
        check(difference(decode(encode(back)), back, false));
        // The scratch-buffer encoder writes the same bytes, and a Buffer decodes as a Uint8Array does.
        let scratch = encodeScratch(value);
        check(Buffer.compare(scratch.subarray(scratch.start, scratch.end), bytes) !== 0 && 'encodeScratch wrote other bytes than encode');
        check(difference(decode(Buffer.from(bytes)), back, false));
      }),
      params(),
    );
  }, TIMEOUT);

  it(`round-trips values nested across the fast path's depth limit (${DEEP_RUNS} cases)`, () => {
    // The fast walk hands values deeper than 64 containers to the exact (cycle-tracking) walk.
    fc.assert(
      fc.property(fc.array(containerKind, { minLength: 50, maxLength: 200 }), leaves, fc.boolean(), (kinds, leaf, shared) => {
        let value = nest(kinds, leaf);
        // The same (acyclic) object twice in one value is not a cycle, however deep.
        if (shared) value = [value, { again: value }];
        let back = decode(encode(value));
        check(difference(back, value, true));
      }),
      params(DEEP_RUNS),
    );
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// What the codec refuses

class Point {
  constructor(readonly x: number) {}
  norm(): number {
    return Math.abs(this.x);
  }
}
class Empty {}
class Tagged extends Map {}

const CLASSES = 'only plain objects, arrays, Map, Set, Date and typed arrays cross actors';

/** Something the codec must refuse, made fresh for each case, and how the codec names it. */
interface Refused {
  make(): unknown;
  what: string;
}

const refusedThings: Refused[] = [
  { make: () => () => 1, what: 'a function' },
  { make: () => function* generator() {}, what: 'a function' },
  { make: () => async () => 1, what: 'a function' },
  { make: () => Point, what: 'a function' },
  { make: () => Symbol('s'), what: 'a symbol' },
  { make: () => Symbol.iterator, what: 'a symbol' },
  { make: () => new Point(1), what: `an instance of class Point; ${CLASSES}` },
  { make: () => new Empty(), what: `an instance of class Empty; ${CLASSES}` },
  { make: () => new Tagged(), what: `an instance of class Tagged; ${CLASSES}` },
  { make: () => new RangeError('no'), what: 'an Error (RangeError); throw it, or send its message' },
  { make: () => Promise.resolve(1), what: 'a Promise; resolve it first' },
  { make: () => new DataView(new ArrayBuffer(2)), what: `an instance of class DataView; ${CLASSES}` },
  { make: () => new ArrayBuffer(2), what: `an instance of class ArrayBuffer; ${CLASSES}` },
  { make: () => /re/g, what: `an instance of class RegExp; ${CLASSES}` },
  { make: () => new WeakMap(), what: `an instance of class WeakMap; ${CLASSES}` },
  { make: () => Object('boxed'), what: `an instance of class String; ${CLASSES}` },
  { make: () => Object.create({ inherited: 1 }), what: `an object with a custom prototype; ${CLASSES}` },
];

/** How a step down into a container is chosen: by a number, taken modulo the choices there. */
type Step = { choice: number; key: string; mapKey: unknown; asMapKey: boolean };

const steps = fc.array(
  fc.record({ choice: fc.nat(), key: keys, mapKey: fc.oneof(fc.constantFrom(null, true, undefined), numbers, strings, bigints), asMapKey: fc.boolean() }),
  { maxLength: 8 },
);

function isContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  let proto = Object.getPrototypeOf(value);
  return proto === Array.prototype || proto === Object.prototype || proto === null || proto === Map.prototype || proto === Set.prototype;
}

/** The codec's formatting of a path (mirrors its error messages, which these tests pin). */
function propertyPath(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

function mapKeyText(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'bigint') return `${key}n`;
  if (typeof key === 'object' || typeof key === 'function' || typeof key === 'symbol') return '…';
  return String(key);
}

/**
 * A copy of `host` with `make(ancestors)` placed somewhere inside it (or instead of it), found by
 * walking `steps`: the containers on the way are copied, so `host` (a generated value, which
 * fast-check may reuse while shrinking) is never changed. Returns the new value and the path
 * the codec should name.
 */
function plant(host: unknown, walk: Step[], make: (ancestors: object[]) => unknown, path: string, ancestors: object[] = []): { value: unknown; path: string } {
  if (!isContainer(host)) return { value: make(ancestors), path };
  let [step, ...rest] = walk;
  let proto = Object.getPrototypeOf(host);
  if (proto === Array.prototype) {
    let copy = (host as unknown[]).slice();
    let mine = [...ancestors, copy];
    let i = step ? step.choice % (copy.length + 1) : copy.length;
    let planted = i < copy.length ? plant(copy[i], rest, make, `${path}[${i}]`, mine) : { value: make(mine), path: `${path}[${i}]` };
    copy[i] = planted.value;
    return { value: copy, path: planted.path };
  }
  if (proto === Object.prototype || proto === null) {
    let copy = Object.assign(Object.create(proto) as Record<string, unknown>, host);
    let mine = [...ancestors, copy];
    let own = Object.keys(copy);
    let i = step ? step.choice % (own.length + 1) : own.length;
    let key = i < own.length ? own[i]! : (step?.key ?? 'planted');
    let planted = i < own.length ? plant(copy[key], rest, make, propertyPath(path, key), mine) : { value: make(mine), path: propertyPath(path, key) };
    copy[key] = planted.value;
    return { value: copy, path: planted.path };
  }
  let at = path || 'value';
  if (proto === Map.prototype) {
    let copy = new Map(host as Map<unknown, unknown>);
    let mine = [...ancestors, copy];
    let entries = [...copy];
    if (step?.asMapKey) {
      // As a key (a new one, so it is the last entry); keys are checked before values.
      let value = make(mine);
      copy.set(value, 1);
      return { value: copy, path: `${at}.keys()[${copy.size - 1}]` };
    }
    let i = step ? step.choice % (entries.length + 1) : entries.length;
    if (i === entries.length && step && copy.has(step.mapKey)) {
      // A key the Map already has (by SameValueZero): that entry's value is replaced.
      i = entries.findIndex(([other]) => other === step.mapKey || (other !== other && step.mapKey !== step.mapKey));
    }
    let key = i < entries.length ? entries[i]![0] : step?.mapKey;
    let valuePath = `${at}.get(${mapKeyText(key)})`;
    let planted = i < entries.length ? plant(copy.get(key), rest, make, valuePath, mine) : { value: make(mine), path: valuePath };
    copy.set(key, planted.value);
    return { value: copy, path: planted.path };
  }
  let copy = new Set(host as Set<unknown>);
  let value = make([...ancestors, copy]);
  copy.add(value);
  return { value: copy, path: `${at}.values()[${copy.size - 1}]` };
}

describe('the codec refuses what it cannot carry, wherever it is', () => {
  it(`throws a TypeError naming the path, and produces nothing (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(codecValue, steps, fc.constantFrom(...refusedThings), fc.constantFrom('args', 'value', 'x.y'), (host, walk, thing, root) => {
        let { value, path } = plant(host, walk, () => thing.make(), '');
        let rooted = plant(host, walk, () => thing.make(), root).path;
        expectRefused(value, `${path || 'value'} is ${thing.what}`, root, `${rooted || 'value'} is ${thing.what}`);
      }),
      params(),
    );
  }, TIMEOUT);

  it(`refuses a circular reference anywhere, naming where it closes the cycle (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(codecContainer, steps, fc.nat(), (host, walk, pick) => {
        let { value, path } = plant(host, walk, (ancestors) => ancestors[pick % ancestors.length], '');
        let message = `${path || 'value'} is a circular reference`;
        checkTypeError(thrown(() => encode(value)), message);
        checkTypeError(thrown(() => assertEncodable(value)), message);
      }),
      params(),
    );
  }, TIMEOUT);

  it(`refuses an own property named __proto__ anywhere, naming its path (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(containerKind, { maxLength: 20 }), fc.jsonValue(), (kinds, item) => {
        let holder = JSON.parse(`{"__proto__": ${JSON.stringify(item) ?? 'null'}}`) as object;
        let message = `${propertyPath(nestPath(kinds), '__proto__')} is an own property named __proto__, which msgpack readers rename or drop`;
        expectRefused(nest(kinds, holder), message, '', message);
      }),
      params(),
    );
  }, TIMEOUT);

  it(`refuses a value nested deeper than MAX_DEPTH, and carries one just within it (${DEEP_RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(containerKind, { minLength: MAX_DEPTH + 1, maxLength: MAX_DEPTH + 50 }), (kinds) => {
        let value = nest(kinds, 1);
        let path = nestPath(kinds.slice(0, MAX_DEPTH)) || 'value';
        expectRefused(value, `${path} is nested more than ${MAX_DEPTH} levels deep`, '', `${path} is nested more than ${MAX_DEPTH} levels deep`);
        let within = nest(kinds.slice(0, MAX_DEPTH), 1);
        check(!isDeepStrictEqual(decode(encode(within)), within) && 'a value MAX_DEPTH deep did not round-trip');
      }),
      params(DEEP_RUNS),
    );
  }, TIMEOUT);

  it(`carries a string with lone surrogates with U+FFFD in their places, the rest intact (${RUNS} cases)`, () => {
    // msgpackr writes a lone surrogate of a short string as three bytes that read as three U+FFFD,
    // of a long one as one: compared with runs of U+FFFD taken as one.
    let runs = (text: string) => text.replace(/\ufffd+/g, '\ufffd');
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 300 }), (text) => {
        let back = decode(encode(text)) as string;
        check(runs(back) !== runs(wellFormed(text)) && `${JSON.stringify(text)} arrived as ${JSON.stringify(back)}`);
      }),
      params(),
    );
  }, TIMEOUT);

  it(`refuses something planted below the fast path's depth limit (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(containerKind, { minLength: 1, maxLength: 200 }), fc.constantFrom(...refusedThings), (kinds, thing) => {
        let value = nest(kinds, thing.make());
        let message = `${nestPath(kinds)} is ${thing.what}`;
        expectRefused(value, message, '', message);
      }),
      params(),
    );
  }, TIMEOUT);
});

/** `encode` (and the scratch encoder) refuse `value` with `message`; `assertEncodable(value, root)` with `rootedMessage`. */
function expectRefused(value: unknown, message: string, root: string, rootedMessage: string): void {
  let good = encode({ good: [1, 'two'] });
  for (let [attempt, expected] of [[() => encode(value), message], [() => encodeScratch(value), message], [() => assertEncodable(value, root), rootedMessage]] as const) {
    checkTypeError(thrown(attempt), expected);
  }
  // The refusal left nothing behind in the encoder: the next value encodes as it would have.
  let scratch = encodeScratch({ good: [1, 'two'] });
  check(Buffer.compare(scratch.subarray(scratch.start, scratch.end), good) !== 0 && 'a refused value left bytes behind in the scratch buffer');
}

/** What `attempt` threw, or the string 'nothing thrown' (nothing it returns is kept). */
function thrown(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (error) {
    return error;
  }
  return 'nothing thrown';
}

type ContainerKind = 'array' | 'object' | 'map' | 'set';
const containerKind = fc.constantFrom<ContainerKind>('array', 'object', 'map', 'set');

/** `leaf` inside `kinds.length` containers, outermost first. */
function nest(kinds: ContainerKind[], leaf: unknown): unknown {
  let value = leaf;
  for (let i = kinds.length - 1; i >= 0; i--) {
    switch (kinds[i]) {
      case 'array':
        value = [0, value];
        break;
      case 'object':
        value = { n: i, 'in': value };
        break;
      case 'map':
        value = new Map<unknown, unknown>([['k', value]]);
        break;
      case 'set':
        value = new Set([value]);
        break;
    }
  }
  return value;
}

/** The codec's path to the leaf of `nest(kinds, leaf)`, from an unnamed root. */
function nestPath(kinds: ContainerKind[]): string {
  let path = '';
  for (let kind of kinds) {
    if (kind === 'array') path = `${path}[1]`;
    else if (kind === 'object') path = propertyPath(path, 'in');
    else if (kind === 'map') path = `${path || 'value'}.get("k")`;
    else path = `${path || 'value'}.values()[0]`;
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// Framing

function framesOf(values: unknown[]): Buffer {
  let bodies = values.map((value) => encode(value));
  return frameAll(bodies, bodies.reduce((sum, body) => sum + body.length, 0));
}

/** `bytes` cut at `cuts` (numbers taken modulo the length), in order, empty chunks included. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  let at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let chunks: Uint8Array[] = [];
  let from = 0;
  for (let cut of at) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** How a chunk is handed over: as it is, as a Buffer over the same bytes, or copied into a larger buffer. */
type Handover = 'view' | 'buffer' | 'padded';
const handovers = fc.array(fc.constantFrom<Handover>('view', 'buffer', 'padded'), { minLength: 1, maxLength: 4 });

function handOver(chunk: Uint8Array, how: Handover): Uint8Array {
  if (how === 'view') return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength); // a plain Uint8Array, neighbours in reach
  if (how === 'buffer') return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Random-looking bytes around the chunk: a decoder that read outside it would see them.
  let padded = new Uint8Array(chunk.length + 16).fill(0xa5);
  padded.set(chunk, 8);
  return padded.subarray(8, 8 + chunk.length);
}

/** What a decoder did with a stream: the messages it emitted (with sizes), and how it ended. */
interface Run {
  messages: unknown[];
  sizes: number[];
  end: 'clean' | 'partial' | 'oversize' | 'empty' | 'invalid';
}

/** Feed `chunks` to a fresh FrameDecoder; any error other than a ProtocolError fails the test. */
function runDecoder(chunks: Uint8Array[], maxFrameBytes: number, how: Handover[]): Run {
  let decoder = new FrameDecoder(maxFrameBytes);
  let messages: unknown[] = [];
  let sizes: number[] = [];
  try {
    chunks.forEach((chunk, i) => decoder.push(handOver(chunk, how[i % how.length]!), (message, size) => {
      messages.push(message);
      sizes.push(size);
    }));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw new Error(`FrameDecoder threw ${String(error)}, not a ProtocolError`, { cause: error });
    let end: Run['end'] = /exceeds the maximum/.test(error.message) ? 'oversize' : /empty frame/.test(error.message) ? 'empty' : 'invalid';
    if (end === 'invalid') check(!/^frame of \d+ bytes is not one valid msgpack value: /.test(error.message) && `unexpected message: ${error.message}`);
    return { messages, sizes, end };
  }
  return { messages, sizes, end: decoder.midFrame ? 'partial' : 'clean' };
}

/**
 * The framing as specified, on the whole stream at once: u32 big-endian length, then the body;
 * a length above the maximum is an error as soon as it is read, an empty body is an error, a
 * body is decoded on its own (a copy, so nothing outside it can matter).
 */
function model(stream: Uint8Array, maxFrameBytes: number): Run {
  let messages: unknown[] = [];
  let sizes: number[] = [];
  let at = 0;
  while (true) {
    if (stream.length - at < HEADER_BYTES) return { messages, sizes, end: at === stream.length ? 'clean' : 'partial' };
    let length = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength).readUInt32BE(at);
    if (length > maxFrameBytes) return { messages, sizes, end: 'oversize' };
    if (stream.length - at - HEADER_BYTES < length) return { messages, sizes, end: 'partial' };
    if (length === 0) return { messages, sizes, end: 'empty' };
    let body = stream.slice(at + HEADER_BYTES, at + HEADER_BYTES + length);
    try {
      messages.push(decode(body));
    } catch {
      return { messages, sizes, end: 'invalid' };
    }
    sizes.push(length);
    at += HEADER_BYTES + length;
  }
}

function expectSameRun(got: Run, expected: Run): void {
  check(got.end !== expected.end && `the stream ended ${got.end}, the framing says ${expected.end}`);
  check(got.sizes.join() !== expected.sizes.join() && `frame sizes ${got.sizes}, the framing says ${expected.sizes}`);
  got.messages.forEach((message, i) => check(difference(message, expected.messages[i], false, `message ${i}`)));
}

/**
 * Bytes shaped like msgpack: type bytes (every extension type the reader knows included) with
 * lengths and payloads, and pieces of real values, so that garbage reaches deep into the reader
 * rather than failing at its first byte.
 */
const msgpackish: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 6 }),
      fc.tuple(fc.constantFrom(0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xc7, 0xc8, 0xc9), fc.uint8Array({ minLength: 1, maxLength: 5 })).map(([type, rest]) => [type, ...rest]),
      fc
        .tuple(
          fc.constantFrom(0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7),
          fc.constantFrom(0x00, 0x42, 0x4d, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78, 0xff, 0x7f, 0xfe),
          fc.uint8Array({ maxLength: 8 }),
        )
        .map(([type, ext, rest]) => (type === 0xc7 ? [type, rest.length, ext, ...rest] : [type, ext, ...rest])),
      fc.constantFrom(0x80, 0x81, 0x8f, 0x90, 0x91, 0x9f, 0xa0, 0xa5, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcf, 0xd3, 0xe0, 0xff).map((byte) => [byte]),
      frameValue.map((value) => encode(value)),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((part) => [...part])));

/** One piece of a stream: a good frame, a frame with a garbage body, an empty frame, an oversize header, loose bytes. */
const segment: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: frameValue.map((value) => framesOf([value])), weight: 4 },
  { arbitrary: fc.oneof(msgpackish, fc.uint8Array({ minLength: 1, maxLength: 40 })).map((body) => Buffer.concat([frameHeader(body.length), body])), weight: 2 },
  { arbitrary: fc.constant(frameHeader(0)), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 0xffffffff }).map((length) => frameHeader(length)), weight: 1 },
  { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }), weight: 1 },
);

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('framing', () => {
  it(`decodes any sequence of frames, split into any chunks, to the same messages in order (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(frameValue, { maxLength: 6 }), cuts, handovers, (values, at, how) => {
        let stream = framesOf(values);
        let run = runDecoder(split(stream, at), DEFAULT_MAX_FRAME_BYTES, how);
        check(run.end !== 'clean' && `the stream ended ${run.end}`);
        check(run.sizes.join() !== values.map((value) => encode(value).length).join() && `frame sizes ${run.sizes}`);
        values.forEach((value, i) => check(difference(run.messages[i], decode(encode(value)), false, `message ${i}`)));
      }),
      params(),
    );
  }, TIMEOUT);

  it(`decodes any mix of good and bad frames, however split, exactly as the framing specifies (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), cuts, handovers, fc.oneof(fc.constant(DEFAULT_MAX_FRAME_BYTES), fc.nat(200)), (segments, at, how, max) => {
        let stream = Buffer.concat(segments);
        expectSameRun(runDecoder(split(stream, at), max, how), model(stream, max));
      }),
      params(),
    );
  }, TIMEOUT);

  it(`takes arbitrary bytes in arbitrary chunks: messages or a ProtocolError, never anything else (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cuts, handovers, fc.nat(4096), (stream, at, how, max) => {
        expectSameRun(runDecoder(split(stream, at), max, how), model(stream, max));
      }),
      params(),
    );
  }, TIMEOUT);

  it(`rejects a declared length above the maximum before allocating for it (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.array(frameValue, { maxLength: 3 }),
        fc.integer({ min: 0, max: 0xfffffffe }),
        fc.nat(),
        fc.uint8Array({ maxLength: 20 }),
        cuts,
        (values, max, over, tail, at) => {
          // Mostly lengths far above any body in this test: an allocation for one would show.
          let length = max + 1 + (over % (0xffffffff - max));
          let good = framesOf(values);
          let stream = Buffer.concat([good, frameHeader(length), tail]);
          let before = process.memoryUsage().arrayBuffers;
          let run = runDecoder(split(stream, at), max, ['view']);
          let grown = process.memoryUsage().arrayBuffers - before;
          let expected = model(stream, max);
          expectSameRun(run, expected);
          // The good frames before it may themselves be above a small maximum; otherwise the oversize header is what stops it.
          if (values.every((value) => encode(value).length <= max)) check(run.end !== 'oversize' && `the stream ended ${run.end}`);
          check(grown >= 1024 * 1024 + 2 * stream.length && `${grown} bytes of ArrayBuffers allocated for a refused frame of ${length} bytes`);
        },
      ),
      params(),
    );
  }, TIMEOUT);
});

describe('decoding is local to its frame', () => {
  it(`decodes a body the same wherever it sits in a buffer, and after any garbage decoded before it (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.oneof(msgpackish, frameValue.map((value) => encode(value))), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), msgpackish, frameValue, (body, before, after, garbage, value) => {
        let alone = outcome(() => decode(body.slice()));
        let placed = Uint8Array.from([...before, ...body, ...after]);
        let inPlace = outcome(() => decode(placed, before.length, before.length + body.length));
        check(inPlace.kind !== alone.kind && `alone the body decodes to ${alone.kind}, in place to ${inPlace.kind}`);
        if (alone.kind === 'value' && inPlace.kind === 'value') check(difference(inPlace.value, alone.value, false));
        // Garbage decoded first (another connection's, say) changes nothing for the next frame.
        let expected = decode(encode(value));
        outcome(() => decode(garbage));
        check(difference(decode(encode(value)), expected, false));
      }),
      params(),
    );
  }, TIMEOUT);
});

function outcome(read: () => unknown): { kind: 'value'; value: unknown } | { kind: 'error' } {
  try {
    return { kind: 'value', value: read() };
  } catch {
    return { kind: 'error' };
  }
}
