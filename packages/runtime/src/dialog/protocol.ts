import { ProtocolError } from '@harrow/transport';
import type { ActorRef, BoxedError } from '../base/errors.ts';
import type { DebugSettings } from '../actor/debug-port.ts';

/*
 * The messages actors exchange. Every message is a plain object with a `type` tag; the ones of
 * a dialog (one call and everything it leads to) also carry the call id `cid`. Each side of a
 * connection numbers its own calls with its own parity (the spawner even, the spawned odd), so
 * one table of dialogs serves both directions; cid 0 is the main function of a `runInActor`
 * actor. Field names are chosen so a codec error names a useful path: `args[1].cb is a function`.
 */

/** What a spawned actor is told to be. */
export interface SpawnSpec {
  name: string;
  uid: string;
  parent: ActorRef & { address: string };
  /** Directory of the tree's Unix sockets. */
  treeDir: string;
  /** Module URLs the actor imports and allows calls into. */
  enableModules: string[];
  loglevel: string;
  /**
   * For `runInActor`: the function to run as the actor's main (answered on cid 0). `module` is
   * null for a function that is not `remote()`-marked, which the actor then refuses.
   */
  main?: { module: string | null; fn: string; args: unknown[] };
  /** Debugging in the tree: crash mode for this actor, the root's terminal hub (`@harrow/debugger`). */
  debug?: DebugSettings;
  /** The addresses of the tree's registry (any one will do), which the actor registers with once it listens. */
  registry?: string[];
  /** Addresses to listen on besides its Unix socket (`tcp://host:0`), where the tree listens on TCP or WebSocket. */
  listen?: string[];
}

/** How a call is to be run: an RPC, a stream source, or a context dialog. */
export type CallKind = 'run' | 'stream' | 'context';

export type Message =
  // actor level: the spawn handshake and shutdown
  | { type: 'booted'; pid: number }
  /** The first message of an actor on another host, on the connection it dials back over: which spawn it is. */
  | { type: 'dial-back'; token: string; pid: number }
  | { type: 'spawn'; spec: SpawnSpec }
  | { type: 'ready'; pid: number; address: string; host: string }
  | { type: 'boot-failed'; error: BoxedError }
  | { type: 'cancel-actor'; canceller: string }
  /** From a child to its parent: another actor asked it to stop (cancel-actor over a connection of its own); the parent stops it. */
  | { type: 'cancel-requested'; canceller: string }
  /** The actor's own teardown failed (a cleanup threw): reported before it exits. */
  | { type: 'failed'; error: BoxedError }
  // dialog level
  | { type: 'call'; cid: number; kind: CallKind; module: string | null; fn: string; args: unknown[] }
  | { type: 'started'; cid: number; value: unknown }
  /** Stream items: the ones a side sent within one tick travel together. */
  | { type: 'yield'; cid: number; values: unknown[] }
  | { type: 'credit'; cid: number; n: number }
  | { type: 'close'; cid: number }
  | { type: 'return'; cid: number; value: unknown }
  | { type: 'error'; cid: number; error: BoxedError }
  | { type: 'cancel'; cid: number; canceller: string }
  | { type: 'cancelled'; cid: number };

export type DialogMessage = Extract<Message, { cid: number }>;
export type ActorMessage = Exclude<Message, { cid: number }>;

/**
 * Check that a decoded value is a protocol message. Anything else is a `ProtocolError`, which
 * closes the connection it came on (and nothing else).
 */
export function parseMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null) throw bad(value, 'not an object');
  let message = value as Record<string, unknown>;
  switch (message.type) {
    case 'yield':
      return cid(message) && Array.isArray(message.values) ? (message as Message) : fail(message);
    case 'return':
    case 'started':
      return cid(message) && 'value' in message ? (message as Message) : fail(message);
    case 'call':
      return cid(message) && isKind(message.kind) && (message.module === null || typeof message.module === 'string') &&
          typeof message.fn === 'string' && Array.isArray(message.args)
        ? (message as Message)
        : fail(message);
    case 'credit':
      return cid(message) && Number.isInteger(message.n) && (message.n as number) > 0 ? (message as Message) : fail(message);
    case 'close':
    case 'cancelled':
      return cid(message) ? (message as Message) : fail(message);
    case 'cancel':
      return cid(message) && typeof message.canceller === 'string' ? (message as Message) : fail(message);
    case 'error':
      return cid(message) && isBoxedError(message.error) ? (message as Message) : fail(message);
    case 'booted':
      return Number.isInteger(message.pid) ? (message as Message) : fail(message);
    case 'dial-back':
      return typeof message.token === 'string' && Number.isInteger(message.pid) ? (message as Message) : fail(message);
    case 'ready':
      return Number.isInteger(message.pid) && typeof message.address === 'string' && typeof message.host === 'string' ? (message as Message) : fail(message);
    case 'boot-failed':
    case 'failed':
      return isBoxedError(message.error) ? (message as Message) : fail(message);
    case 'cancel-actor':
    case 'cancel-requested':
      return typeof message.canceller === 'string' ? (message as Message) : fail(message);
    case 'spawn':
      return isSpawnSpec(message.spec) ? (message as Message) : fail(message);
    default:
      throw bad(value, `unknown message type ${shown(message.type)}`);
  }
}

function cid(message: Record<string, unknown>): boolean {
  return Number.isInteger(message.cid) && (message.cid as number) >= 0;
}

function isKind(kind: unknown): kind is CallKind {
  return kind === 'run' || kind === 'stream' || kind === 'context';
}

function isRef(value: unknown): value is ActorRef {
  let ref = value as ActorRef;
  return typeof value === 'object' && value !== null && typeof ref.name === 'string' && typeof ref.uid === 'string';
}

function isBoxedError(value: unknown): value is BoxedError {
  let error = value as BoxedError;
  return typeof value === 'object' && value !== null && typeof error.type === 'string' &&
    typeof error.message === 'string' && typeof error.stack === 'string' && isRef(error.src) &&
    Array.isArray(error.relay) && error.relay.every(isRef) &&
    (error.data === undefined || isPlainRecord(error.data)) &&
    (error.cause === undefined || isBoxedError(error.cause)) &&
    (error.canceller === undefined || typeof error.canceller === 'string') &&
    (error.errors === undefined || (Array.isArray(error.errors) && error.errors.every(isBoxedError)));
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isSpawnSpec(value: unknown): value is SpawnSpec {
  let spec = value as SpawnSpec;
  return typeof value === 'object' && value !== null && typeof spec.name === 'string' && typeof spec.uid === 'string' &&
    isRef(spec.parent) && typeof spec.parent.address === 'string' && typeof spec.treeDir === 'string' &&
    Array.isArray(spec.enableModules) && spec.enableModules.every((module) => typeof module === 'string') &&
    typeof spec.loglevel === 'string' && (spec.main === undefined || isMain(spec.main)) &&
    (spec.debug === undefined || isDebug(spec.debug)) && (spec.registry === undefined || isStrings(spec.registry)) &&
    (spec.listen === undefined || isStrings(spec.listen));
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isMain(value: unknown): value is NonNullable<SpawnSpec['main']> {
  let main = value as NonNullable<SpawnSpec['main']>;
  return typeof value === 'object' && value !== null && (main.module === null || typeof main.module === 'string') &&
    typeof main.fn === 'string' && Array.isArray(main.args);
}

function isDebug(value: unknown): value is DebugSettings {
  let debug = value as DebugSettings;
  return typeof value === 'object' && value !== null && typeof debug.mode === 'boolean' &&
    (debug.hub === undefined || typeof debug.hub === 'string') && (debug.entry === undefined || typeof debug.entry === 'string');
}

function fail(message: Record<string, unknown>): never {
  throw bad(message, `malformed ${String(message.type)} message`);
}

function bad(value: unknown, why: string): ProtocolError {
  return new ProtocolError(`not a harrow message (${why}): ${shown(value)}`);
}

/** A short rendering of any decoded value, for a message; never throws. */
function shown(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${item}n` : item))?.slice(0, 200) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
