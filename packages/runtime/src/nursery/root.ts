import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '@harrow/transport';
import { createScope, withResolvers, type Operation, type WithResolvers } from 'effection';
import { Actor, maybeCurrentActor, rootUid, setCurrentActor } from '../actor/actor.ts';
import { logLevel } from '../actor/log.ts';
import type { Owner } from './owner.ts';
import { onInterrupt } from '../base/interrupts.ts';
import { isChildActor } from '../base/remote.ts';
import { serveListener } from '../dialog/serve.ts';
import { orphansSettled } from '../spawn/process-host.ts';
import { sentinel } from '../spawn/sentinel.ts';

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
  let state = (root ??= startRoot());
  state.users++;
  owner.onDestroyed(() => release(state));
  yield* state.ready.operation;
  return state.actor;
}

function startRoot(): Root {
  let dir = mkdtempSync(join(tmpdir(), 'harrow-'));
  let [scope, destroyScope] = createScope();
  let releaseSentinel = sentinel.use();
  sentinel.removeOnDeath(dir);
  let actor = new Actor('root', rootUid(), undefined, dir, scope, logLevel());
  setCurrentActor(actor);
  let ready = withResolvers<void>();
  scope.run(function* rootListener() {
    let listening = false;
    try {
      let listener = yield* listen(`uds://${join(dir, `${actor.uid}.sock`)}`);
      actor.address = listener.address;
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
}
