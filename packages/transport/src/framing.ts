import { decode } from './codec.ts';
import { ProtocolError } from './errors.ts';

/** Bytes in the length prefix of every frame: an unsigned 32-bit big-endian integer. */
export const HEADER_BYTES = 4;

/** The largest frame body accepted by default: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * Concatenate encoded message bodies into one buffer of length-prefixed frames, so that the
 * frames produced in one tick leave in a single write.
 *
 * @example
 * ```ts
 * let bodies = [encode('a'), encode('b')];
 * socket.write(frameAll(bodies, bodies[0].length + bodies[1].length));
 * ```
 */
export function frameAll(bodies: Uint8Array[], totalBodyBytes: number): Buffer {
  let out = Buffer.allocUnsafe(totalBodyBytes + HEADER_BYTES * bodies.length);
  let at = 0;
  for (let body of bodies) {
    out.writeUInt32BE(body.length, at);
    out.set(body, at + HEADER_BYTES);
    at += HEADER_BYTES + body.length;
  }
  return out;
}

/**
 * The 4-byte length prefix of one frame.
 *
 * @example
 * ```ts
 * let body = encode(largeValue);
 * socket.write(frameHeader(body.length));
 * socket.write(body);
 * ```
 */
export function frameHeader(bodyBytes: number): Buffer {
  let header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(bodyBytes, 0);
  return header;
}

/**
 * Turns a byte stream back into messages. Feed it chunks as they arrive, in any split: a frame
 * may span many chunks and a chunk may hold many frames. A declared length above `maxFrameBytes`
 * is a `ProtocolError` before anything is allocated for it; a body that is not exactly one
 * msgpack value is a `ProtocolError` too. After an error the decoder must not be used again.
 *
 * @example
 * ```ts
 * let decoder = new FrameDecoder();
 * socket.on('data', (chunk) => decoder.push(chunk, (message) => console.log(message)));
 * ```
 */
export class FrameDecoder {
  /** Header bytes of a frame whose prefix was split across chunks. */
  private header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  /** Body of a frame split across chunks, allocated once its length is known and accepted. */
  private body: Uint8Array | undefined;
  private bodyFill = 0;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** True while part of a frame has been received but not the whole of it. */
  get midFrame(): boolean {
    return this.headerFill > 0 || this.body !== undefined;
  }

  /**
   * Decode every complete frame in `chunk`, calling `emit` once per message in order (with the
   * size of its frame body), and keep
   * any trailing partial frame for the next call.
   */
  push(chunk: Uint8Array, emit: (message: unknown, bytes: number) => void): void {
    let view = chunk instanceof Buffer ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk;
    let at = 0;
    let end = view.length;
    if (this.midFrame) {
      at = this.continueFrame(view, emit);
      if (at < 0) return;
    }
    while (end - at >= HEADER_BYTES) {
      let length = readLength(view, at);
      this.check(length);
      let start = at + HEADER_BYTES;
      if (end - start < length) {
        this.body = new Uint8Array(length);
        this.body.set(view.subarray(start, end));
        this.bodyFill = end - start;
        return;
      }
      emit(decodeBody(view, start, start + length), length);
      at = start + length;
    }
    if (at < end) {
      this.header.set(view.subarray(at, end));
      this.headerFill = end - at;
    }
  }

  /** Completes a frame carried over from earlier chunks; returns where the next frame starts, or -1. */
  private continueFrame(view: Uint8Array, emit: (message: unknown, bytes: number) => void): number {
    let at = 0;
    if (!this.body) {
      let take = Math.min(HEADER_BYTES - this.headerFill, view.length);
      this.header.set(view.subarray(0, take), this.headerFill);
      this.headerFill += take;
      at = take;
      if (this.headerFill < HEADER_BYTES) return -1;
      let length = this.header.readUInt32BE(0);
      this.headerFill = 0;
      this.check(length);
      this.body = new Uint8Array(length);
      this.bodyFill = 0;
    }
    let body = this.body;
    let take = Math.min(body.length - this.bodyFill, view.length - at);
    body.set(view.subarray(at, at + take), this.bodyFill);
    this.bodyFill += take;
    at += take;
    if (this.bodyFill < body.length) return -1;
    this.body = undefined;
    emit(decodeBody(body, 0, body.length), body.length);
    return at;
  }

  private check(length: number): void {
    if (length > this.maxFrameBytes) {
      throw new ProtocolError(`frame of ${length} bytes exceeds the maximum of ${this.maxFrameBytes} bytes`);
    }
  }
}

function readLength(view: Uint8Array, at: number): number {
  return (view[at]! * 0x1000000) + ((view[at + 1]! << 16) | (view[at + 2]! << 8) | view[at + 3]!);
}

function decodeBody(bytes: Uint8Array, start: number, end: number): unknown {
  if (start === end) throw new ProtocolError('empty frame: a frame must hold exactly one msgpack value');
  try {
    return decode(bytes, start, end);
  } catch (error) {
    throw new ProtocolError(`frame of ${end - start} bytes is not one valid msgpack value: ${(error as Error)?.message ?? error}`, { cause: error });
  }
}
