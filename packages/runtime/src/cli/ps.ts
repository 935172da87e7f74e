import { all, race, resource, scoped, sleep, spawn, useScope, type Operation } from 'effection';
import { maybeCurrentActor, type Actor } from '../actor/actor.ts';
import { holdFoundPortal, type HeldPortal } from '../discovery/found-portal.ts';
import type { Portal } from '../nursery/portal.ts';
import { queryRegistry } from '../discovery/find.ts';
import { openRoot } from '../discovery/open-root.ts';
import type { RegistryEntry } from '../registry/entry.ts';
import { actorStatus } from '../registry/service.ts';
import { renderTree, type PsRow } from './render.ts';

/**
 * What `harrow ps` does, as `harrow.ts` parsed it from the command line.
 *
 * @example
 * ```ts
 * let options: PsOptions = { registry: 'tcp://10.0.0.5:7357', watch: true, interval: 2000 };
 * ```
 */
export interface PsOptions {
  /** The tree's registry: its root's address (`tcp://host:port`, `ws://…`, or a local `uds://…`). */
  registry: string;
  /** Redraw every `interval` ms until halted (Ctrl-C). */
  watch?: boolean;
  /** ms between frames with `watch`. Default 1000. */
  interval?: number;
  /** ms to wait for the registry to accept us before giving up. Default 5000. */
  timeout?: number;
  /** Where frames go. Default: stdout. */
  write?: (text: string) => void;
}

/** How long each actor has to tell its calls in flight; one that has not is shown with `?`. */
const STATUS_TIMEOUT_MS = 1000;

/**
 * The registry at `address` did not accept us within the time given: nothing answers there, or
 * something that does not speak harrow's protocol.
 *
 * @example
 * ```ts
 * throw new RegistryTimeoutError('tcp://10.0.0.5:7357', 5000);
 * ```
 */
export class RegistryTimeoutError extends Error {
  override name = 'RegistryTimeoutError';
  constructor(
    readonly address: string,
    readonly timeout: number,
  ) {
    super(`no answer from the registry at ${address} within ${timeout} ms`);
  }
}

/** Clear the screen and put the cursor home: what `watch` does between frames on a terminal. */
const CLEAR = '\x1b[H\x1b[2J\x1b[3J';

/**
 * `harrow ps`: join the tree's registry as a root of our own (named `harrow-ps`, which is left
 * out of what is shown), list every actor registered there with the calls each is serving, and
 * print the tree; with `watch`, again every `interval` ms until halted. Fails with the
 * transport's error when the registry cannot be reached or refuses our cookie (`HARROW_COOKIE`),
 * with `RegistryTimeoutError` when it does not answer, and when the registry goes away while
 * watching.
 *
 * @example
 * ```ts
 * await run(() => ps({ registry: 'tcp://127.0.0.1:7357' }));
 * ```
 */
export function* ps(options: PsOptions): Operation<void> {
  let write = options.write ?? ((text: string) => void process.stdout.write(text));
  let clear = process.stdout.isTTY === true;
  let interval = options.interval ?? 1000;
  yield* joined(options.registry, options.timeout ?? 5000);
  let portals = yield* usePortals(maybeCurrentActor()!);
  for (let frame = 0; ; frame++) {
    let rows = yield* snapshot(portals, STATUS_TIMEOUT_MS);
    let lines = renderTree(rows, Date.now());
    if (!options.watch) {
      write(`${lines.join('\n')}\n`);
      return;
    }
    let title = `harrow ps: ${options.registry}, every ${interval} ms, ${new Date().toLocaleTimeString()} (Ctrl-C to stop)`;
    // On a terminal each frame replaces the last; in a pipe or a file they follow one another.
    write(`${clear ? CLEAR : frame > 0 ? '\n' : ''}${title}\n${lines.join('\n')}\n`);
    yield* sleep(interval);
  }
}

/** Open our root, registered with the registry at `address`, or fail within `timeout` ms. */
function* joined(address: string, timeout: number): Operation<void> {
  let timer = yield* spawn(function* () {
    yield* sleep(timeout);
    throw new RegistryTimeoutError(address, timeout);
  });
  yield* openRoot({ name: 'harrow-ps', registry: address });
  yield* timer.halt();
}

/** Every registered actor but ourselves, each with its calls in flight if it told them within `timeout` ms. */
function* snapshot(portals: Portals, timeout: number): Operation<PsRow[]> {
  let entries = (yield* queryRegistry()).filter((entry) => entry.uid !== portals.self.uid);
  portals.keepOnly(new Set(entries.map((entry) => entry.uid)));
  return yield* all(entries.map((entry) => statusOf(entry, portals, timeout)));
}

function* statusOf(entry: RegistryEntry, portals: Portals, timeout: number): Operation<PsRow> {
  let calls = yield* race([
    scoped(function* () {
      try {
        let portal = yield* portals.of(entry);
        return (yield* portal.run(actorStatus)).callsInFlight;
      } catch {
        // Gone since it was listed, or not answering: shown as '?'.
        return undefined;
      }
    }),
    nothingAfter(timeout),
  ]);
  // One that did not answer (stopped, wedged) gets a new connection next frame: calls it never
  // answers would otherwise pile up on this one, a frame at a time.
  if (calls === undefined) portals.drop(entry.uid);
  return calls === undefined ? { ...entry } : { ...entry, callsInFlight: calls };
}

function* nothingAfter(ms: number): Operation<undefined> {
  yield* sleep(ms);
  return undefined;
}

/**
 * The portals `ps` asks for calls in flight, one per actor, kept from frame to frame so that a
 * `--watch` frame costs each actor a call, not a new connection. Each is held by a task of its
 * own in `ps`'s scope, halted once its actor is no longer listed, its connection has ended or it
 * did not answer, and with `ps`.
 */
interface Portals {
  readonly self: Actor;
  /** The portal on `entry`'s actor: the one held, if its connection is up, else a new one. */
  of(entry: RegistryEntry): Operation<Portal>;
  /** Let the portal on this actor go (its connection closes in the background). */
  drop(uid: string): void;
  /** Let the portals on every actor but those in `uids` go. */
  keepOnly(uids: Set<string>): void;
}

function usePortals(self: Actor): Operation<Portals> {
  return resource(function* (provide) {
    let scope = yield* useScope();
    let held = new Map<string, HeldPortal>();
    let drop = (uid: string) => {
      let one = held.get(uid);
      if (!one) return;
      held.delete(uid);
      // Closing a connection waits for the other side (up to its close timeout): not the frame.
      scope.run(() => one.task.halt());
    };
    yield* provide({
      self,
      *of(entry) {
        let one = held.get(entry.uid);
        if (!one) {
          // Unlisted once it ends: its connection is gone, or it could not connect.
          let opened: HeldPortal | undefined;
          opened = holdFoundPortal(scope, entry, self, () => {
            if (opened && held.get(entry.uid) === opened) held.delete(entry.uid);
          });
          held.set(entry.uid, (one = opened));
        }
        // One still connecting is waited for (a frame's timeout bounds the wait).
        return (yield* one.connected).portal;
      },
      drop,
      keepOnly(uids) {
        for (let uid of [...held.keys()]) if (!uids.has(uid)) drop(uid);
      },
    });
  });
}
