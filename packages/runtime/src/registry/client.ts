import { resource, type Operation } from 'effection';
import { callContext } from '../dialog/context.ts';
import type { Peer } from '../dialog/peer.ts';
import { runCall } from '../dialog/run.ts';
import type { RegistryEntry } from './entry.ts';
import type { Registry } from './registry.ts';
import { awaitEntry, findEntry, listActors, registerActor } from './service.ts';

/**
 * How an actor reaches its tree's registry: the table itself in the root that hosts it, or a
 * connection to the actor that does (every other actor, and a root that joined another tree's
 * registry).
 */
export interface RegistryClient {
  list(): Operation<RegistryEntry[]>;
  find(name: string): Operation<RegistryEntry | undefined>;
  waitFor(name: string): Operation<RegistryEntry>;
  /** Keep `entry` registered for as long as the current scope lasts. */
  register(entry: RegistryEntry): Operation<void>;
}

/** The registry of a root that hosts it. */
export function localRegistry(registry: Registry): RegistryClient {
  return {
    *list() {
      return registry.list();
    },
    *find(name) {
      return registry.find(name);
    },
    waitFor: (name) => registry.waitFor(name),
    register(entry) {
      return resource(function* (provide) {
        registry.add(entry);
        try {
          yield* provide();
        } finally {
          registry.remove(entry);
        }
      });
    },
  };
}

/** The registry hosted by the actor at the other end of `peer`. */
export function remoteRegistry(peer: Peer): RegistryClient {
  return {
    *list() {
      return (yield* runCall(peer, listActors, [])) as RegistryEntry[];
    },
    *find(name) {
      return ((yield* runCall(peer, findEntry, [name])) as RegistryEntry | null) ?? undefined;
    },
    *waitFor(name) {
      return (yield* runCall(peer, awaitEntry, [name])) as RegistryEntry;
    },
    register(entry) {
      return resource(function* (provide) {
        yield* callContext(peer, registerActor, [entry], function* (dialog) {
          try {
            // Not waited for: the registry drops the entry when the cancellation reaches it, or
            // when this connection ends, and an actor that is stopping has its own cleanups and
            // its children's to get to within its parent's cancel timeout, not a round trip to
            // the root, the busiest process of a tree that is being torn down.
            yield* dialog.close(0);
          } catch {
            // The registry is gone: there is no entry left to remove.
          }
        });
        yield* provide();
      });
    },
  };
}

let current: RegistryClient | undefined;

/** This actor's way to its tree's registry, once it has one. */
export function actorRegistry(): RegistryClient | undefined {
  return current;
}

export function setActorRegistry(client: RegistryClient | undefined): void {
  current = client;
}
