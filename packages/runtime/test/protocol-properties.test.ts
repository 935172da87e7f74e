/*
 * Property-based tests of the protocol validator (`parseMessage`), and a fuzz of real actors
 * over raw connections, with fast-check.
 *
 * Case counts: the in-process properties run RUNS cases each, 10,000 by default; the fuzz of
 * the real actors sends ACTOR_CASES connections (1,500 by default: 1.6 to 3.5 s of fuzzing on
 * the 2-core development machine, depending on its load). Set
 * HARROW_FUZZ_RUNS=<n> to run n in-process cases per property and scale the actor fuzz by
 * n / 10,000 (HARROW_FUZZ_RUNS=100000: 100,000 cases each, 15,000 connections). Seeds are
 * random: on a failure fast-check prints the seed and the counterexample's path;
 * HARROW_FUZZ_SEED=<seed> (with HARROW_FUZZ_PATH=<path>) replays exactly that case.
 */
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { FrameDecoder, ProtocolError, connect, decode, encode, frameHeader } from '@harrow/transport';
import { run, type Operation } from 'effection';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../src/dialog/protocol.ts';
import { perTest, startProgram, type Program } from './helpers.ts';

const RUNS = positiveInteger(process.env.HARROW_FUZZ_RUNS) ?? 10_000;
const ACTOR_CASES = Math.max(50, Math.round((1_500 * RUNS) / 10_000));

function positiveInteger(text: string | undefined): number | undefined {
  let value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** fast-check parameters: `runs` cases, a random seed unless HARROW_FUZZ_SEED replays one. */
function params(runs: number): fc.Parameters<unknown> {
  let seed = process.env.HARROW_FUZZ_SEED;
  let replay = seed === undefined ? {} : { seed: Number(seed), path: process.env.HARROW_FUZZ_PATH };
  return { numRuns: runs, ...replay };
}

const TIMEOUT = 60_000 * Math.max(1, RUNS / 10_000);

/**
 * Fail the case (fast-check then reports it, shrunk) when `problem` says what is wrong; `false`
 * or `undefined` pass. Cheaper than `expect` in loops of 10,000 cases.
 */
function check(problem: string | false | undefined): void {
  if (problem) throw new Error(problem);
}

function show(value: unknown): string {
  try {
    return (JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${item}n` : item)) ?? String(value)).slice(0, 300);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

// ---------------------------------------------------------------------------------------------
// The protocol, as the Message type in src/dialog/protocol.ts declares it: an independent oracle.

type Shape = Record<string, unknown>;

const isObject = (value: unknown): value is Shape => typeof value === 'object' && value !== null;
const isString = (value: unknown): value is string => typeof value === 'string';
const isInteger = (value: unknown): value is number => Number.isInteger(value);
const isCid = (value: unknown) => isInteger(value) && value >= 0;
const optional = (value: unknown, test: (value: unknown) => boolean) => value === undefined || test(value);
const isRef = (value: unknown) => isObject(value) && isString(value.name) && isString(value.uid);
const isArrayOf = (value: unknown, test: (item: unknown) => boolean) => Array.isArray(value) && value.every(test);

function isPlainRecord(value: unknown): boolean {
  if (!isObject(value) || Array.isArray(value)) return false;
  let proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isBoxedError(value: unknown): boolean {
  return isObject(value) && isString(value.type) && isString(value.message) && isString(value.stack) && isRef(value.src) &&
    isArrayOf(value.relay, isRef) && optional(value.data, isPlainRecord) && optional(value.cause, isBoxedError) &&
    optional(value.canceller, isString) && optional(value.errors, (errors) => isArrayOf(errors, isBoxedError));
}

function isSpawnSpec(value: unknown): boolean {
  return isObject(value) && isString(value.name) && isString(value.uid) && isRef(value.parent) && isObject(value.parent) && isString(value.parent.address) && isString(value.treeDir) &&
    isArrayOf(value.enableModules, isString) && isString(value.loglevel) &&
    optional(value.main, (main) => isObject(main) && (main.module === null || isString(main.module)) && isString(main.fn) && Array.isArray(main.args)) &&
    optional(value.registry, (registry) => isArrayOf(registry, isString)) && optional(value.listen, (listen) => isArrayOf(listen, isString));
}

const KINDS = ['run', 'stream', 'context'];

const SHAPES: Record<string, (message: Shape) => boolean> = {
  booted: (m) => isInteger(m.pid),
  spawn: (m) => isSpawnSpec(m.spec),
  'dial-back': (m) => isString(m.token) && isInteger(m.pid),
  ready: (m) => isInteger(m.pid) && isString(m.address) && isString(m.host),
  'boot-failed': (m) => isBoxedError(m.error),
  'cancel-actor': (m) => isString(m.canceller),
  'cancel-requested': (m) => isString(m.canceller),
  failed: (m) => isBoxedError(m.error),
  call: (m) => isCid(m.cid) && KINDS.includes(m.kind as string) && (m.module === null || isString(m.module)) && isString(m.fn) && Array.isArray(m.args),
  started: (m) => isCid(m.cid) && 'value' in m,
  yield: (m) => isCid(m.cid) && Array.isArray(m.values),
  credit: (m) => isCid(m.cid) && isInteger(m.n) && m.n > 0,
  close: (m) => isCid(m.cid),
  return: (m) => isCid(m.cid) && 'value' in m,
  error: (m) => isCid(m.cid) && isBoxedError(m.error),
  cancel: (m) => isCid(m.cid) && isString(m.canceller),
  cancelled: (m) => isCid(m.cid),
};
const TYPES = Object.keys(SHAPES);

/** Whether `value` (as decoded from the wire) is a protocol message. */
function isMessage(value: unknown): boolean {
  return isObject(value) && isString(value.type) && Object.hasOwn(SHAPES, value.type) && SHAPES[value.type]!(value);
}

// ---------------------------------------------------------------------------------------------
// Values and messages

/**
 * Any value the codec carries (fast-check's `anything`, with everything the codec takes; its
 * keys never `__proto__`, which the codec refuses).
 */
const anything = fc.anything({
  key: fc.string({ maxLength: 10 }).filter((key) => key !== '__proto__'),
  maxDepth: 2,
  maxKeys: 3,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

const FIXTURE = new URL('./fixtures/fuzz-target.ts', import.meta.url).href;
/** The fixture's remote functions: a call that names one of these and is well-formed runs it. */
const EXPOSED = new Set(['touch', 'touchAsync', 'touchSync', 'touchStream', 'identify']);

const names = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('touch', 'touchAsync', 'touchSync', 'touchStream', 'identify', 'Touch', 'touch ', 'touch\u0000', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'add', ''),
);
const modules = fc.oneof(
  fc.constant(FIXTURE),
  fc.constant(null),
  fc.constantFrom(`${FIXTURE}?v=2`, `${FIXTURE}#x`, FIXTURE.toUpperCase(), FIXTURE.replace('file:///', 'file://localhost/'), FIXTURE.replace('.ts', '.js'),
    new URL('./fixtures/basic.ts', import.meta.url).href, 'node:fs', 'fs', '__proto__', 'constructor', ''),
  fc.string({ maxLength: 8 }),
);
const cids = fc.oneof(fc.nat(), fc.constantFrom(0, 1, 2, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300));
const ref = fc.record({ name: fc.string({ maxLength: 6 }), uid: fc.string({ maxLength: 6 }) });

const boxedFields = {
  type: fc.constantFrom('Error', 'TypeError', 'ModuleNotExposedError'),
  message: fc.string({ maxLength: 10 }),
  stack: fc.string({ maxLength: 10 }),
  src: ref,
  relay: fc.array(ref, { maxLength: 2 }),
  data: fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)), { maxKeys: 2 }),
  canceller: fc.string({ maxLength: 6 }),
};
const REQUIRED: (keyof typeof boxedFields)[] = ['type', 'message', 'stack', 'src', 'relay'];
/** A boxed error as the Message type declares it, with a cause and an errors list one level deep. */
const boxed: fc.Arbitrary<Shape> = fc.record(
  { ...boxedFields, cause: fc.record(boxedFields, { requiredKeys: REQUIRED }), errors: fc.array(fc.record(boxedFields, { requiredKeys: REQUIRED }), { maxLength: 2 }) },
  { requiredKeys: REQUIRED },
);

const spec = fc.record(
  {
    name: fc.string({ maxLength: 6 }),
    uid: fc.string({ maxLength: 6 }),
    parent: fc.record({ name: fc.string({ maxLength: 6 }), uid: fc.string({ maxLength: 6 }), address: fc.string({ maxLength: 10 }) }),
    treeDir: fc.string({ maxLength: 10 }),
    enableModules: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }),
    loglevel: fc.constantFrom('warn', 'debug', 'silent'),
    main: fc.record({ module: modules, fn: names, args: fc.array(anything, { maxLength: 2 }) }),
    registry: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }),
    listen: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }),
  },
  { requiredKeys: ['name', 'uid', 'parent', 'treeDir', 'enableModules', 'loglevel'] },
);

/** A well-formed message of every type, per the Message type. */
const wellFormed: fc.Arbitrary<Shape> = fc.oneof(
  fc.record({ type: fc.constant('booted'), pid: fc.integer() }),
  fc.record({ type: fc.constant('spawn'), spec }),
  fc.record({ type: fc.constant('ready'), pid: fc.integer(), address: fc.string({ maxLength: 10 }), host: fc.string({ maxLength: 6 }) }),
  fc.record({ type: fc.constant('dial-back'), token: fc.string({ maxLength: 10 }), pid: fc.integer() }),
  fc.record({ type: fc.constantFrom('boot-failed', 'failed'), error: boxed }),
  fc.record({ type: fc.constantFrom('cancel-actor', 'cancel-requested'), canceller: fc.string({ maxLength: 6 }) }),
  { arbitrary: fc.record({ type: fc.constant('call'), cid: cids, kind: fc.constantFrom('run', 'stream', 'context'), module: modules, fn: names, args: fc.array(anything, { maxLength: 3 }) }), weight: 4 },
  fc.record({ type: fc.constantFrom('started', 'return'), cid: cids, value: anything }),
  fc.record({ type: fc.constant('yield'), cid: cids, values: fc.array(anything, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('credit'), cid: cids, n: fc.oneof(fc.integer({ min: 1 }), fc.constantFrom(1, 2 ** 53, 1e300)) }),
  fc.record({ type: fc.constantFrom('close', 'cancelled'), cid: cids }),
  fc.record({ type: fc.constant('error'), cid: cids, error: boxed }),
  fc.record({ type: fc.constant('cancel'), cid: cids, canceller: fc.string({ maxLength: 6 }) }),
);

/** What a field is changed to: values of every kind, and the boundaries the shapes draw. */
const replacement: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, true, false, 0, -0, 1, -1, 1.5, -1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300, -1e300, '', '0', '1', 'x'),
  fc.constantFrom(...TYPES, ...KINDS, 'Call', 'call ', 'RUN', 'unknown', '__proto__', 'constructor', 'toString'),
  fc.constantFrom([], [1], {}, new Map([['type', 'call']]), new Set(['x']), new Date(0), new Uint8Array([1]), 1n, -1n),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double(),
  ref,
  boxed,
  anything,
);

/** A change to one field of a message, anywhere in it (path indexes are taken modulo the choices). */
interface Mutation {
  at: number;
  op: 'remove' | 'replace' | 'add';
  key: string;
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom<Mutation['op']>('remove', 'replace', 'replace', 'replace', 'add'),
  key: fc.oneof(fc.constantFrom('type', 'cid', 'kind', 'module', 'fn', 'args', 'value', 'values', 'n', 'error', 'canceller', 'pid', 'address', 'spec', 'main'), fc.string({ maxLength: 4 })),
  value: replacement,
});

/** Every place in `value` a mutation can reach: the fields of its objects and the items of its arrays. */
function places(value: unknown, path: (string | number)[] = [], found: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      found.push([...path, i]);
      places(item, [...path, i], found);
    });
  } else if (isObject(value) && Object.getPrototypeOf(value) === Object.prototype) {
    for (let key of Object.keys(value)) {
      found.push([...path, key]);
      places(value[key], [...path, key], found);
    }
  }
  return found;
}

/** `message` with `change` applied: a copy (generated values are never changed in place). */
function mutate(message: Shape, change: Mutation): Shape {
  let copy = structuredClone(message);
  let all = places(copy);
  let path = all.length > 0 ? all[change.at % all.length]! : ['type'];
  let parent: unknown = copy;
  for (let step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
  let last = path[path.length - 1]!;
  let holder = parent as Record<string | number, unknown>;
  if (change.op === 'remove') {
    if (Array.isArray(holder)) holder.splice(last as number, 1);
    else delete holder[last];
  } else if (change.op === 'replace') {
    holder[last] = change.value;
  } else if (!Array.isArray(holder)) {
    Object.defineProperty(holder, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Calls to the fixture's own functions, each with one thing changed (which may leave it well-formed). */
const nearMiss: fc.Arbitrary<Shape> = fc
  .tuple(fc.record({ type: fc.constant('call'), cid: cids, kind: fc.constantFrom(...KINDS), module: fc.constant(FIXTURE), fn: fc.constantFrom(...EXPOSED), args: fc.array(anything, { maxLength: 2 }) }), mutation)
  .map(([message, change]) => mutate(message, change));

/** Messages, well-formed or with one thing changed; mostly the latter. */
const messageCase: fc.Arbitrary<Shape> = fc.oneof(
  { arbitrary: wellFormed, weight: 1 },
  { arbitrary: nearMiss, weight: 1 },
  { arbitrary: fc.tuple(wellFormed, mutation).map(([message, change]) => mutate(message, change)), weight: 3 },
  { arbitrary: fc.tuple(wellFormed, mutation, mutation).map(([message, a, b]) => mutate(mutate(message, a), b)), weight: 1 },
);

/**
 * Bytes shaped like msgpack: type bytes (every extension type msgpackr reads included) with
 * lengths and payloads, and pieces of real values, so that garbage gets deep into the reader.
 */
const msgpackish: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 6 }),
      fc
        .tuple(fc.constantFrom(0xd4, 0xd5, 0xd6, 0xc7), fc.constantFrom(0x00, 0x42, 0x4d, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78, 0xff), fc.uint8Array({ maxLength: 8 }))
        .map(([type, ext, rest]) => Uint8Array.from(type === 0xc7 ? [type, rest.length, ext, ...rest] : [type, ext, ...rest])),
      fc.constantFrom(0x80, 0x81, 0x85, 0x90, 0x91, 0x93, 0xa0, 0xa4, 0xc0, 0xc1, 0xc2, 0xc3, 0xcb, 0xd3, 0xdc, 0xde, 0xff).map((byte) => Uint8Array.of(byte)),
      fc.oneof(anything, messageCase).map((value) => encode(value)),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => Buffer.concat(parts));

type Outcome = { kind: 'message'; value: unknown } | { kind: 'error'; error: unknown };

function outcome(attempt: () => unknown): Outcome {
  try {
    return { kind: 'message', value: attempt() };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/** parseMessage returns `value` itself exactly when it is a message, and throws a ProtocolError otherwise. */
function checkParse(value: unknown): void {
  let result = outcome(() => parseMessage(value));
  if (isMessage(value)) {
    check(result.kind === 'error' && `a well-formed message was refused: ${show(value)}: ${String((result as { error: unknown }).error)}`);
    check(result.kind === 'message' && result.value !== value && 'parseMessage returned something other than the message it was given');
    return;
  }
  if (result.kind === 'message') return check(`a malformed message was accepted: ${show(value)}`);
  let error = result.error;
  check(!(error instanceof ProtocolError) && `threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}, not a ProtocolError, for ${show(value)}`);
  check(!(error as Error).message.startsWith('not a harrow message (') && `unexpected message: ${(error as Error).message}`);
}

describe('parseMessage', () => {
  it(`accepts exactly the well-formed messages, with any one or two fields removed, retyped or added (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(messageCase, (message) => {
        let value = decode(encode(message)); // as it arrives
        checkParse(value);
      }),
      params(RUNS),
    );
  }, TIMEOUT);

  it(`refuses with a ProtocolError any value that is not a message (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(anything, (value) => {
        let decoded = decode(encode(value));
        checkParse(decoded);
      }),
      params(RUNS),
    );
  }, TIMEOUT);

  it(`takes whatever msgpackr decodes from garbage (a RegExp, an Error, its 0xc1 marker) (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.oneof(msgpackish, fc.uint8Array({ minLength: 1, maxLength: 30 })), (bytes) => {
        let decoded = outcome(() => decode(bytes));
        if (decoded.kind === 'error') return;
        checkParse(decoded.value);
      }),
      params(RUNS),
    );
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// A real actor under fuzz

function frame(body: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(body.length), body]);
}

/** Whether `message`, as the actor would decode it, is a call that would run one of the fixture's functions. */
function runsUserCode(message: unknown): boolean {
  return isExposedCall(decode(encode(message)));
}

const DIALOG_TYPES = ['call', 'started', 'yield', 'credit', 'close', 'return', 'error', 'cancel', 'cancelled'];
/** Messages the actor must refuse, or answer without running anything: never a call it would run. */
const harmlessMessage = messageCase.filter((message) => !runsUserCode(message));
/**
 * Well-formed messages that keep a connection open: dialog messages for dialogs the actor does
 * not know (dropped), and calls to what it does not expose (answered with an error).
 */
const keepsOpen = wellFormed.filter((message) => DIALOG_TYPES.includes(message.type as string) && !runsUserCode(message));

/** The messages in the frames of `bytes`, as the actor decodes them (up to a frame that breaks the channel). */
function scan(bytes: Uint8Array): unknown[] {
  let messages: unknown[] = [];
  try {
    new FrameDecoder().push(bytes, (message) => messages.push(message));
  } catch {
    // the channel breaks here; what came before it was delivered
  }
  return messages;
}

const isCall = (message: unknown) => isMessage(message) && (message as Shape).type === 'call';
const isExposedCall = (message: unknown) => isCall(message) && (message as Shape).module === FIXTURE && EXPOSED.has((message as Shape).fn as string);

/** A request that the actor stop (what `cancelActor()` through a found portal sends): honoured, so not hostile. */
const isCancelRequest = (message: unknown) => isMessage(message) && (message as Shape).type === 'cancel-actor';

/**
 * Whether the actor may run `bytes` without ever running user code (or being asked to stop): no
 * well-formed call to the fixture's functions and no cancel request in any frame, garbage bytes
 * included. (A call to something it does not expose, answered as the next frame breaks the
 * connection, is in: that once failed the whole tree.)
 */
function harmless(bytes: Uint8Array): boolean {
  return !scan(bytes).some((message) => isExposedCall(message) || isCancelRequest(message));
}

/** What one raw connection sends. */
const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }),
  fc.uint8Array({ minLength: 1, maxLength: 100 }).map(frame),
  msgpackish.map(frame),
  anything.map((value) => frame(encode(value))),
  harmlessMessage.map((message) => frame(encode(message))),
  // A few messages that keep the connection open, then anything at all.
  fc
    .tuple(fc.array(keepsOpen, { minLength: 1, maxLength: 4 }), fc.oneof(fc.constant(new Uint8Array()), harmlessMessage.map((message) => frame(encode(message))), msgpackish.map(frame), fc.uint8Array({ maxLength: 20 })))
    .map(([messages, tail]) => Buffer.concat([...messages.map((message) => frame(encode(message))), tail])),
).filter(harmless);

/**
 * Connect to a Unix socket, write `bytes`, end, and wait until the actor has closed its side
 * too. Whether it connected at all: an actor that stopped listening refuses.
 */
function rawSend(path: string, bytes: Uint8Array): Promise<{ connected: boolean }> {
  return new Promise((resolve) => {
    let connected = false;
    let socket = net.connect({ path });
    socket.on('error', () => {});
    socket.resume(); // the actor's replies are read and dropped
    socket.on('close', () => resolve({ connected }));
    socket.on('connect', () => {
      connected = true;
      socket.end(bytes);
    });
  });
}

interface TargetActor {
  name: string;
  address: string;
  pid: number;
}

/** The root program (test/programs/fuzz-target.ts) and its actors. */
interface Target extends Program {
  actors: TargetActor[];
}

async function startTarget(markers: string): Promise<Target> {
  let program = startProgram(new URL('./programs/fuzz-target.ts', import.meta.url), [], { HARROW_FUZZ_MARKERS: markers }, { stdin: true });
  let { actors } = JSON.parse(await program.nextLine()) as { actors: TargetActor[] };
  return Object.assign(program, { actors });
}

function socketPath(address: string): string {
  return new URL(address).pathname;
}

/** Speak the protocol to `address` over a harrow channel: send `messages`, then collect `count` replies. */
function converse(address: string, messages: unknown[], count: number): Promise<unknown[]> {
  return run(function* (): Operation<unknown[]> {
    let channel = yield* connect(address);
    let replies = yield* channel.messages;
    for (let message of messages) yield* channel.send(message);
    let received: unknown[] = [];
    while (received.length < count) {
      let next = yield* replies.next();
      if (next.done) break;
      received.push(next.value);
    }
    yield* channel.close();
    return received;
  });
}

describe('real actors under fuzz (a process actor and a thread actor)', () => {
  let test = perTest();

  it(`stay up, run no user code and keep serving through ${ACTOR_CASES} hostile connections`, async () => {
    let target = await startTarget(test.dir);
    let exited = false;
    void target.exited.then(() => (exited = true));
    try {
      let [processActor, threadActor] = target.actors;
      expect(processActor!.pid).not.toBe(target.process.pid);
      expect(threadActor!.pid).toBe(target.process.pid);
      let touched = () => readdirSync(test.dir);

      // 1. Hostile connections, each ended right after its bytes: garbage, oversize or cut-off
      // frames, values that are not messages, malformed messages (calls to the fixture's own
      // functions among them), dialog messages for dialogs the actor does not know, calls to
      // what it does not expose (answered), and any of these one after the other.
      await fc.assert(
        fc.asyncProperty(payload, fc.nat(1), async (bytes, which) => {
          let actor = target.actors[which]!;
          let { connected } = await rawSend(socketPath(actor.address), bytes);
          check(!connected && `actor ${actor.name} no longer accepts connections`);
          check(exited && 'the root program exited');
          check(touched().length > 0 && `user code ran: ${touched().join(', ')}`);
          try {
            process.kill(processActor!.pid, 0);
          } catch {
            check(`the process actor (pid ${processActor!.pid}) is gone`);
          }
        }),
        // A failure is reported as it happened, not shrunk: a crashed actor fails every later case.
        { ...params(ACTOR_CASES), endOnFailure: true },
      );

      // 2. Calls to what the actors do not expose, and dialog messages for dialogs they do not
      // know, on one connection each: every call is answered with a ModuleNotExposedError, in
      // order, and the connection still serves a real call afterwards.
      let wrongCalls = fc.sample(keepsOpen, Math.max(20, Math.round(ACTOR_CASES / 10)));
      for (let actor of target.actors) {
        let calls = wrongCalls.filter((message) => message.type === 'call');
        let cids = calls.map((message) => decode(encode(message)) as Shape).map((message) => message.cid);
        let last = { type: 'call', cid: 2 ** 40, kind: 'run', module: FIXTURE, fn: 'identify', args: [1, 2] };
        let replies = (await converse(actor.address, [...wrongCalls, last], calls.length + 1)) as Shape[];
        expect(replies.map((reply) => reply.cid)).toEqual([...cids, last.cid]);
        for (let reply of replies.slice(0, -1)) {
          expect(reply, show(reply)).toMatchObject({ type: 'error', error: { type: 'ModuleNotExposedError' } });
        }
        expect(replies.at(-1)).toEqual({ type: 'return', cid: last.cid, value: { name: actor.name, pid: actor.pid, sum: 3 } });
      }
      expect(touched()).toEqual([]);

      // 3. Through a portal, as a program would: both still serve, in the same processes.
      target.process.stdin!.write('check\n');
      let answer = JSON.parse(await target.nextLine()) as { check?: unknown[]; checkFailed?: string };
      expect(answer.checkFailed).toBeUndefined();
      expect(answer.check).toEqual(target.actors.map((actor, i) => ({ name: actor.name, pid: actor.pid, sum: i + 40 })));
    } finally {
      // Stdin's end ends the program, and with it its actors (also when the test failed).
      target.process.stdin!.end();
      await target.exited;
    }
    expect(await target.exited, target.stderr).toEqual({ code: 0, signal: null });
    // Nothing was logged: no uncaught error, no failed actor, not even a warning.
    expect(target.stderr).toBe('');
    expect(readdirSync(test.dir)).toEqual([]);
  }, TIMEOUT);
});
