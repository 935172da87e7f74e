/**
 * Entry of an actor on another host, started there by ssh-stub.cjs: it dials back to its parent
 * over TCP (the addresses in HARROW_DIAL, with the cookie in HARROW_COOKIE), says which spawn it
 * is, and from then on is an actor like any other. fd 3 is its lifeline to the stub: its end
 * (the ssh session is over: the parent is gone) is the parent's death.
 */
import { connect, type Channel } from '@harrow/transport';
import type { Operation } from 'effection';
import { runSpawnedActor } from './actor-main.ts';
import { handshakeTimeout } from '../dialog/serve.ts';
import { takeLifeline } from '../spawn/lifeline.ts';
import { parseDial, type Dial } from '../spawn/ssh-process.ts';

/** Run this process as the actor its parent spawned on this host; called by boot.cjs. */
export async function start(): Promise<void> {
  let lifeline = takeLifeline();
  let dial = parseDial(process.env.HARROW_DIAL);
  let code = await runSpawnedActor(() => dialBack(dial, lifeline), {
    signals: true,
    treeDir: process.env.HARROW_TREE_DIR,
    listen: listenHere(),
  });
  process.exit(code);
}

/**
 * A channel to the first of the parent's addresses that answers and accepts the cookie, with
 * the spawn's token sent first; it ends when the lifeline does.
 */
function* dialBack(dial: Dial, lifeline: import('node:net').Socket): Operation<Channel> {
  let failures: string[] = [];
  for (let address of dial.addresses) {
    let channel: Channel;
    try {
      channel = yield* connect(address, { cookie: process.env.HARROW_COOKIE, handshakeTimeout: handshakeTimeout() });
    } catch (error) {
      failures.push(`${address}: ${(error as Error).message}`);
      continue;
    }
    channel.post({ type: 'dial-back', token: dial.token, pid: process.pid });
    let parentGone = () => channel.destroy();
    lifeline.on('end', parentGone);
    lifeline.on('error', parentGone);
    lifeline.resume();
    return channel;
  }
  throw new Error(`could not dial back to the parent: ${failures.join('; ')}`);
}

/**
 * Where this actor listens besides its Unix socket: on this host's address that the parent's
 * host reached it by (sshd's SSH_CONNECTION), so that the tree's other actors reach it too.
 */
function listenHere(): string[] {
  let local = process.env.SSH_CONNECTION?.split(' ')[2];
  if (!local) return [];
  return [`tcp://${local.includes(':') ? `[${local}]` : local}:0`];
}
