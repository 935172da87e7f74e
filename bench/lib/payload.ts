/** What the raw and the harrow sides both carry, so that they do the same work. */

/** The one small message used by every round-trip and stream figure. */
export function message(seq: number): { seq: number; payload: string } {
  return { seq, payload: PAYLOAD };
}

const PAYLOAD = 'x'.repeat(16);

/**
 * The first message a bench client sends on a new connection to a peer says what the
 * connection is for:
 * - `echo`: every later message is sent back as it is (decoded, then encoded again);
 * - `stream`: the peer sends `count` messages `message(0..count-1)` and closes the connection;
 *   `batched` (raw peer only) picks one write per ~64 KiB instead of one write per message.
 */
export type Command =
  | { op: 'echo' }
  | { op: 'stream'; count: number; batched?: boolean };

export function seqOf(value: unknown): number {
  return (value as { seq: number }).seq;
}
