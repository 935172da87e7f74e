import { isMainThread } from 'node:worker_threads';
import { createChannel } from '@harrow/transport';
import type { ChildHandle } from './handle.ts';
import { startLocalProcess, type ConnectWire, type ProcessOptions } from './local-process.ts';
import { startThroughHost } from './process-host.ts';
import { typescriptSupport } from './typescript.ts';

export type { ConnectWire, ProcessOptions } from './local-process.ts';

/**
 * Start a child process (local-process.ts says what it runs and how it is connected). On the
 * main thread it is our own; on a worker thread the main thread starts, reaps and, if the thread
 * dies, cancels it (process-host.ts), and the handle is the same.
 *
 * `connect` builds what talks over the child's fd 3 (default: a `Channel`); the runSync pool
 * passes its own.
 */
export function startProcess(options: ProcessOptions): ChildHandle;
export function startProcess<C>(options: ProcessOptions, connect: ConnectWire<C>): ChildHandle<C>;
export function startProcess(options: ProcessOptions, connect: ConnectWire<unknown> = createChannel): ChildHandle<unknown> {
  // Decided here, by the thread that asks: the main thread may have been started differently.
  let withLoader = { ...options, typescript: options.typescript === undefined ? typescriptSupport() ?? null : options.typescript };
  return isMainThread ? startLocalProcess(withLoader, connect) : startThroughHost(withLoader, connect);
}
