import { isMainThread } from 'node:worker_threads';
import type { Actor } from '../actor/actor.ts';
import type { ActorRef } from '../base/errors.ts';

/**
 * One actor as the registry lists it (API.md §7): who it is, where it runs, and the addresses
 * other actors reach it by.
 *
 * @example
 * ```ts
 * for (const entry of yield* queryRegistry()) console.log(entry.name, entry.host, entry.address);
 * ```
 */
export interface RegistryEntry {
  name: string;
  uid: string;
  pid: number;
  /** The machine's hostname. */
  host: string;
  /** The address others reach it by: a TCP (WebSocket) one where it listens on one, else its Unix socket. */
  address: string;
  /** Every address it listens on, its Unix socket first. */
  addresses: string[];
  /** The actor that started it; none for a tree's root. */
  parent?: ActorRef;
  /** When the actor started, in ms since the epoch. */
  since: number;
  /** A thread actor: it shares `pid` with the process it runs in. */
  thread?: boolean;
}

/** Whether a decoded value is a registry entry (a registration comes from another program). */
export function isRegistryEntry(value: unknown): value is RegistryEntry {
  let entry = value as RegistryEntry;
  return typeof value === 'object' && value !== null && typeof entry.name === 'string' && typeof entry.uid === 'string' &&
    Number.isInteger(entry.pid) && typeof entry.host === 'string' && typeof entry.address === 'string' &&
    Array.isArray(entry.addresses) && entry.addresses.every((address) => typeof address === 'string') &&
    (entry.parent === undefined || (typeof entry.parent?.name === 'string' && typeof entry.parent?.uid === 'string')) &&
    typeof entry.since === 'number' && (entry.thread === undefined || typeof entry.thread === 'boolean');
}

/** The registry entry of an actor of this process. */
export function entryOf(actor: Actor): RegistryEntry {
  let entry: RegistryEntry = {
    name: actor.name,
    uid: actor.uid,
    pid: actor.pid,
    host: actor.host,
    address: actor.address,
    addresses: [...actor.addresses],
    since: actor.since,
  };
  if (actor.parent) entry.parent = { name: actor.parent.name, uid: actor.parent.uid };
  if (!isMainThread) entry.thread = true;
  return entry;
}
