import { suspend } from 'effection';
import { currentActor } from '../actor/actor.ts';
import { remote, RUNTIME_MODULE } from '../base/remote.ts';
import type { Context } from '../dialog/context.ts';
import { callsInFlight } from '../dialog/peer.ts';
import { isRegistryEntry, type RegistryEntry } from './entry.ts';
import type { Registry } from './registry.ts';

/*
 * The runtime's own remote functions, under the module name RUNTIME_MODULE, which every actor
 * enables: the registry's (served by the actor that hosts one, the root), and an actor's status.
 */
const runtimeModule = { url: RUNTIME_MODULE } as ImportMeta;

let hosted: Registry | undefined;

/** The runtime's own calls this actor is serving (registrations, waits), which `harrow ps` does not count. */
let ownCalls = 0;

/** This process's actor hosts `registry` (the root), or no longer does. */
export function hostRegistry(registry: Registry | undefined): void {
  hosted = registry;
}

function table(): Registry {
  if (!hosted) throw new Error(`actor '${currentActor().name}' hosts no registry; ask the root actor of the tree`);
  return hosted;
}

/**
 * Register an actor for as long as this dialog lasts: the registering actor keeps it open for
 * its whole life, so that its exit, or the end of its connection, removes the entry.
 */
export const registerActor = remote(runtimeModule, function* registerActor(ctx: Context<never, never, void>, entry: RegistryEntry) {
  if (!isRegistryEntry(entry)) throw new TypeError('registerActor: not a registry entry');
  let registry = table();
  registry.add(entry);
  ownCalls++;
  try {
    yield* ctx.started();
    yield* suspend();
  } finally {
    ownCalls--;
    registry.remove(entry);
  }
});

/** Every registered actor, in the order they registered. */
export const listActors = remote(runtimeModule, function listActors(): RegistryEntry[] {
  return table().list();
});

/** The most recently registered actor of a name, if any. */
export const findEntry = remote(runtimeModule, function findEntry(name: string): RegistryEntry | null {
  return table().find(name) ?? null;
});

/** The most recently registered actor of a name, once there is one. */
export const awaitEntry = remote(runtimeModule, function* awaitEntry(name: string) {
  ownCalls++;
  try {
    return yield* table().waitFor(name);
  } finally {
    ownCalls--;
  }
});

/** What `harrow ps` shows of an actor besides its registry entry. */
export interface ActorStatus {
  callsInFlight: number;
}

/**
 * This actor's status, asked by `harrow ps`: the calls it serves, not the runtime's own (nor
 * this one, a synchronous function, never counted).
 */
export const actorStatus = remote(runtimeModule, function actorStatus(): ActorStatus {
  return { callsInFlight: callsInFlight() - ownCalls };
});
