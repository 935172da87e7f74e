import { Worker } from 'node:worker_threads';
import { debuggee, debugSettings, harrowCodeDirs, moduleBeside, threadBoot } from '@harrow/runtime/debug-port';

const AGENT_MAIN = moduleBeside(import.meta.url, './agent-thread');
const HELPER = moduleBeside(import.meta.url, '../pause/here');

let started: Promise<void> | undefined;
let ready = false;
let agent: Worker | undefined;
/** The hub address the debugger thread knows. */
let knownHub: string | undefined;

/** Whether this thread's debugger thread is up: a pause now opens the REPL. */
export function agentReady(): boolean {
  return ready;
}

/**
 * Start this thread's debugger thread, once: a worker that connects to this thread through
 * `node:inspector` (so it runs while this one is paused). It is not kept alive for its own
 * sake, and it is detached before this thread exits.
 */
export function startAgent(): Promise<void> {
  started ??= new Promise<void>((resolve, reject) => {
    let { boot, workerData } = threadBoot(AGENT_MAIN);
    let detached = new Int32Array(new SharedArrayBuffer(4));
    knownHub = debugSettings().hub;
    let worker = new Worker(boot, {
      workerData: { ...workerData, actor: debuggee(), hub: knownHub, hidden: hiddenPatterns(), helper: HELPER, detached },
      execArgv: [],
    });
    worker.unref();
    agent = worker;
    worker.on('message', (message) => {
      if (message !== 'ready') return;
      ready = true;
      resolve();
    });
    worker.on('error', (error) => reject(error));
    worker.on('exit', (code) => {
      ready = false;
      reject(new Error(`the debugger thread exited with code ${code}`));
    });
    // A session left connected would hold up a worker thread's exit, or make node print
    // "Waiting for the debugger to disconnect..." at a process's: detach first, synchronously
    // (the 'exit' event allows nothing else), waiting for the debugger thread to confirm.
    process.once('exit', () => {
      if (!ready) return;
      worker.postMessage('detach');
      Atomics.wait(detached, 0, 0, 500);
    });
  });
  return started;
}

/**
 * Make sure the debugger thread asks the root's current hub (the root actor, and its hub, can
 * stop and start again between two breakpoints of the root process).
 */
export function tellAgentHub(hub: string | undefined): Promise<void> {
  let worker = agent;
  if (!worker || hub === knownHub) return Promise.resolve();
  knownHub = hub;
  return new Promise((resolve) => {
    let heard = (message: unknown) => {
      if (typeof message !== 'object' || message === null || (message as { hub?: string }).hub !== hub) return;
      worker.off('message', heard);
      resolve();
    };
    worker.on('message', heard);
    worker.postMessage({ hub });
  });
}

/**
 * What is not the user's code, as inspector blackbox patterns: harrow's packages (but for the
 * pause helper), everything under node_modules, node's own modules, and scripts without a
 * file URL. Stepping never stops there, and `bt` does not show it.
 */
function hiddenPatterns(): string[] {
  let dirs = [...harrowCodeDirs(), new URL('..', import.meta.url).href];
  let harrow = dirs.map(escape).join('|');
  return [`^(?!${escape(HELPER)}$)(${harrow}|.*/node_modules/)`, '^(?!file:)'];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
