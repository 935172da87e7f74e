import { race, sleep, useScope, type Operation, type Scope } from 'effection';
import { maybeCurrentActor, type Actor } from '../actor/actor.ts';
import { TimeoutError } from '../base/errors.ts';
import type { Portal } from '../nursery/portal.ts';
import { actorRegistry, type RegistryClient } from '../registry/client.ts';
import type { RegistryEntry } from '../registry/entry.ts';
import { holdFoundPortal, type FoundPortal } from './found-portal.ts';

/**
 * Every actor registered in the tree's registry (API.md §7), in the order they registered:
 * `{ name, uid, pid, host, address, addresses, parent?, since }`. Works from any actor of the
 * tree, at any depth.
 *
 * @example
 * ```ts
 * for (const { name, pid, host } of yield* queryRegistry()) console.log(`${name} ${pid}@${host}`);
 * ```
 */
export function* queryRegistry(): Operation<RegistryEntry[]> {
  return yield* registry().list();
}

/**
 * A portal on the most recently registered actor named `name`, or `undefined` if none is
 * registered. The portal's connection closes when the current scope ends; it never owns the
 * actor's lifetime (`cancelActor()` asks it to stop).
 *
 * @example
 * ```ts
 * const db = yield* findActor('db');
 * if (db) console.log(yield* db.run(lookup, 'key'));
 * ```
 */
export function* findActor(name: string): Operation<Portal | undefined> {
  let client = registry();
  let entry = yield* client.find(name);
  return entry ? yield* reach(client, name, entry) : undefined;
}

/** Options of `waitForActor`. */
export interface WaitForActorOptions {
  /** Give up after this many ms with a `TimeoutError` naming the actor. Default: wait without end. */
  timeout?: number;
}

/**
 * A portal on the most recently registered actor named `name`, suspending until one registers
 * (tractor's `wait_for_actor`). With `timeout`, a `TimeoutError` naming the actor once it has
 * elapsed. The portal is scoped like `findActor`'s.
 *
 * @example
 * ```ts
 * const db = yield* waitForActor('db', { timeout: 5000 });
 * yield* db.run(store, 'key', 'value');
 * ```
 */
export function* waitForActor(name: string, options: WaitForActorOptions = {}): Operation<Portal> {
  let client = registry();
  let { timeout } = options;
  if (timeout !== undefined && !(timeout >= 0)) throw new TypeError(`waitForActor: timeout must be a number of ms >= 0, got ${timeout}`);
  while (true) {
    let entry = timeout === undefined ? yield* client.waitFor(name) : yield* race([client.waitFor(name), timedOut(name, timeout)]);
    let portal = yield* reach(client, name, entry);
    if (portal) return portal;
    // It exited before it could be reached, and no other has that name: wait for the next one.
  }
}

/**
 * A portal on `entry`. If it cannot be reached because it exited since it was found, one on
 * the actor registered under `name` now, if any; an actor still registered that cannot be
 * reached is the connection's error.
 */
function* reach(client: RegistryClient, name: string, entry: RegistryEntry): Operation<Portal | undefined> {
  let current: RegistryEntry | undefined = entry;
  while (current) {
    try {
      return yield* portalIn(current);
    } catch (error) {
      let again: RegistryEntry | undefined = yield* client.find(name);
      if (again?.uid === current.uid) throw error;
      current = again;
    }
  }
  return undefined;
}

/** The found portals of each scope, so that finding the same actor again in a scope costs no new resource. */
const foundIn = new WeakMap<Scope, Map<string, FoundPortal>>();

/**
 * A portal on `entry` for the current scope: the one this scope already holds on it, if its
 * connection is still up, else a new one (~100 µs: as much as the registry's answer, so a loop
 * that looks an actor up per request would pay it every time). It is listed for the scope while
 * its connection lasts (`holdFoundPortal`).
 */
function* portalIn(entry: RegistryEntry): Operation<Portal> {
  let scope = yield* useScope();
  const held = foundIn.get(scope) ?? new Map<string, FoundPortal>();
  foundIn.set(scope, held);
  let key = `${entry.uid} ${entry.address}`;
  let found = held.get(key);
  if (found?.peer.connected) return found.portal;
  let fresh: FoundPortal | undefined;
  let holding = holdFoundPortal(scope, entry, thisActor(), () => {
    if (fresh && held.get(key) === fresh) held.delete(key);
  });
  fresh = yield* holding.connected;
  held.set(key, fresh);
  return fresh.portal;
}

function* timedOut(name: string, timeout: number): Operation<never> {
  yield* sleep(timeout);
  throw new TimeoutError(name, timeout);
}

function registry(): RegistryClient {
  let client = actorRegistry();
  if (!client) {
    throw new Error('this process has no registry yet: open a nursery (or call openRoot()) first; in a spawned actor, its registry is the tree root\'s');
  }
  return client;
}

function thisActor(): Actor {
  let actor = maybeCurrentActor();
  if (!actor) throw new Error('this actor is still starting; find actors from remote functions, not at module top level');
  return actor;
}
