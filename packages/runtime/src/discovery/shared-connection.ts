import { createScope, ensure, resource, suspend, withResolvers, type Operation, type WithResolvers } from 'effection';
import type { Actor } from '../actor/actor.ts';
import { openConnection } from '../dialog/connection.ts';
import type { Peer } from '../dialog/peer.ts';

interface Shared {
  ready: WithResolvers<Peer>;
  users: number;
  /** The connection, once open. */
  peer?: Peer;
  destroy(): Operation<void>;
}

/** The connections of this process's found portals, by the actor's uid and address. */
const connections = new Map<string, Shared>();

/**
 * A connection to a found actor, shared by every portal on it in this process for as long as
 * any of their scopes lasts: finding an actor again (a `findActor` per request) costs the
 * registry's answer, not a new connection. It lives in a scope of its own, closed when the last
 * user's scope ends; a connection that broke is replaced for the next user.
 */
export function sharedConnection(key: string, address: string, actor: Actor, brokenWith: (error: Error) => Error): Operation<Peer> {
  return resource(function* (provide) {
    let shared = connections.get(key);
    if (!shared || (shared.peer && !shared.peer.connected)) {
      shared = open(address, actor, brokenWith);
      connections.set(key, shared);
    }
    let mine = shared;
    mine.users++;
    yield* ensure(function* () {
      mine.users--;
      if (mine.users > 0) return;
      if (connections.get(key) === mine) connections.delete(key);
      yield* mine.destroy();
    });
    yield* provide(yield* mine.ready.operation);
  });
}

/** How many connections this process's found portals hold now: a diagnostic, for tests. */
export function sharedConnectionCount(): number {
  return connections.size;
}

function open(address: string, actor: Actor, brokenWith: (error: Error) => Error): Shared {
  let [scope, destroy] = createScope();
  let ready = withResolvers<Peer>();
  let shared: Shared = { ready, users: 0, destroy };
  scope.run(function* keepConnection() {
    try {
      let peer = yield* openConnection(address, actor, { brokenWith });
      shared.peer = peer;
      ready.resolve(peer);
    } catch (error) {
      ready.reject(error as Error);
      return;
    }
    yield* suspend();
  });
  return shared;
}
