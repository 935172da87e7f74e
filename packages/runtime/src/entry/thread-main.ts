/** Entry of a thread actor: the channel is a MessagePort. */
import { workerData, type MessagePort } from 'node:worker_threads';
import { createChannel, portWire } from '@harrow/transport';
import { runSpawnedActor } from './actor-main.ts';

/** Run this thread as the actor its parent spawned; called by boot.cjs. */
export async function start(): Promise<void> {
  let port = (workerData as { port: MessagePort }).port;
  let code = await runSpawnedActor(createChannel(portWire(port, 'parent thread')), { signals: false });
  process.exit(code);
}
