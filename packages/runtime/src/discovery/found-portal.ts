import { resource, sleep, withResolvers, type Operation, type Scope, type Task } from 'effection';
import { networkAddresses, type Actor } from '../actor/actor.ts';
import { BrokenActorError } from '../base/errors.ts';
import { sharedConnection } from './shared-connection.ts';
import type { Peer } from '../dialog/peer.ts';
import { createPortal, type Portal } from '../nursery/portal.ts';
import type { RegistryEntry } from '../registry/entry.ts';

/** A portal on a found actor, and the connection it goes over. */
export interface FoundPortal {
  portal: Portal;
  peer: Peer;
}

/** How long a found portal's stream and context dialogs wait for a cancellation to be confirmed. */
const CANCEL_TIMEOUT_MS = 1000;

/**
 * A portal on an actor found in the registry, for as long as the current scope lasts, over a
 * connection that the portals on the same actor in this process share (shared-connection.ts). It
 * never owns the actor's lifetime: leaving the scope only lets go of the connection. `cancelActor()` asks the actor to stop (its parent then runs its cancel ladder,
 * so the actor is gone within the ladder's bound) and waits until it has.
 */
export function connectPortal(entry: RegistryEntry, actor: Actor): Operation<FoundPortal> {
  return resource(function* (provide) {
    let ref = { name: entry.name, uid: entry.uid };
    let here = entry.host === actor.host;
    let address = reachBy(entry, here);
    let peer = yield* sharedConnection(`${entry.uid} ${address}`, address, actor, (error) => new BrokenActorError(ref, null, null, `is gone (its connection ended: ${error.message})`));
    peer.remote = ref;
    let portal = createPortal({
      peer,
      cancelTimeout: CANCEL_TIMEOUT_MS,
      actor: { name: entry.name, uid: entry.uid, pid: entry.pid, address: entry.address, host: entry.host },
      *result() {
        throw new TypeError(`actor '${entry.name}' was found in the registry; only the nursery that started a runInActor actor has its result`);
      },
      *cancelActor(options) {
        if (!peer.connected) return;
        if (options.hard) throw new TypeError('cancelActor({ hard: true }) is for the nursery that started the actor; a found portal can only ask it to stop');
        peer.post({ type: 'cancel-actor', canceller: actor.uid });
        // Its end of the connection closes as it exits; a process on this machine is then
        // waited for until it is gone (its parent reaps it at once).
        yield* peer.gone();
        if (here && !entry.thread) yield* processGone(entry.pid);
      },
    });
    yield* provide({ portal, peer });
  });
}

/** A found portal held by a task (`holdFoundPortal`). */
export interface HeldPortal {
  /** Settles once connected, with the portal, or with why it could not connect. */
  readonly connected: Operation<FoundPortal>;
  /** The task that holds it: halting it lets the portal go (its connection closes in its own time). */
  readonly task: Task<void>;
}

/**
 * `connectPortal` held by a task of `scope` rather than by the scope itself, so that a long-lived
 * scope can let found portals go one at a time: the task ends once the connection is gone (or it
 * could not connect), or when it is halted; `ended` is told then. A scope that finds each new
 * incarnation of a restarting actor, or `harrow ps --watch`, thus keeps only live ones.
 */
export function holdFoundPortal(scope: Scope, entry: RegistryEntry, actor: Actor, ended: () => void): HeldPortal {
  let ready = withResolvers<FoundPortal>();
  let task = scope.run(function* holdFoundPortal() {
    try {
      let found = yield* connectPortal(entry, actor);
      ready.resolve(found);
      yield* found.peer.gone();
    } catch (error) {
      ready.reject(error as Error);
    } finally {
      ended();
    }
  });
  return { connected: ready.operation, task };
}

/**
 * The address to reach an actor by: its Unix socket when it runs on this machine (`here`), else the
 * first TCP or WebSocket address it listens on.
 */
function reachBy(entry: RegistryEntry, here: boolean): string {
  let local = here ? entry.addresses.find((address) => address.startsWith('uds:')) : undefined;
  return local ?? networkAddresses(entry.addresses)[0] ?? entry.address;
}

/** How often a found actor's process is checked after its connection ended, and for how long at most. */
const EXIT_POLL_MS = 5;
const EXIT_POLL_LIMIT_MS = 5000;

function* processGone(pid: number): Operation<void> {
  // Not our child: there is no exit event to wait for, only whether the pid still exists.
  for (let waited = 0; waited < EXIT_POLL_LIMIT_MS && exists(pid); waited += EXIT_POLL_MS) yield* sleep(EXIT_POLL_MS);
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
