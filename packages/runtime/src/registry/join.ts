import type { Operation } from 'effection';
import type { Actor } from '../actor/actor.ts';
import { openConnection } from '../dialog/connection.ts';
import type { Peer } from '../dialog/peer.ts';
import { remoteRegistry, setActorRegistry } from './client.ts';
import { entryOf } from './entry.ts';

/**
 * Register `actor` with the registry at one of `addresses` (the first that answers) for as long
 * as the current scope lasts, over a connection that also serves its lookups (`findActor`,
 * `waitForActor`, `queryRegistry`): `via` when it is already open to the actor that hosts the
 * registry (a child's channel to its parent, the root), else one of its own. The entry goes
 * when the scope ends, or when that connection breaks.
 */
export function* joinRegistry(actor: Actor, addresses: string[], via?: Peer): Operation<void> {
  let peer = via ?? (yield* connectFirst(addresses, actor));
  let client = remoteRegistry(peer);
  yield* client.register(entryOf(actor));
  setActorRegistry(client);
}

/** A connection to the first of `addresses` that accepts one; else the last one's error. */
function* connectFirst(addresses: string[], actor: Actor): Operation<Peer> {
  let failure: unknown = new Error('no address to connect to');
  for (let address of addresses) {
    try {
      return yield* openConnection(address, actor);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
