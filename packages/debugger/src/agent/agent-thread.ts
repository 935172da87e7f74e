/**
 * Entry of a debugger thread (started by agent/start-agent.ts): connect to the thread to debug,
 * enable the inspector's Debugger domain with harrow's, effection's and node's code
 * blackboxed, and hand every pause to the controller. No inspector port is opened.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Debuggee } from '@harrow/runtime/debug-port';
import { Controller } from './controller.ts';
import { Scripts } from './scripts.ts';
import { connectTarget } from './target.ts';

interface AgentData {
  actor: Debuggee;
  hub?: string;
  hidden: string[];
  helper: string;
  /** [0]: set to 1 once detached (see start-agent.ts). */
  detached: Int32Array;
}

/** Run the debugger thread; called by the runtime's boot.cjs. */
export async function start(): Promise<void> {
  let data = workerData as AgentData;
  // The inspector session keeps nothing alive: without a handle of its own this thread would
  // end, and the thread it debugs would stay paused for good.
  let keepAlive = setInterval(() => {}, 2 ** 30);

  let target = await connectTarget(data.actor.threadId);
  let scripts = new Scripts(target, data.hidden, data.helper);
  let controller = new Controller(target, scripts, data.actor, data.hub);
  await target.post('Debugger.enable');
  await target.post('Debugger.setBlackboxPatterns', { patterns: data.hidden });

  parentPort!.on('message', (message: 'detach' | { hub: string | undefined }) => {
    if (typeof message === 'object') {
      controller.setHub(message.hub);
      parentPort!.postMessage({ hub: message.hub });
      return;
    }
    // The debugged thread is exiting: a session still connected would hold it up (a worker
    // thread) or make node print "Waiting for the debugger to disconnect..." (a process).
    if (message !== 'detach') return;
    target.disconnect();
    clearInterval(keepAlive);
    Atomics.store(data.detached, 0, 1);
    Atomics.notify(data.detached, 0);
  });
  parentPort!.postMessage('ready');
}
