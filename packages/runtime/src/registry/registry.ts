import { action, type Operation } from 'effection';
import type { RegistryEntry } from './entry.ts';

/**
 * The table of a tree's actors, hosted by its root (tractor's registrar): entries in the order
 * they registered, and the waits for a name that has none yet.
 */
export class Registry {
  private entries = new Map<string, RegistryEntry>();
  private waiters = new Set<{ name: string; wake(entry: RegistryEntry): void }>();

  /** Add (or, for a uid already there, replace and move last) an entry, and wake the waits for its name. */
  add(entry: RegistryEntry): void {
    this.entries.delete(entry.uid);
    this.entries.set(entry.uid, entry);
    for (let waiter of [...this.waiters]) if (waiter.name === entry.name) waiter.wake(entry);
  }

  /** Remove `entry`, if it is still the one registered under its uid. */
  remove(entry: RegistryEntry): void {
    if (this.entries.get(entry.uid) === entry) this.entries.delete(entry.uid);
  }

  list(): RegistryEntry[] {
    return [...this.entries.values()];
  }

  /** The most recently registered actor of that name. */
  find(name: string): RegistryEntry | undefined {
    let found: RegistryEntry | undefined;
    for (let entry of this.entries.values()) if (entry.name === name) found = entry;
    return found;
  }

  /** The most recently registered actor of that name, suspending until there is one. */
  *waitFor(name: string): Operation<RegistryEntry> {
    let found = this.find(name);
    if (found) return found;
    return yield* action<RegistryEntry>((resolve) => {
      let waiter = { name, wake: resolve };
      this.waiters.add(waiter);
      return () => this.waiters.delete(waiter);
    });
  }
}
