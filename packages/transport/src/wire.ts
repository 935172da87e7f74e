/**
 * The byte carrier under a channel: anything that moves bytes both ways with a notion of "wait
 * before writing more". Sockets (Unix, TCP, WebSocket streams) and MessagePorts each provide one;
 * the channel above does framing, batching and flow control the same way for all of them.
 */
export interface Wire {
  /** A human-readable name of the other end, for error messages (an address where there is one). */
  readonly peer: string;
  /** Start delivering events. Called once; the wire emits nothing before. */
  attach(events: WireEvents): void;
  /** Queue bytes for the peer; `false` means the carrier is full: wait for `drain`. */
  write(bytes: Uint8Array): boolean;
  /** Stop delivering `data` until `resume` (the reader is behind). */
  pause(): void;
  resume(): void;
  /** Send what was written, then close gracefully; `then` runs once it is all handed to the carrier. */
  end(then?: () => void): void;
  /** Close at once, dropping anything unsent. */
  destroy(): void;
}

/** What a wire reports to its channel. */
export interface WireEvents {
  data(chunk: Uint8Array): void;
  drain(): void;
  /** The peer will send nothing more (end of file). */
  end(): void;
  error(error: Error): void;
  /** Fully closed; no event follows. */
  close(): void;
}
