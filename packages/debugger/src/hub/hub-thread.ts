/**
 * Entry of the root's hub thread (started by hub/start-hub.ts): listen for debugger threads on the
 * Unix socket it was given and lend them the terminal.
 */
import { createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Hub } from './hub.ts';
import { Terminal } from './terminal.ts';

/** Run the hub thread; called by the runtime's boot.cjs. */
export async function start(): Promise<void> {
  let { socket: path, tty } = workerData as { socket: string; tty: string };
  let hub = new Hub(new Terminal(tty), (lent) => parentPort!.postMessage({ lent }));
  let server = createServer((socket) => hub.accept(socket));
  server.on('error', (error) => parentPort!.postMessage({ error: String(error?.stack ?? error) }));
  server.listen(path, () => parentPort!.postMessage({ listening: path }));
}
