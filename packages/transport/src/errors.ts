/**
 * A connection broke: the peer went away, the socket failed, or the channel was used after it
 * closed. Only the channel that saw it is affected; the process and other channels keep running.
 *
 * @example
 * ```ts
 * try {
 *   yield* connect('tcp://127.0.0.1:1');
 * } catch (error) {
 *   error instanceof TransportError; // true: connection refused
 * }
 * ```
 */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A connection's ends could not prove to each other that they hold the same cookie: the peer
 * refused our proof, its own proof was wrong, it does not speak the handshake, or the handshake
 * did not finish within `handshakeTimeout`. The message names the address. The connection is
 * closed, and no message crossed it.
 *
 * @example
 * ```ts
 * try {
 *   yield* connect('tcp://10.0.0.2:7000', { cookie: 'not the one' });
 * } catch (error) {
 *   error instanceof AuthenticationError; // true
 *   // authentication with tcp://10.0.0.2:7000 failed: it refused our proof: the peer does not hold the same cookie (HARROW_COOKIE)
 * }
 * ```
 */
export class AuthenticationError extends TransportError {
  override name = 'AuthenticationError';
}

/**
 * The peer sent bytes that are not the protocol: a frame longer than the maximum, a frame that
 * is not exactly one msgpack value, or (at the layers above) a message of an unknown shape.
 * The channel that received it is closed; nothing else is.
 *
 * @example
 * ```ts
 * let decoder = new FrameDecoder(1024);
 * decoder.push(frameHeader(4096), () => {}); // ProtocolError: frame of 4096 bytes exceeds the maximum of 1024 bytes
 * ```
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
