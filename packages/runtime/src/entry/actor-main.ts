import { ProtocolError, TransportError, listen, type Channel } from '@harrow/transport';
import { createScope, ensure, race, run, spawn, until, withResolvers, type Operation, type WithResolvers } from 'effection';
import { join } from 'node:path';
import { Actor, maybeCurrentActor, setCurrentActor } from '../actor/actor.ts';
import { logLevel } from '../actor/log.ts';
import { box, keepLongStacks } from '../base/boxing.ts';
import { haltSoon } from '../actor/halt.ts';
import { Peer } from '../dialog/peer.ts';
import { writeStderrStraight } from '../spawn/stderr.ts';
import { parseMessage, type SpawnSpec } from '../dialog/protocol.ts';
import { importEnabled, importError } from '../base/modules.ts';
import { markNotRoot } from '../base/remote.ts';
import { fail, serveRun } from '../dialog/run.ts';
import { serveAddress, serveCall, serveListener } from '../dialog/serve.ts';
import { joinRegistry } from '../registry/join.ts';
import { closeDefaultPool } from '../worker-pool/run-sync.ts';
import { loadDebugger, setDebugSettings } from '../actor/debug-port.ts';

/**
 * Run this process (or thread) as a spawned actor over `channel` to its parent, and resolve
 * with the exit code. A signal (SIGTERM, SIGINT) stops it gracefully, exit code 143; a signal
 * that arrives while it is already stopping (the parent's cancel ladder escalating past a
 * cancel request that is taking too long) ends the process at once: effection cannot halt a
 * task twice, and the actor's own children notice through their lifelines.
 */
export async function runSpawnedActor(channel: Channel | (() => Operation<Channel>), options: SpawnedOptions): Promise<number> {
  markNotRoot();
  keepLongStacks();
  let task = run(function* () {
    return yield* actorMain(typeof channel === 'function' ? yield* channel() : channel, options);
  });
  let signalled = false;
  let stop = () => {
    if (signalled || maybeCurrentActor()?.shuttingDown) process.exit(143);
    signalled = true;
    haltSoon(task);
  };
  if (options.signals) {
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }
  try {
    return await task;
  } catch (error) {
    if (signalled) return 143;
    process.stderr.write(`harrow actor failed: ${(error as Error)?.stack ?? error}\n`);
    return 1;
  }
}

/** How a spawned actor runs, besides its spawn spec. */
export interface SpawnedOptions {
  /** Stop gracefully on SIGTERM and SIGINT (a process actor; a thread's process is not its own). */
  signals: boolean;
  /** Its own directory for its Unix sockets, instead of its tree's (an actor on another host). */
  treeDir?: string;
  /** Addresses to listen on besides its spec's (an actor on another host: where it is reachable). */
  listen?: string[];
}

/** How long a child waits for its spawn spec before it takes itself for a spare (see actorMain). */
const SPARE_WARM_AFTER_MS = 50;

/**
 * The life of a spawned actor: announce itself, take its spawn spec (a spare waits here until
 * it is needed), import its enabled modules, listen, report ready, then serve calls until the
 * parent asks it to stop, its main function (runInActor) returns, or the parent disappears.
 * Everything it runs, nested nurseries included, is torn down before it returns.
 */
function* actorMain(channel: Channel, options: SpawnedOptions): Operation<number> {
  yield* ensure(() => channel.close());
  // Its runSync workers (and their sentinel) go before it does, once its calls have stopped.
  yield* ensure(() => closeDefaultPool());
  channel.post({ type: 'booted', pid: process.pid });
  let inbox = yield* channel.messages;
  // A spare may wait here for long. Meanwhile it loads the rest of the runtime (index.ts and all
  // it imports, each module through tsx's hooks), which the modules it will enable import anyway,
  // so that taking a spare costs only those modules (~20 ms less here). A child started for a
  // spawn has its spec waiting and skips this, so an actor that enables no module does not pay.
  let warm = setTimeout(() => void import('../index.ts').catch(() => {}), SPARE_WARM_AFTER_MS);
  let first = yield* inbox.next();
  clearTimeout(warm);
  if (first.done) return 0; // a spare that was never used
  let message = parseMessage(first.value);
  if (message.type !== 'spawn') throw new ProtocolError(`expected a spawn spec, got ${message.type}`);
  let spec = { ...message.spec, ...(options.treeDir ? { treeDir: options.treeDir } : {}) };
  if (options.listen) spec.listen = [...(spec.listen ?? []), ...options.listen];

  let [calls, destroyCalls] = createScope();
  yield* ensure(function* () {
    try {
      // Calls run as tasks answer from inside, as they stop (dialog/served-task.ts). An async
      // function that has settled answers from a promise callback: one turn of the microtask
      // queue lets it, before the connection closes. One still running cannot be stopped, and
      // its caller hears that this actor was cancelled.
      yield* destroyCalls();
      yield* actor.settleHalts();
      yield* until(Promise.resolve());
    } catch (error) {
      // A cleanup that threw while this actor stopped is a failure its parent must hear of.
      actor.reportFailure(error);
      throw error;
    }
  });
  let actor = new Actor(spec.name, spec.uid, spec.parent, spec.treeDir, calls, logLevel(spec.loglevel));
  actor.reportFailure = (error) => {
    if (!channel.closed) channel.post({ type: 'failed', error: box(error, actor.ref) });
  };
  setCurrentActor(actor);

  // The parent is watched from here on, before anything of the user's is imported: a module
  // whose import never finishes must not keep this actor alive past its parent, nor past a
  // cancel request.
  let stop = withResolvers<void>();
  actor.onShutdown(() => stop.resolve());
  let parent = new Peer(channel, {
    actor,
    parity: 1,
    serve: serveCall,
    control(message) {
      if (message.type !== 'cancel-actor') throw new ProtocolError(`unexpected ${message.type} message from the parent`);
      actor.log.debug({ canceller: message.canceller }, 'cancel requested');
      actor.shutdown();
    },
  });
  parent.remote = spec.parent;
  yield* spawn(function* readParent() {
    yield* parent.runUntilBroken(() => new TransportError(`the parent of '${actor.name}' is gone`));
    // The parent is gone (or broke the protocol): that is a cancel.
    actor.shutdown();
  });

  // Crash mode needs its debugger thread ready before anything can fail; without a terminal
  // in the tree (no hub) there is nothing to show a post-mortem in.
  setDebugSettings(spec.debug ?? { mode: false });
  if (spec.debug?.mode && spec.debug.entry && spec.debug.hub) {
    try {
      let hooks = yield* until(loadDebugger(spec.debug.entry));
      if (hooks) yield* until(hooks.prepare());
    } catch (error) {
      channel.post({ type: 'boot-failed', error: box(new Error(`debugMode: @harrow/debugger failed to start: ${(error as Error)?.message ?? error}`, { cause: error }), actor.ref) });
      return 1;
    }
  }

  let main = spec.main;
  let modules = main?.module && !spec.enableModules.includes(main.module) ? [...spec.enableModules, main.module] : spec.enableModules;
  for (let module of modules) {
    try {
      let imported = yield* race([until(importEnabled(module, `actor '${actor.name}'`).then(() => true)), stopped(stop)]);
      if (!imported) return 0; // cancelled, or the parent is gone, while it loaded
    } catch (error) {
      actor.log.debug({ err: error, module }, 'enabled module failed to import');
      channel.post({ type: 'boot-failed', error: box(importError(module, error), actor.ref) });
      return 1;
    }
    actor.enabled.add(module);
  }

  let listener = yield* listen(`uds://${join(spec.treeDir, `${spec.uid}.sock`)}`);
  actor.addresses = [listener.address];
  yield* spawn(() => serveListener(listener, actor));
  for (let address of spec.listen ?? []) actor.addresses.push(yield* serveAddress(address, actor));
  // Asked to stop by another actor: the parent runs its cancel ladder on it.
  actor.cancelRequested = (canceller) => {
    if (parent.connected) parent.post({ type: 'cancel-requested', canceller });
    else actor.shutdown();
  };
  actor.registry = spec.registry ?? [];
  actor.childListen = spec.listen ?? [];
  if (actor.registry.length > 0) {
    try {
      // A child of the root registers over its channel to the root, which hosts the registry:
      // the root then holds one connection per child, not two.
      let parentHostsRegistry = actor.registry.includes(spec.parent.address);
      yield* joinRegistry(actor, actor.registry, parentHostsRegistry ? parent : undefined);
    } catch (error) {
      actor.log.warn({ err: error, registry: spec.registry }, 'could not register with the registry; this actor cannot be found by name');
    }
  }
  // From now on what it prints goes straight to the program's stderr, not through its parent.
  writeStderrStraight();
  channel.post({ type: 'ready', pid: process.pid, address: actor.address, host: actor.host });
  // The main function may end the process at once (process.exit): the parent must hear of
  // readiness first, or it would report a boot failure.
  channel.flush();
  actor.log.debug({ address: actor.address, modules }, 'ready');

  if (spec.main) runMain(parent, actor, spec.main, () => actor.shutdown());
  yield* stop.operation;
  actor.log.debug('stopping');
  return 0;
}

function* stopped(stop: WithResolvers<void>): Operation<false> {
  yield* stop.operation;
  return false;
}

function runMain(parent: Peer, actor: Actor, main: NonNullable<SpawnSpec['main']>, done: () => void): void {
  let fn: Function;
  try {
    fn = actor.resolveRemote(main.module, main.fn);
  } catch (error) {
    fail(parent, 0, error);
    done();
    return;
  }
  serveRun(parent, 0, fn, main.args, done);
}
