import { parseAddress } from '@harrow/transport';
import { ensure, resource, type Operation } from 'effection';
import type { ActorInfo } from '../actor/actor.ts';
import { startRootActor } from '../nursery/root.ts';

/** Options of `openRoot` (API.md §7). */
export interface RootOptions {
  /** The root actor's name. Default `'root'`. */
  name?: string;
  /**
   * Addresses to listen on besides the tree's Unix socket: `tcp://host:port`,
   * `ws://host:port/path`; port 0 picks a free one (the root's `addresses` tell which). Needs a
   * cookie. The root's children then listen on the same hosts too, on ports of their own.
   */
  listen?: string[];
  /**
   * The address of another tree's registry (its root's `address`): this program's actors
   * register there instead of in a registry of its own, so that they and that tree's actors
   * find each other by name.
   */
  registry?: string;
  /** The tree's shared secret for connections other than local Unix sockets. Default `HARROW_COOKIE`. */
  cookie?: string;
}

/** What `openRoot` gives: the root actor, with every address it listens on. */
export interface RootActor extends ActorInfo {
  /** Its Unix socket first, then each of `listen`'s, with the ports the system picked. */
  addresses: string[];
}

/**
 * Set up this process's root actor explicitly, for as long as the current scope lasts (a
 * resource): its name, extra listening addresses, the registry it joins, the cookie. Without
 * it, the first nursery opens a root with the defaults. It must come before the first nursery.
 *
 * Listening on TCP or WebSocket, or joining a registry over them, needs a cookie: without one it
 * is an error here. The cookie reaches the tree's actors through their environment
 * (`HARROW_COOKIE`), never their command line.
 *
 * @example
 * ```ts
 * const root = yield* openRoot({ name: 'hub', listen: ['tcp://127.0.0.1:0'], cookie: 'a long random secret' });
 * console.log(`registry at ${root.address}`);
 * const nursery = yield* openNursery();
 * ```
 */
export function openRoot(options: RootOptions = {}): Operation<RootActor> {
  return resource(function* (provide) {
    let cookie = options.cookie ?? process.env.HARROW_COOKIE;
    let listen = options.listen ?? [];
    if (!Array.isArray(listen)) throw new TypeError('openRoot: listen must be an array of addresses');
    for (let address of [...listen, ...(options.registry ? [options.registry] : [])]) {
      let kind = parseAddress(address).kind;
      if (kind !== 'uds' && !cookie) {
        throw new Error(
          `openRoot: ${address} is a ${kind} address, and connections over ${kind} must authenticate: give a cookie (the cookie option, or HARROW_COOKIE in the environment)`,
        );
      }
    }
    let inherited = process.env.HARROW_COOKIE;
    if (cookie !== undefined) process.env.HARROW_COOKIE = cookie;
    yield* ensure(() => {
      if (inherited === undefined) delete process.env.HARROW_COOKIE;
      else process.env.HARROW_COOKIE = inherited;
    });
    let release: (() => Operation<void>) | undefined;
    yield* ensure(function* () {
      if (release) yield* release();
    });
    let actor = yield* startRootActor(
      { name: options.name ?? 'root', listen: listen.map(String), registry: options.registry },
      (releaseRoot) => (release = releaseRoot),
    );
    yield* provide({ ...actor.info(), addresses: [...actor.addresses] });
  });
}
