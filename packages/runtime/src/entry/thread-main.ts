/** Entry of a thread actor (after boot.mjs registered tsx): the channel is a MessagePort. */
import { workerData, type MessagePort } from 'node:worker_threads';
import { createChannel, portWire } from '@harrow/transport';
import { runSpawnedActor } from './actor-main.ts';

let port = (workerData as { port: MessagePort }).port;
let code = await runSpawnedActor(createChannel(portWire(port, 'parent thread')), { signals: false });
process.exit(code);
