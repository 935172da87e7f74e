import { describe, expect, it } from 'vitest';
import { assertEncodable, decode, encode } from '../src/index.ts';

function roundTrip<T>(value: T): T {
  return decode(encode(value)) as T;
}

describe('codec round trips', () => {
  it('carries primitives', () => {
    let values = [
      null, true, false, 0, 1, -1, 127, 128, -33, 255, 65_536, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1),
      0.5, -1.25, 1e300, Number.MIN_VALUE, Infinity, -Infinity, '', 'hello', 'é ✓ 😀', 'x'.repeat(70_000),
    ];
    for (let value of values) expect(roundTrip(value)).toBe(value);
    expect(roundTrip(NaN)).toBeNaN();
  });

  it('carries undefined, on its own and as a property or item', () => {
    expect(roundTrip(undefined)).toBeUndefined();
    let object = roundTrip({ a: undefined, b: 1 });
    expect(Object.keys(object)).toEqual(['a', 'b']);
    expect(object.a).toBeUndefined();
    expect(roundTrip([undefined, 1])).toEqual([undefined, 1]);
  });

  it('carries nested arrays and objects, and repeated (not circular) references', () => {
    let value = { a: [1, [2, [3, [4, { deep: ['x', { y: null }] }]]]], b: { c: { d: { e: [] } } }, empty: {} };
    expect(roundTrip(value)).toEqual(value);
    let shared = { n: 1 };
    expect(roundTrip([shared, shared, { shared }])).toEqual([{ n: 1 }, { n: 1 }, { shared: { n: 1 } }]);
  });

  it('carries a Map as a Map, with keys of any kind, nested anywhere', () => {
    let map = new Map<unknown, unknown>([
      [1, 'one'],
      ['two', 2],
      [null, 'null'],
      [true, false],
      [3n, 'bigint'],
      [[1, 2], 'array key'],
      [{ k: 'v' }, new Map([['inner', new Set([1])]])],
    ]);
    let back = roundTrip(map);
    expect(back).toBeInstanceOf(Map);
    expect([...back.entries()]).toEqual([...map.entries()]);
    expect(back.get(1)).toBe('one');
    expect(back.get(3n)).toBe('bigint');
    let nested = roundTrip({ list: [new Map([[1, 2]])], set: new Set([new Map([['a', 1]])]) });
    expect(nested.list[0]).toBeInstanceOf(Map);
    expect(nested.list[0]!.get(1)).toBe(2);
    let [inner] = [...nested.set];
    expect(inner).toBeInstanceOf(Map);
    expect(inner!.get('a')).toBe(1);
    expect(roundTrip(new Map())).toEqual(new Map());
  });

  it('carries a Set as a Set', () => {
    let back = roundTrip(new Set([1, 'a', null, [1], { o: 1 }]));
    expect(back).toBeInstanceOf(Set);
    expect([...back]).toEqual([1, 'a', null, [1], { o: 1 }]);
    expect(roundTrip(new Set())).toEqual(new Set());
  });

  it('carries a Date as a Date', () => {
    let date = new Date('2024-02-29T12:34:56.789Z');
    let back = roundTrip({ date }).date;
    expect(back).toBeInstanceOf(Date);
    expect(back.getTime()).toBe(date.getTime());
    expect(roundTrip(new Date(-1)).getTime()).toBe(-1);
  });

  it('carries a Uint8Array, and a Buffer arrives as a plain Uint8Array', () => {
    let bytes = roundTrip(new Uint8Array([0, 1, 2, 255]));
    expect(bytes.constructor).toBe(Uint8Array);
    expect([...bytes]).toEqual([0, 1, 2, 255]);
    let buffer = roundTrip({ b: Buffer.from('héllo') }).b;
    expect(buffer.constructor).toBe(Uint8Array);
    expect(Buffer.from(buffer).toString()).toBe('héllo');
    // Decoding from a Buffer (as a user of `decode` might) changes nothing.
    let fromBuffer = decode(Buffer.from(encode(Buffer.from('xyz')))) as Uint8Array;
    expect(fromBuffer.constructor).toBe(Uint8Array);
    // A view carries its own bytes only, not the rest of its ArrayBuffer.
    let view = roundTrip(new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 3));
    expect([...view]).toEqual([8, 7]);
    expect(roundTrip(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  it('carries bigints of any size and sign as bigints', () => {
    let values = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n, 2n ** 5000n, -(2n ** 5000n), -(2n ** 5000n) + 12345n];
    for (let value of values) {
      let back = roundTrip(value);
      expect(typeof back).toBe('bigint');
      expect(back).toBe(value);
    }
  });

  it('carries the typed arrays as their own classes', () => {
    let arrays = [
      new Int8Array([-1, 2]),
      new Uint8ClampedArray([1, 255]),
      new Int16Array([-300, 300]),
      new Uint16Array([65_535]),
      new Int32Array([-(2 ** 31)]),
      new Uint32Array([2 ** 32 - 1]),
      new Float32Array([0.5, -2]),
      new Float64Array([Math.PI, -0.1]),
      new BigInt64Array([-(2n ** 63n), 5n]),
      new BigUint64Array([2n ** 64n - 1n]),
    ];
    for (let array of arrays) {
      let back = roundTrip(array);
      expect(back.constructor).toBe(array.constructor);
      expect(back).toEqual(array);
    }
  });

  it('carries null-prototype objects (as plain objects)', () => {
    let object = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, nested: { b: [2] } });
    expect(roundTrip(object)).toEqual({ a: 1, nested: { b: [2] } });
    let withMap = Object.assign(Object.create(null) as Record<string, unknown>, { m: new Map([[1, 1]]) });
    expect(roundTrip(withMap).m).toEqual(new Map([[1, 1]]));
  });

  it('leaves the value it was given untouched when it boxes a Map', () => {
    let value = { list: [1, new Map([['k', 'v']])], set: new Set([new Map()]) };
    encode(value);
    expect(value.list[1]).toBeInstanceOf(Map);
    expect([...value.set][0]).toBeInstanceOf(Map);
  });
});

describe('codec refuses what cannot cross a boundary', () => {
  class Point {
    constructor(readonly x: number) {}
    norm(): number {
      return Math.abs(this.x);
    }
  }

  let circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  let circularArray: unknown[] = [1];
  circularArray.push(circularArray);

  let cases: [string, unknown, string][] = [
    ['a function at the top', () => 1, 'value is a function'],
    ['a symbol at the top', Symbol('s'), 'value is a symbol'],
    ['a function in an object', { args: [1, { cb() {} }] }, 'args[1].cb is a function'],
    ['a symbol in an array', { list: [1, 2, Symbol('s')] }, 'list[2] is a symbol'],
    ['a class instance', { at: new Point(1) }, 'at is an instance of class Point; only plain objects, arrays, Map, Set, Date and typed arrays cross actors'],
    ['an Error', { error: new RangeError('no') }, 'error is an Error (RangeError); throw it, or send its message'],
    ['a Promise', { later: Promise.resolve(1) }, 'later is a Promise; resolve it first'],
    ['a circular object', { a: { b: circular } }, 'a.b.self is a circular reference'],
    ['a circular array', { items: circularArray }, 'items[1] is a circular reference'],
    ['a function as a Map value', { m: new Map([['k', () => 1]]) }, 'm.get("k") is a function'],
    ['a class instance as a Map key', { m: new Map([[new Point(1), 1]]) }, 'm.keys()[0] is an instance of class Point; only plain objects, arrays, Map, Set, Date and typed arrays cross actors'],
    ['a function as a Set value', { s: new Set([1, 2, () => 3]) }, 's.values()[2] is a function'],
    ['a symbol deep in a null-prototype object', Object.assign(Object.create(null), { a: [{ b: Symbol('x') }] }), 'a[0].b is a symbol'],
    ['a key that is not an identifier', { 'not an id': () => 1 }, '["not an id"] is a function'],
    ['a function in an array at the top', [1, () => 1], '[1] is a function'],
    ['a function in a Map at the top', new Map([[2, () => 1]]), 'value.get(2) is a function'],
    ['a symbol in a Set at the top', new Set([Symbol('x')]), 'value.values()[0] is a symbol'],
    ['a DataView', { view: new DataView(new ArrayBuffer(1)) }, 'view is an instance of class DataView; only plain objects, arrays, Map, Set, Date and typed arrays cross actors'],
    ['an object with a custom prototype', { o: Object.create({ inherited: 1 }) }, 'o is an object with a custom prototype; only plain objects, arrays, Map, Set, Date and typed arrays cross actors'],
  ];

  for (let [name, value, message] of cases) {
    it(`encode: ${name}`, () => {
      expect(() => encode(value)).toThrow(TypeError);
      expect(() => encode(value)).toThrow(message);
      try {
        encode(value);
      } catch (error) {
        expect((error as Error).message).toBe(message);
      }
    });
  }

  it('assertEncodable names the path from the root it is given, and accepts what encode accepts', () => {
    expect(() => assertEncodable([1, { cb() {} }], 'args')).toThrow(new TypeError('args[1].cb is a function'));
    expect(() => assertEncodable(new Map([['k', Symbol()]]), 'm')).toThrow(new TypeError('m.get("k") is a symbol'));
    expect(() => assertEncodable({ ok: [1, new Map([[1, new Set([new Date()])]]), new Uint8Array(1), 5n] }, 'args')).not.toThrow();
  });

  it('does not read values it cannot carry from the wire either (no cycles from a peer)', () => {
    // msgpackr's structured-clone id (0x69) and pointer (0x70) extensions would build an array
    // that holds itself: [id 1] [fixarray 1] [pointer 1].
    let cyclic = new Uint8Array([0xd6, 0x69, 0, 0, 0, 1, 0x91, 0xd6, 0x70, 0, 0, 0, 1]);
    expect(() => decode(cyclic)).toThrow();
  });

  it('decode rejects bytes that are not exactly one msgpack value', () => {
    expect(() => decode(new Uint8Array([0xc1]))).toThrow();
    expect(() => decode(new Uint8Array([0x01, 0x02]))).toThrow();
    expect(() => decode(new Uint8Array([0x92, 0x01]))).toThrow();
    expect(() => decode(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow();
    expect(decode(new Uint8Array([0xff, 0x92, 0x01, 0x02, 0xff]), 1, 4)).toEqual([1, 2]);
  });
});
