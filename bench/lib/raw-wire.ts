import { Packr } from 'msgpackr';

/**
 * The raw side of the bench: msgpack bodies behind a 4-byte big-endian length prefix on a
 * plain `node:net` socket, with no channel, no effection and no checks beyond what is needed.
 * The codec is plain msgpackr with `useRecords: false` (frames decodable on their own, as in the
 * transport).
 */
export const packr = new Packr({ useRecords: false });

export const HEADER_BYTES = 4;

/** One frame in one buffer: header and body. */
export function frame(value: unknown): Buffer {
  let body = packr.pack(value);
  let out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, HEADER_BYTES);
  return out;
}

/** Coalesces frames into buffers of about `limit` bytes, for one write each. */
export class FrameBatch {
  private buffer: Buffer;
  private at = 0;

  constructor(private limit = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(limit);
  }

  get bytes(): number {
    return this.at;
  }

  /** Appends one frame; returns a full batch to write when the frame does not fit, else undefined. */
  add(value: unknown): Buffer | undefined {
    let body = packr.pack(value);
    let size = HEADER_BYTES + body.length;
    let full: Buffer | undefined;
    if (this.at + size > this.buffer.length) {
      full = this.take();
      if (size > this.buffer.length) this.buffer = Buffer.allocUnsafe(size);
    }
    this.buffer.writeUInt32BE(body.length, this.at);
    this.buffer.set(body, this.at + HEADER_BYTES);
    this.at += size;
    return full;
  }

  /** The frames added so far, as one buffer the caller may hand to `write` (a fresh one follows). */
  take(): Buffer {
    let out = this.buffer.subarray(0, this.at);
    this.buffer = Buffer.allocUnsafe(this.limit);
    this.at = 0;
    return out;
  }
}

/** Decodes every complete frame of each chunk as it arrives; keeps a split frame for the next chunk. */
export class FrameReader {
  private carry: Buffer | undefined;

  constructor(private onMessage: (value: unknown) => void) {}

  push(chunk: Buffer): void {
    let buffer = this.carry ? this.completeCarried(chunk) : chunk;
    if (buffer.length === 0) return;
    let at = 0;
    let end = buffer.length;
    while (end - at >= HEADER_BYTES) {
      let length = buffer.readUInt32BE(at);
      let start = at + HEADER_BYTES;
      if (end - start < length) break;
      this.onMessage(packr.unpack(buffer, { start, end: start + length }));
      at = start + length;
    }
    if (at < end) this.carry = Buffer.from(buffer.subarray(at));
  }

  /** Finishes the frame split across chunks (copying only its own bytes); returns the rest of `chunk`. */
  private completeCarried(chunk: Buffer): Buffer {
    let carry = this.carry!;
    let header = carry.length >= HEADER_BYTES
      ? carry
      : Buffer.concat([carry, chunk.subarray(0, HEADER_BYTES - carry.length)]);
    if (header.length < HEADER_BYTES) {
      this.carry = header;
      return chunk.subarray(chunk.length);
    }
    let needed = HEADER_BYTES + header.readUInt32BE(0) - carry.length;
    if (chunk.length < needed) {
      this.carry = Buffer.concat([carry, chunk]);
      return chunk.subarray(chunk.length);
    }
    let whole = Buffer.concat([carry, chunk.subarray(0, needed)]);
    this.carry = undefined;
    this.onMessage(packr.unpack(whole, { start: HEADER_BYTES, end: whole.length }));
    return chunk.subarray(needed);
  }
}
