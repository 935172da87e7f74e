/**
 * A connection broke: the peer went away, the socket failed, or the channel was used after it
 * closed. Only the channel that saw it is affected; the process and other channels keep running.
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
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
