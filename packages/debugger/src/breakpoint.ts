import { fileURLToPath } from 'node:url';
import { until, type Operation } from 'effection';
import { debuggee, debugSettings, setDebugSettings } from '@harrow/runtime/debug-port';
import { startAgent, tellAgentHub } from './agent/start-agent.ts';
import { DebuggerQuit } from './errors.ts';
import { startHub } from './hub/start-hub.ts';
import { pauseHere } from './pause/here.ts';

const QUIT = Symbol.for('harrow.quit');
/** This package's own code, left out of the caller's place in a warning. */
const OWN_DIR = fileURLToPath(new URL('.', import.meta.url));

/**
 * Pause this actor at the caller's line and open a REPL for it in the root process's terminal
 * (one actor holds the terminal at a time; the rest of the tree keeps running). Works in any
 * actor at any depth, process or thread. `c` continues; `q` makes it throw `DebuggerQuit`.
 * With no terminal in the tree (the root's stdin is not a TTY) it prints a warning and returns.
 *
 * @example
 * ```ts
 * export const work = remote(import.meta, function* work(n: number) {
 *   let total = n * 2;
 *   yield* breakpoint(); // the root's terminal shows "(harrow: work) "
 *   return total;
 * });
 * ```
 */
export function* breakpoint(): Operation<void> {
  let actor = debuggee();
  if (actor.stopping) return;
  let settings = debugSettings();
  if (!settings.hub && actor.root) {
    let hub = yield* until(startHub());
    if (hub) setDebugSettings({ ...debugSettings(), hub });
  }
  if (!debugSettings().hub) {
    process.stderr.write(`harrow: breakpoint() in actor '${actor.name}' at ${callerOf()}: no terminal to debug in (the root's stdin is not a TTY); continuing\n`);
    return;
  }
  try {
    yield* until(startAgent());
    yield* until(tellAgentHub(debugSettings().hub));
  } catch (error) {
    process.stderr.write(`harrow: breakpoint() in actor '${actor.name}' at ${callerOf()}: the debugger thread could not start (${(error as Error)?.message ?? error}); continuing\n`);
    return;
  }
  // What this actor sent just before (stream items wait for the end of the tick) goes out
  // before it stops; a cancel request that arrived meanwhile is read, and wins.
  yield* until(new Promise((resolve) => setImmediate(resolve)));
  if (debuggee().stopping) return;
  pauseHere();
  if ((globalThis as Record<symbol, unknown>)[QUIT]) {
    delete (globalThis as Record<symbol, unknown>)[QUIT];
    throw new DebuggerQuit();
  }
}

/** `file:line` of the code that called breakpoint(), from a stack trace. */
function callerOf(): string {
  let lines = new Error().stack?.split('\n') ?? [];
  let outside = lines.slice(1).find((line) => !line.includes(OWN_DIR) && !line.includes('node_modules') && /\(?(file:\/\/)?\//.test(line));
  return outside?.replace(/^\s*at\s+/, '').replace(/^.*\((.*)\)$/, '$1').replace(/^file:\/\//, '') ?? 'an unknown place';
}
