/**
 * Entry of an actor process. fd 3 is the socket pair to the parent: the channel, and the
 * lifeline whose end-of-file means the parent is gone.
 */
import { createChannel, socketWire } from '@harrow/transport';
import { runSpawnedActor } from './actor-main.ts';
import { takeLifeline } from '../spawn/lifeline.ts';

/** Run this process as the actor its parent spawned; called by boot.cjs. */
export async function start(): Promise<void> {
  let socket = takeLifeline();
  let code = await runSpawnedActor(createChannel(socketWire(socket, 'parent')), { signals: true });
  process.exit(code);
}
