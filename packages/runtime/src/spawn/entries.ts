/*
 * The programs a spawned child runs, all in entry/. The spawn backends name them by URL and
 * never import them: they run in the child, at the top of the layering, not here.
 */
import { extname } from 'node:path';

/**
 * The URL of the module at `path` (written without an extension) relative to `base`, with the
 * extension of `base` itself: `.js` in a built package, `.ts` when it runs from its sources.
 *
 * @example
 * const AGENT_MAIN = moduleBeside(import.meta.url, './agent-thread');
 */
export function moduleBeside(base: string, path: string): string {
  return new URL(`${path}${extname(new URL(base).pathname)}`, base).href;
}

/** Every child starts here: plain JavaScript that prepares the loader, if any, then imports its entry. */
export const BOOT = new URL('../entry/boot.cjs', import.meta.url);

/** The entry of an actor process. */
export const PROCESS_ACTOR_MAIN = moduleBeside(import.meta.url, '../entry/process-main');

/** The entry of a thread actor. */
export const THREAD_ACTOR_MAIN = moduleBeside(import.meta.url, '../entry/thread-main');

/** The entry of a runSync worker, process or thread. */
export const WORKER_MAIN = moduleBeside(import.meta.url, '../entry/worker-main');

/** The entry of an actor on another host: it dials back to its parent (see spawn/ssh-process.ts). */
export const REMOTE_ACTOR_MAIN = moduleBeside(import.meta.url, '../entry/remote-main');

/** What ssh runs on the other host: the actor's supervisor there (plain node, no loader). */
export const SSH_STUB = new URL('../entry/ssh-stub.cjs', import.meta.url);
