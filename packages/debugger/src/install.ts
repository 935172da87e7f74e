import { inspect } from 'node:util';
import { debugSettings, installDebugger, userStack } from '@harrow/runtime/debug-port';
import { agentReady, startAgent } from './agent/start-agent.ts';
import { startHub, stopHub } from './hub/start-hub.ts';
import { pauseOnCrash } from './pause/here.ts';
import { DebuggerQuit } from './errors.ts';

/**
 * What loading `@harrow/debugger` does in a process or thread: give the runtime its hooks
 * (crash mode, the root's hub), and give the debugger thread what it evaluates with (Node's
 * REPL formatting, property names for Tab). In an actor whose tree has a terminal, its
 * debugger thread starts now, so that a `breakpoint()` opens the REPL without a start-up wait.
 */
export function install(): void {
  let global = globalThis as Record<symbol, unknown>;
  global[Symbol.for('harrow.inspect')] = (value: unknown) => inspect(value, { depth: 2 });
  global[Symbol.for('harrow.names')] = propertyNames;
  installDebugger({
    postMortem(error) {
      // Leaving the debugger with q is not a crash to debug.
      if (error instanceof DebuggerQuit || !agentReady() || !debugSettings().hub) return;
      pauseOnCrash(error, describe(error));
    },
    startHub,
    stopHub,
    prepare: startAgent,
  });
  if (debugSettings().hub) startAgent().catch(() => {});
}

/** The header of a post-mortem: the error's type, message and stack. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return `${typeof error} thrown: ${inspect(error)}`;
  let type = error.name === 'Error' && error.constructor.name !== 'Error' ? error.constructor.name : error.name;
  let head = `${type}: ${error.message}`;
  let frames = userStack(error.stack ?? '').split('\n').filter((line) => /^\s+(at |\()/.test(line)).join('\n');
  return frames ? `${head}\n${frames}` : head;
}

function propertyNames(value: unknown): string[] {
  let names = new Set<string>();
  for (let object: unknown = value; object !== null && object !== undefined; object = Object.getPrototypeOf(object)) {
    for (let name of Object.getOwnPropertyNames(object)) if (/^[A-Za-z_$][\w$]*$/.test(name)) names.add(name);
    if (object === Object.prototype) break;
  }
  return [...names];
}
