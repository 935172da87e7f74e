import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * The cookie handshake, byte by byte. Fixed sizes, no framing of its own, done on the raw wire
 * before any channel sees a byte:
 *
 *   server → client  HELLO     "HRWA" 0x01 nonceS[32]                        37 bytes
 *   client → server  RESPONSE  "HRWA" 0x01 nonceC[32] proofC[32]             69 bytes
 *   server → client  VERDICT   0x01 proofS[32] (accepted)                    33 bytes
 *                           or 0x00 (refused; the server then closes)         1 byte
 *
 *   proofC = HMAC-SHA256(cookie, "harrow client" "HRWA" 0x01 nonceS nonceC)
 *   proofS = HMAC-SHA256(cookie, "harrow server" "HRWA" 0x01 nonceC nonceS)
 *
 * Each proof covers both fresh nonces (so it cannot be replayed into another connection) and
 * names its direction (so a proof cannot be reflected back as the other side's). The cookie never
 * travels. The server proves itself only to a client that has proved itself first.
 */

/** What every handshake message from either side begins with ("harrow auth"). */
export const HANDSHAKE_MAGIC = Buffer.from('HRWA', 'latin1');
/** The handshake's version; a peer speaking another one is refused. */
export const HANDSHAKE_VERSION = 1;
/** Magic and version: the prefix checked byte by byte as it arrives. */
export const HANDSHAKE_PREFIX = Buffer.concat([HANDSHAKE_MAGIC, Uint8Array.of(HANDSHAKE_VERSION)]);

export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;

export const HELLO_BYTES = HANDSHAKE_PREFIX.length + NONCE_BYTES;
export const RESPONSE_BYTES = HANDSHAKE_PREFIX.length + NONCE_BYTES + PROOF_BYTES;
/** The verdict's first byte; an accepting one is followed by the server's proof. */
export const ACCEPTED = 0x01;
export const REFUSED = 0x00;

/** The default deadline for a whole handshake, in ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 5000;

/** Which side a proof speaks for. */
export type Side = 'client' | 'server';

const LABELS: Record<Side, Buffer> = {
  client: Buffer.from('harrow client', 'latin1'),
  server: Buffer.from('harrow server', 'latin1'),
};

/** A fresh random nonce. */
export function nonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/**
 * The HMAC key of a cookie: a string's UTF-8 bytes, or a copy of the given bytes. An empty
 * cookie is no secret and is refused with a `TypeError`.
 */
export function cookieKey(cookie: string | Uint8Array): Buffer {
  if (typeof cookie !== 'string' && !(cookie instanceof Uint8Array)) {
    throw new TypeError(`the cookie must be a string or a Uint8Array, got ${cookie === null ? 'null' : typeof cookie}`);
  }
  let key = typeof cookie === 'string' ? Buffer.from(cookie, 'utf8') : Buffer.from(cookie);
  if (key.length === 0) throw new TypeError('the cookie is empty');
  return key;
}

/**
 * `side`'s proof that it holds `key`: the MAC of its direction's label, the protocol prefix, the
 * nonce the other side challenged it with, and then its own nonce. The verifier computes the same
 * from the nonce it sent and the one it received.
 */
export function proof(key: Buffer, side: Side, challenge: Uint8Array, proverNonce: Uint8Array): Buffer {
  return createHmac('sha256', key).update(LABELS[side]).update(HANDSHAKE_PREFIX).update(challenge).update(proverNonce).digest();
}

/** Whether a received proof is the expected one, in time independent of where they differ. */
export function proofMatches(received: Uint8Array, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** The server's opening message. */
export function hello(serverNonce: Buffer): Buffer {
  return Buffer.concat([HANDSHAKE_PREFIX, serverNonce]);
}

/** The client's answer to a hello. */
export function response(clientNonce: Buffer, clientProof: Buffer): Buffer {
  return Buffer.concat([HANDSHAKE_PREFIX, clientNonce, clientProof]);
}

/** The server's verdict on a response: its own proof, or a refusal. */
export function verdict(serverProof: Buffer | undefined): Buffer {
  return serverProof ? Buffer.concat([Uint8Array.of(ACCEPTED), serverProof]) : Buffer.of(REFUSED);
}

/**
 * Why the first bytes received are not the start of a handshake message, or undefined while
 * they still could be (fewer bytes than the prefix are checked as far as they go).
 */
export function prefixMismatch(bytes: Uint8Array): string | undefined {
  let n = Math.min(bytes.length, HANDSHAKE_PREFIX.length);
  let magic = Math.min(n, HANDSHAKE_MAGIC.length);
  if (!HANDSHAKE_MAGIC.subarray(0, magic).equals(bytes.subarray(0, magic))) {
    return `not a harrow handshake (expected "HRWA", got ${hex(bytes.subarray(0, 8))})`;
  }
  if (n === HANDSHAKE_PREFIX.length && bytes[HANDSHAKE_MAGIC.length] !== HANDSHAKE_VERSION) {
    return `handshake version ${bytes[HANDSHAKE_MAGIC.length]} is not supported (this side speaks ${HANDSHAKE_VERSION})`;
  }
  return undefined;
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}
