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
  // The main thread acknowledges each `lent` message it was asked to (start-hub.ts).
  let acks = new Map<number, () => void>();
  let nextAck = 1;
  parentPort!.on('message', (message: { ack?: number; print?: string }) => {
    // What the root printed while the terminal is lent (start-hub.ts's routeOutput).
    if (message.print !== undefined) return hub.print(message.print);
    if (message.ack === undefined) return;
    acks.get(message.ack)?.();
    acks.delete(message.ack);
  });
  let hub: Hub = new Hub(new Terminal(tty), (lent, then) => {
    if (!then) return parentPort!.postMessage({ lent });
    let ack = nextAck++;
    acks.set(ack, then);
    parentPort!.postMessage({ lent, ack });
  });
  let server = createServer((socket) => hub.accept(socket));
  server.on('error', (error) => parentPort!.postMessage({ error: String(error?.stack ?? error) }));
  server.listen(path, () => parentPort!.postMessage({ listening: path }));
}
