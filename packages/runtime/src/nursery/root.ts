import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatAddress, listen, parseAddress } from '@harrow/transport';
import { createScope, ensure, until, withResolvers, type Operation, type WithResolvers } from 'effection';
import { Actor, maybeCurrentActor, networkAddresses, rootUid, setCurrentActor } from '../actor/actor.ts';
import { logLevel } from '../actor/log.ts';
import type { Owner } from './owner.ts';
import { onInterrupt } from '../base/interrupts.ts';
import { isChildActor } from '../base/remote.ts';
import { serveAddress, serveListener } from '../dialog/serve.ts';
import { Registry } from '../registry/registry.ts';
import { hostRegistry } from '../registry/service.ts';
import { localRegistry, setActorRegistry } from '../registry/client.ts';
import { entryOf } from '../registry/entry.ts';
import { joinRegistry } from '../registry/join.ts';
import { orphansSettled } from '../spawn/process-host.ts';
import { sentinel } from '../spawn/sentinel.ts';
import { debugSettings, installedDebugger, loadDebugger, setDebugSettings } from '../actor/debug-port.ts';
import { resolveModule } from '../base/modules.ts';

interface Root {
  actor: Actor;
  users: number;
  ready: WithResolvers<void>;
  destroy(): Operation<void>;
  releaseSentinel(): Operation<void>;
  removeDir(): void;
  unsubscribe(): void;
}

let root: Root | undefined;

/** How the root actor is set up (`openRoot`'s options, resolved). */
export interface RootSettings {
  name: string;
  /** Addresses to listen on besides the Unix socket: `tcp://host:port`, `ws://host:port/path`. */
  listen: string[];
  /** Another tree's registry to join instead of hosting one. */
  registry?: string;
}

/**
 * The actor of this process, for a nursery opened by `owner`. In a spawned actor that is the
 * actor itself. In the root process the first nursery starts the root actor (a private temp
 * directory for the tree's sockets, and a listening socket in it), and the last nursery to end
 * stops it and removes the directory.
 */
export function* useActor(owner: Owner): Operation<Actor> {
  if (isChildActor()) {
    let actor = maybeCurrentActor();
    if (!actor) throw new Error('this actor is still starting; open nurseries from remote functions, not at module top level');
    return actor;
  }
  let state = (root ??= startRoot({ name: 'root', listen: [] }));
  return yield* useRoot(state, (release) => owner.onDestroyed(release));
}

/**
 * Start this process's root actor with `settings`, for as long as `onEnd`'s scope lasts (see
 * `openRoot`); nurseries opened meanwhile use it. Fails if it already has one.
 */
export function* startRootActor(settings: RootSettings, onEnd: (release: () => Operation<void>) => void): Operation<Actor> {
  if (isChildActor()) throw new Error('openRoot() is for the root process of a tree; this is an actor of one');
  if (root) throw new Error('this process already has a root actor: call openRoot() before the first nursery opens one');
  return yield* useRoot((root = startRoot(settings)), onEnd);
}

function* useRoot(state: Root, onEnd: (release: () => Operation<void>) => void): Operation<Actor> {
  state.users++;
  onEnd(() => release(state));
  yield* state.ready.operation;
  return state.actor;
}

function startRoot(settings: RootSettings): Root {
  let dir = mkdtempSync(join(tmpdir(), 'harrow-'));
  let [scope, destroyScope] = createScope();
  let releaseSentinel = sentinel.use();
  sentinel.removeOnDeath(dir);
  let actor = new Actor(settings.name, rootUid(), undefined, dir, scope, logLevel());
  setCurrentActor(actor);
  let ready = withResolvers<void>();
  scope.run(function* rootListener() {
    let listening = false;
    try {
      let listener = yield* listen(`uds://${join(dir, `${actor.uid}.sock`)}`);
      actor.addresses = [listener.address];
      for (let address of settings.listen) actor.addresses.push(yield* serveAddress(address, actor));
      // Its children listen where it does, on ports of their own, so that they can be reached
      // from wherever it can.
      actor.childListen = networkAddresses(actor.addresses).map(anyPort);
      if (settings.registry) {
        actor.registry = [settings.registry];
        yield* joinRegistry(actor, actor.registry);
      } else {
        let registry = new Registry();
        hostRegistry(registry);
        yield* ensure(() => hostRegistry(undefined));
        actor.registry = [...actor.addresses];
        let client = localRegistry(registry);
        setActorRegistry(client);
        yield* client.register(entryOf(actor));
      }
      yield* ensure(() => setActorRegistry(undefined));
      listening = true;
      ready.resolve();
      yield* serveListener(listener, actor);
    } catch (error) {
      // Before it listens, the first nursery fails to open; after, the root fails every nursery.
      if (listening) actor.fail(error as Error);
      else ready.reject(error as Error);
    }
  });
  // If the process exits without its nurseries ending (process.exit, a crash), still remove
  // the directory; the children notice our death on their own.
  let removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  // A signal while nurseries wait in their teardown (see base/interrupts.ts): the first cancels
  // the tree gracefully, the second kills it.
  let unsubscribe = onInterrupt((_signal, count) => actor.shutdown(count >= 2));
  return {
    unsubscribe,
    actor,
    users: 0,
    ready,
    *destroy() {
      yield* destroyScope();
    },
    releaseSentinel,
    removeDir,
  };
}

/** The same address with port 0: a child listens where its parent does, on a port of its own. */
function anyPort(address: string): string {
  let parsed = parseAddress(address);
  return parsed.kind === 'uds' ? address : formatAddress({ ...parsed, port: 0 });
}

function* release(state: Root): Operation<void> {
  state.users--;
  if (state.users > 0) return;
  if (root === state) root = undefined;
  if (maybeCurrentActor() === state.actor) setCurrentActor(undefined);
  state.unsubscribe();
  yield* state.destroy();
  // Processes of thread actors killed outright are on their ladder in the main thread: they go first.
  yield* orphansSettled();
  state.removeDir();
  sentinel.removeOnDeath(undefined);
  yield* state.releaseSentinel();
  process.off('exit', state.removeDir);
  let hooks = installedDebugger();
  if (hooks && debugSettings().hub) {
    setDebugSettings({ ...debugSettings(), hub: undefined });
    yield* until(hooks.stopHub());
  }
}

/**
 * In the root process: start the debugger's terminal hub (`@harrow/debugger`) when the tree
 * can be debugged, so that a `breakpoint()` anywhere in it has a terminal to open its REPL in.
 * That is when the root's stdin is a terminal, or when a nursery asks for crash mode
 * (`debugMode`), which then needs `@harrow/debugger` installed. Once per process.
 */
export function* useDebugHub(actor: Actor, debugMode: boolean): Operation<void> {
  let settings = debugSettings();
  if (settings.hub || (!debugMode && !process.stdin.isTTY)) return;
  let entry = settings.entry ?? debuggerEntry();
  if (!entry) {
    if (debugMode) throw new Error('debugMode needs @harrow/debugger: install it next to @harrow/runtime (npm install @harrow/debugger)');
    return;
  }
  let hooks = yield* until(loadDebugger(entry));
  let hub = hooks ? yield* until(hooks.startHub(actor.treeDir)) : undefined;
  setDebugSettings({ ...debugSettings(), entry, ...(hub ? { hub } : {}) });
}

/** Where `@harrow/debugger` is, seen from the program's entry module, else its working directory; undefined if it is not installed. */
function debuggerEntry(): string | undefined {
  let program = process.argv[1];
  if (program) {
    try {
      return pathToFileURL(createRequire(program).resolve('@harrow/debugger')).href;
    } catch {
      // not installed next to the program: try its working directory
    }
  }
  try {
    return resolveModule('@harrow/debugger');
  } catch {
    return undefined;
  }
}
