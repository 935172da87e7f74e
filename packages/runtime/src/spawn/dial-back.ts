import type { Channel } from '@harrow/transport';

/**
 * The spawns on other hosts that wait for their actor to dial back (ssh-process.ts), by token.
 * A listener that receives a `dial-back` message hands the connection over here (dialog/serve.ts).
 */
const waiting = new Map<string, (channel: Channel, pid: number) => void>();

/** Wait for the connection of the spawn `token`: `handOver` is called once with it. Returns the cancel. */
export function expectDialBack(token: string, handOver: (channel: Channel, pid: number) => void): () => void {
  waiting.set(token, handOver);
  return () => waiting.delete(token);
}

/** Hand `channel` to the spawn that waits for `token`; false if none does (a stale or forged token). */
export function claimDialBack(token: string, channel: Channel, pid: number): boolean {
  let handOver = waiting.get(token);
  if (!handOver) return false;
  waiting.delete(token);
  handOver(channel, pid);
  return true;
}
