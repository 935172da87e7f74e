import { action, type Operation } from 'effection';
import type { Address } from './address.ts';
import { AuthenticationError } from './errors.ts';
import {
  ACCEPTED,
  DEFAULT_HANDSHAKE_TIMEOUT,
  HANDSHAKE_PREFIX,
  HELLO_BYTES,
  PROOF_BYTES,
  REFUSED,
  RESPONSE_BYTES,
  cookieKey,
  hello,
  nonce,
  prefixMismatch,
  proof,
  proofMatches,
  response,
  verdict,
  type Side,
} from './handshake.ts';
import { HeldWire } from './held-wire.ts';
import type { Wire, WireEvents } from './wire.ts';

/**
 * The shared secret of a tree of processes, and how long proving it may take. With a `cookie`,
 * every TCP and WebSocket connection proves in both directions that its ends hold the same one
 * before any message crosses it; Unix sockets and MessagePorts ignore it (a Unix socket is
 * guarded by its file's permissions).
 */
export interface AuthOptions {
  /** The shared secret (a string is taken as UTF-8). It never goes on the wire. Must not be empty. */
  cookie?: string | Uint8Array;
  /** The deadline for the whole handshake, in ms, from the moment the connection is made. Default 5000. */
  handshakeTimeout?: number;
}

/** A cookie checked and made a key, and the deadline: what a handshake needs. */
export interface HandshakeSettings {
  key: Buffer;
  timeout: number;
}

/**
 * The settings of `options` for a connection over `kind`: undefined without a cookie, and for a
 * Unix socket, which ignores it. Throws a `TypeError` for a bad option, whatever the kind.
 */
export function handshakeSettings(options: AuthOptions, kind: Address['kind']): HandshakeSettings | undefined {
  let timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) {
    throw new TypeError(`handshakeTimeout must be a positive number of milliseconds, got ${String(timeout)}`);
  }
  if (options.cookie === undefined) return undefined;
  let key = cookieKey(options.cookie);
  return kind === 'uds' ? undefined : { key, timeout };
}

/** How one handshake ended. */
export interface HandshakeOutcome {
  /** Both sides proved the cookie: `wire` carries the connection's bytes from here on. */
  authenticated(wire: Wire): void;
  /** The handshake failed, for `reason`; the connection is closed (at once, or right after a refusal is sent). */
  failed(reason: string): void;
}

/** One side of the handshake over a wire, started at once. `cancel` closes the connection, reporting nothing. */
export interface Handshake {
  cancel(): void;
}

const CONNECTION_CLOSED = 'the connection closed during the handshake';

/**
 * Run `side`'s half of the handshake on `wire`, which must not be attached yet (the handshake
 * attaches to it, and hands the connection on as a fresh wire). Never throws; the outcome comes
 * through `outcome`, once, unless cancelled first.
 */
export function startHandshake(wire: Wire, side: Side, settings: HandshakeSettings, outcome: HandshakeOutcome): Handshake {
  return side === 'server' ? new ServerHandshake(wire, settings, outcome) : new ClientHandshake(wire, settings, outcome);
}

/**
 * Run `side`'s half of the cookie handshake on `wire`, which must not be attached yet, and
 * return the wire to build the channel on; or throw an `AuthenticationError` naming the peer
 * (the connection is then closed). Cancelling it closes the connection too.
 */
export function authenticate(wire: Wire, side: Side, settings: HandshakeSettings): Operation<Wire> {
  return action<Wire>((resolve, reject) => {
    let done = false;
    let handshake = startHandshake(wire, side, settings, {
      authenticated(authenticated) {
        done = true;
        resolve(authenticated);
      },
      failed(reason) {
        done = true;
        reject(new AuthenticationError(`authentication with ${wire.peer} failed: ${reason}`));
      },
    });
    return () => {
      if (!done) handshake.cancel();
    };
  });
}

/** Bytes received and not yet consumed, in the chunks they came in. */
class Received {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Uint8Array): void {
    let buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.chunks.push(buffer);
    this.length += buffer.length;
  }

  /** The first `n` bytes (or as many as there are), without consuming them. */
  peek(n: number): Buffer {
    let all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  /** Consume and return the first `n` bytes; there must be that many. */
  take(n: number): Buffer {
    let all = this.peek(this.length);
    this.length -= n;
    this.chunks = this.length > 0 ? [all.subarray(n)] : [];
    return Buffer.from(all.subarray(0, n));
  }

  /** Whatever is left, consumed (not copied). */
  rest(): Buffer | undefined {
    if (this.length === 0) return undefined;
    let all = this.peek(this.length);
    this.chunks = [];
    this.length = 0;
    return all;
  }
}

/** What both halves share: the wire's events while the handshake owns it, the deadline, and finishing once. */
abstract class HalfHandshake implements Handshake {
  protected received = new Received();
  private finished = false;
  private timer: ReturnType<typeof setTimeout>;
  /** Where the wire's events go: this handshake, then the wire handed on. */
  private target: WireEvents;

  constructor(protected wire: Wire, protected settings: HandshakeSettings, private outcome: HandshakeOutcome) {
    this.target = {
      data: (chunk) => this.receive(chunk),
      drain: () => {},
      end: () => this.fail(CONNECTION_CLOSED),
      error: (error) => this.fail(`the connection failed during the handshake: ${error.message}`),
      close: () => this.fail(CONNECTION_CLOSED),
    };
    // Past the deadline an unfinished handshake fails; a refused peer still connected is dropped.
    this.timer = setTimeout(() => (this.finished ? this.wire.destroy() : this.fail(this.timeoutReason())), settings.timeout);
    wire.attach({
      data: (chunk) => this.target.data(chunk),
      drain: () => this.target.drain(),
      end: () => this.target.end(),
      error: (error) => this.target.error(error),
      close: () => this.target.close(),
    });
  }

  /** Bytes arrived: take the next step if there are enough. */
  protected abstract step(): void;
  /** Why the deadline passed, saying how far the handshake got. */
  protected abstract timeoutReason(): string;

  private receive(chunk: Uint8Array): void {
    if (this.finished) return;
    this.received.push(chunk);
    this.step();
  }

  /** Fail if the bytes so far cannot begin a handshake message; returns whether it failed. */
  protected badPrefix(): boolean {
    let reason = prefixMismatch(this.received.peek(HANDSHAKE_PREFIX.length));
    if (reason !== undefined) this.fail(reason);
    return reason !== undefined;
  }

  protected succeed(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    let held = new HeldWire(this.wire, this.received.rest());
    this.target = held;
    this.outcome.authenticated(held.wire);
  }

  /** Close the connection and report `reason`; with `refusal`, send it first and close gracefully. */
  protected fail(reason: string, refusal?: Uint8Array): void {
    if (this.finished) return;
    this.finished = true;
    this.target = { data() {}, drain() {}, end() {}, error() {}, close: () => clearTimeout(this.timer) };
    if (refusal) {
      // Graceful, so that the refusal arrives; the deadline still closes a peer that lingers.
      this.wire.write(refusal);
      this.wire.end(() => this.wire.destroy());
    } else {
      clearTimeout(this.timer);
      this.wire.destroy();
    }
    this.outcome.failed(reason);
  }

  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.target = { data() {}, drain() {}, end() {}, error() {}, close() {} };
    this.wire.destroy();
  }
}

/** The listening side: says hello, checks the client's proof, proves itself. */
class ServerHandshake extends HalfHandshake {
  private ownNonce = nonce();

  constructor(wire: Wire, settings: HandshakeSettings, outcome: HandshakeOutcome) {
    super(wire, settings, outcome);
    wire.write(hello(this.ownNonce));
  }

  protected step(): void {
    if (this.badPrefix() || this.received.length < RESPONSE_BYTES) return;
    let message = this.received.take(RESPONSE_BYTES);
    let clientNonce = message.subarray(HANDSHAKE_PREFIX.length, HELLO_BYTES);
    let clientProof = message.subarray(HELLO_BYTES);
    if (!proofMatches(clientProof, proof(this.settings.key, 'client', this.ownNonce, clientNonce))) {
      this.fail('its proof is wrong: the peer does not hold the same cookie (HARROW_COOKIE)', verdict(undefined));
      return;
    }
    this.wire.write(verdict(proof(this.settings.key, 'server', clientNonce, this.ownNonce)));
    this.succeed();
  }

  protected timeoutReason(): string {
    return `no handshake within ${this.settings.timeout} ms (${this.received.length} of ${RESPONSE_BYTES} bytes received)`;
  }
}

/** The connecting side: answers the hello with its proof, then checks the server's. */
class ClientHandshake extends HalfHandshake {
  private ownNonce = nonce();
  /** The server's nonce, once its hello is read and answered. */
  private serverNonce: Buffer | undefined;

  protected step(): void {
    if (!this.serverNonce) {
      if (this.badPrefix() || this.received.length < HELLO_BYTES) return;
      this.serverNonce = this.received.take(HELLO_BYTES).subarray(HANDSHAKE_PREFIX.length);
      this.wire.write(response(this.ownNonce, proof(this.settings.key, 'client', this.serverNonce, this.ownNonce)));
    }
    if (this.received.length === 0) return;
    let first = this.received.peek(1)[0];
    if (first === REFUSED) {
      this.fail('it refused our proof: the peer does not hold the same cookie (HARROW_COOKIE)');
      return;
    }
    if (first !== ACCEPTED) {
      this.fail(`not a harrow handshake (expected a verdict, got 0x${first!.toString(16).padStart(2, '0')})`);
      return;
    }
    if (this.received.length < 1 + PROOF_BYTES) return;
    let serverProof = this.received.take(1 + PROOF_BYTES).subarray(1);
    if (!proofMatches(serverProof, proof(this.settings.key, 'server', this.ownNonce, this.serverNonce))) {
      this.fail('its proof is wrong: the peer does not hold the same cookie (HARROW_COOKIE)');
      return;
    }
    this.succeed();
  }

  protected timeoutReason(): string {
    return this.serverNonce
      ? `no answer to our proof within ${this.settings.timeout} ms`
      : `no handshake from the peer within ${this.settings.timeout} ms (is it listening with a cookie (HARROW_COOKIE)?)`;
  }
}
