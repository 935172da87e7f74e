import { Packr, REUSE_BUFFER_MODE, RESET_BUFFER_MODE, addExtension } from 'msgpackr';

/*
 * Wire format decisions:
 *
 * - `useRecords: false`. msgpackr's records/structures are faster for repeated object shapes,
 *   but they make the byte stream stateful (a frame can refer to a structure defined by an
 *   earlier frame, or by a shared structure table both peers must agree on). We want every
 *   frame to be decodable on its own, so that a garbage frame cannot poison the ones after it,
 *   any msgpack implementation can read our frames, and peers of different versions never need
 *   to agree on a structure table. The cost, measured on Node 20: ~100 ns more per small message
 *   on each side than records/arrays.
 * - `moreTypes: true` carries `Set`, `Date` and typed arrays as msgpack extensions.
 * - `Map` is written by msgpackr as a plain msgpack map, which would decode as an object; we box
 *   it into an extension of our own so it arrives as a `Map`.
 * - `useBigIntExtension: true` so a bigint of any size arrives as a bigint.
 * - Decoding copies binary data out of the frame (`copyBuffers`), so a `Uint8Array` a user keeps
 *   does not pin the whole socket read buffer, and it arrives as a plain `Uint8Array` (a `Buffer`
 *   sent arrives as a `Uint8Array` too) because we decode from a `Uint8Array` view.
 * - `structuredClone: false`. We never write msgpackr's id/pointer extensions, but its reader
 *   accepts them by default, so a peer could send a value that refers to itself. Circular values
 *   are not carried, in either direction.
 */

const MAP_EXTENSION = 0x4d; // 'M'

/** A Map on its way to the wire: msgpackr would otherwise write it as a plain msgpack map. */
class BoxedMap {
  constructor(readonly entries: unknown[]) {}
}

addExtension({
  Class: BoxedMap,
  type: MAP_EXTENSION,
  write: (box: BoxedMap) => box.entries,
  read: (entries: unknown[]) => {
    let map = new Map();
    for (let i = 0; i < entries.length; i += 2) map.set(entries[i], entries[i + 1]);
    return map;
  },
});

const packr = new Packr({
  useRecords: false,
  moreTypes: true,
  useBigIntExtension: true,
  copyBuffers: true,
  structuredClone: false,
});

/**
 * What msgpackr returns for 0xc1 (a byte msgpack never uses) instead of failing: a marker object.
 * A frame that is just that byte is not a msgpack value, and `decode` says so.
 */
const NEVER_USED = packr.unpack(new Uint8Array([0xc1]));

/**
 * Encode one value to msgpack bytes. Throws a `TypeError` naming the offending path (for
 * example `args[1].cb is a function`) if any part of `value` cannot cross a process boundary;
 * nothing is encoded in that case.
 *
 * Carried: `undefined`, `null`, booleans, numbers, strings, bigints of any size, arrays, plain
 * objects (prototype `Object.prototype` or `null`), `Map`, `Set`, `Date`, `Uint8Array` (a
 * `Buffer` arrives as a `Uint8Array`) and the other typed arrays. Not carried: functions,
 * symbols, instances of any other class (an `Error` included), circular references, values
 * nested more than `MAX_DEPTH` (512) levels deep, and an own property named `__proto__`.
 * As in msgpack (and JSON): `-0` arrives as `0`, a hole in a sparse array as `undefined`, and a
 * string is UTF-8, so a lone surrogate (not valid Unicode) arrives replaced by U+FFFD.
 *
 * @example
 * ```ts
 * let bytes = encode({ id: 1, tags: new Set(['a']), at: new Date() });
 * decode(bytes); // { id: 1, tags: Set { 'a' }, at: Date }
 * encode({ cb() {} }); // TypeError: cb is a function
 * ```
 */
export function encode(value: unknown): Uint8Array {
  return packr.pack(prepareOrExplain(value));
}

/** Bytes in the codec's scratch buffer, valid only until the next `encodeScratch`: `[start, end)`. */
export type ScratchBytes = Buffer & { start: number; end: number };

/**
 * {@link encode} into the codec's one reused scratch buffer, without allocating: the channel
 * copies `[start, end)` into its outgoing batch at once. Same checks and errors as `encode`.
 */
export function encodeScratch(value: unknown): ScratchBytes {
  let bytes = packr.pack(prepareOrExplain(value), REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as ScratchBytes;
  if (bytes.length > SCRATCH_KEEP_BYTES) {
    // Do not keep a scratch buffer grown for one huge value; the caller still holds this one.
    packr.useBuffer(Buffer.allocUnsafeSlow(8192));
  }
  return bytes;
}

/** The scratch buffer grows to fit a value; past this size it is let go after use. */
const SCRATCH_KEEP_BYTES = 1024 * 1024;

function prepareOrExplain(value: unknown): unknown {
  try {
    return prepare(value, 0, undefined);
  } catch (error) {
    if (!(error instanceof NotEncodable)) throw error;
    let problem = findProblem(value, '', []);
    if (problem) throw new TypeError(problem);
    // Only depth got us here: a deep but acyclic value. Walk it again, tracking ancestors.
    return prepare(value, 0, []);
  }
}

/**
 * Decode exactly one msgpack value from `bytes[start..end)`; binary data comes back as plain
 * `Uint8Array`s, even from a `Buffer`. Throws whatever msgpackr throws for bytes that are not
 * exactly one value (and an `Error` for a lone 0xc1); the framing layer turns that into a
 * `ProtocolError`.
 *
 * @example
 * ```ts
 * decode(encode([1n << 70n, new Uint8Array([1, 2])])); // [1180591620717411303424n, Uint8Array [1, 2]]
 * ```
 */
export function decode(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
  // msgpackr takes an `end` of 0 for "no end", and would read on past an empty range.
  if (end <= start) throw new Error('an empty range holds no msgpack value');
  // msgpackr decodes binary as the class of its source: a Buffer source would give Buffers.
  let view = bytes instanceof Buffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
  let value = packr.unpack(view, { start, end });
  if (value === NEVER_USED) throw new Error('0xc1 is not a msgpack value');
  return value;
}

/**
 * Check that `value` can be encoded, without encoding it. Throws the same `TypeError` as
 * {@link encode}, with the path starting at `root` (for example `assertEncodable(args, 'args')`).
 *
 * @example
 * ```ts
 * assertEncodable([1, { cb: () => {} }], 'args'); // TypeError: args[1].cb is a function
 * ```
 */
export function assertEncodable(value: unknown, root = ''): void {
  if (typeof value !== 'object' || value === null) {
    if (typeof value !== 'function' && typeof value !== 'symbol') return;
  }
  try {
    prepare(value, 0, undefined);
    return;
  } catch (error) {
    if (!(error instanceof NotEncodable)) throw error;
  }
  let problem = findProblem(value, root, []);
  if (problem) throw new TypeError(problem);
}

/**
 * Returns `value` ready for msgpackr: the same value when it holds no `Map` (the common case,
 * no allocation), otherwise a copy of the containers on the way to each `Map`, with the `Map`
 * boxed. Throws `NotEncodable` when something cannot be encoded.
 *
 * Cycles: without `ancestors` (the fast path) a value nested deeper than `FAST_DEPTH` is
 * treated as suspect and refused; the caller then looks for the real problem and, if the value
 * is merely deep, walks it again with `ancestors`, which detects cycles exactly.
 */
function prepare(value: unknown, depth: number, ancestors: object[] | undefined): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') fail(value);
    return value;
  }
  let proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    let array = value as unknown[];
    if (array.length === 0) return value;
    enter(value, depth, ancestors);
    let copy: unknown[] | undefined;
    for (let i = 0; i < array.length; i++) {
      let item = array[i];
      let prepared = typeof item === 'object' && item !== null || typeof item === 'function' || typeof item === 'symbol'
        ? prepare(item, depth + 1, ancestors)
        : item;
      if (prepared !== item) (copy ??= array.slice())[i] = prepared;
    }
    ancestors?.pop();
    return copy ?? value;
  }
  if (proto === Object.prototype || proto === null) {
    let object = value as Record<string, unknown>;
    enter(value, depth, ancestors);
    let copy: Record<string, unknown> | undefined;
    for (let key in object) {
      if (key === '__proto__') fail(value);
      let item = object[key];
      let prepared = typeof item === 'object' && item !== null || typeof item === 'function' || typeof item === 'symbol'
        ? prepare(item, depth + 1, ancestors)
        : item;
      if (prepared !== item) (copy ??= { ...object })[key] = prepared;
    }
    ancestors?.pop();
    return copy ?? value;
  }
  if (value instanceof Map && proto === Map.prototype) {
    enter(value, depth, ancestors);
    let entries: unknown[] = [];
    for (let [key, item] of value) entries.push(prepare(key, depth + 1, ancestors), prepare(item, depth + 1, ancestors));
    ancestors?.pop();
    return new BoxedMap(entries);
  }
  if (value instanceof Set && proto === Set.prototype) {
    enter(value, depth, ancestors);
    let copy: unknown[] | undefined;
    let i = 0;
    for (let item of value) {
      let prepared = prepare(item, depth + 1, ancestors);
      if (prepared !== item) copy ??= [...value];
      if (copy) copy[i] = prepared;
      i++;
    }
    ancestors?.pop();
    return copy ? new Set(copy) : value;
  }
  if (isLeafObject(value, proto)) return value;
  return fail(value);
}

/** Containers nested deeper than this make the fast walk hand over to the exact one. */
const FAST_DEPTH = 64;

/** The deepest nesting carried: msgpackr encodes and decodes recursively, and deeper values would overflow the stack. */
export const MAX_DEPTH = 512;

function enter(value: object, depth: number, ancestors: object[] | undefined): void {
  if (ancestors) {
    if (ancestors.includes(value) || ancestors.length >= MAX_DEPTH) fail(value);
    ancestors.push(value);
  } else if (depth > FAST_DEPTH) {
    fail(value);
  }
}

function isLeafObject(value: object, proto: unknown): boolean {
  return proto === Date.prototype || ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/**
 * Unwinds `prepare` when something cannot be encoded. It carries no path, keeping the fast path
 * free of string work; `encode` then walks the value again with `findProblem` to name the path.
 */
class NotEncodable extends Error {}

function fail(_value: unknown): never {
  throw new NotEncodable();
}

function describe(value: unknown): string | undefined {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value !== 'object' || value === null) return undefined;
  let proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype || proto === Object.prototype || proto === null) return undefined;
  if (proto === Map.prototype || proto === Set.prototype || isLeafObject(value, proto)) return undefined;
  if (value instanceof Error) return `an Error (${(value as Error).name}); throw it, or send its message`;
  if (value instanceof Promise) return 'a Promise; resolve it first';
  // Only a prototype's own `constructor` names the class: `Object.create({ ... })` inherits
  // `Object` from further up, and would be reported as an instance of class Object.
  let name = Object.hasOwn(proto, 'constructor') ? (proto.constructor as { name?: string } | undefined)?.name : undefined;
  return name
    ? `an instance of class ${name}; only plain objects, arrays, Map, Set, Date and typed arrays cross actors`
    : 'an object with a custom prototype; only plain objects, arrays, Map, Set, Date and typed arrays cross actors';
}

/** The first thing in `value` that cannot be encoded, as `<path> is <what>`; `path` '' is the top. */
function findProblem(value: unknown, path: string, ancestors: object[]): string | undefined {
  let what = describe(value);
  if (what) return `${path || 'value'} is ${what}`;
  if (typeof value !== 'object' || value === null) return undefined;
  if (ancestors.includes(value)) return `${path || 'value'} is a circular reference`;
  if (ancestors.length >= MAX_DEPTH) return `${path || 'value'} is nested more than ${MAX_DEPTH} levels deep`;
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        let problem = findProblem(value[i], `${path}[${i}]`, ancestors);
        if (problem) return problem;
      }
    } else if (value instanceof Map) {
      // A Map or Set at the top is named `value`, so that the path does not start with a dot.
      let at = path || 'value';
      let i = 0;
      for (let [key, item] of value) {
        let problem = findProblem(key, `${at}.keys()[${i}]`, ancestors) ??
          findProblem(item, `${at}.get(${formatKey(key)})`, ancestors);
        if (problem) return problem;
        i++;
      }
    } else if (value instanceof Set) {
      let i = 0;
      for (let item of value) {
        let problem = findProblem(item, `${path || 'value'}.values()[${i}]`, ancestors);
        if (problem) return problem;
        i++;
      }
    } else if (!isLeafObject(value, Object.getPrototypeOf(value))) {
      for (let key in value) {
        if (key === '__proto__') return `${formatProperty(path, key)} is an own property named __proto__, which msgpack readers rename or drop`;
        let problem = findProblem((value as Record<string, unknown>)[key], formatProperty(path, key), ancestors);
        if (problem) return problem;
      }
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
}

function formatProperty(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

function formatKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'bigint') return `${key}n`;
  if (typeof key === 'object' || typeof key === 'function' || typeof key === 'symbol') return '…';
  return String(key);
}
