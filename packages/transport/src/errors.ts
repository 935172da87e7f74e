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
