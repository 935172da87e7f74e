/*
 * The programs a spawned child runs, all in entry/. The spawn backends name them by URL and
 * never import them: they run in the child, at the top of the layering, not here.
 */
import { extname } from 'node:path';

/** `.js` in the built package, `.ts` when the runtime runs from its sources. */
const OWN = extname(new URL(import.meta.url).pathname);

/** Every child starts here: plain JavaScript that prepares the loader, if any, then imports its entry. */
export const BOOT = new URL('../entry/boot.cjs', import.meta.url);

/** The entry of an actor process. */
export const PROCESS_ACTOR_MAIN = new URL(`../entry/process-main${OWN}`, import.meta.url).href;

/** The entry of a thread actor. */
export const THREAD_ACTOR_MAIN = new URL(`../entry/thread-main${OWN}`, import.meta.url).href;

/** The entry of a runSync worker, process or thread. */
export const WORKER_MAIN = new URL(`../entry/worker-main${OWN}`, import.meta.url).href;
