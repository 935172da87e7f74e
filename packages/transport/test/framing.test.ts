import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, HEADER_BYTES, ProtocolError, encode, frameAll, frameHeader } from '../src/index.ts';

/** Frames of `messages`, back to back, as they would arrive on a socket. */
function framesOf(messages: unknown[]): Buffer {
  let bodies = messages.map((message) => encode(message));
  return frameAll(bodies, bodies.reduce((sum, body) => sum + body.length, 0));
}

/** Feed `chunks` to a fresh decoder and return what it emitted. */
function decodeChunks(chunks: Uint8Array[], maxFrameBytes?: number): { messages: unknown[]; sizes: number[] } {
  let decoder = new FrameDecoder(maxFrameBytes);
  let messages: unknown[] = [];
  let sizes: number[] = [];
  for (let chunk of chunks) decoder.push(chunk, (message, size) => {
    messages.push(message);
    sizes.push(size);
  });
  expect(decoder.midFrame).toBe(false);
  return { messages, sizes };
}

function header(length: number): Uint8Array {
  return new Uint8Array(frameHeader(length));
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  return new Uint8Array(parts.flatMap((part) => Array.from(part)));
}

const MESSAGES = [0, 'a', { hello: 'world', list: [1, 2, 3] }, new Uint8Array([1, 2, 3]), new Map([[1, 'x']]), 'é'.repeat(40), [], null];

describe('FrameDecoder', () => {
  it('writes a u32 big-endian length before each body', () => {
    expect([...frameHeader(0x01020304)]).toEqual([1, 2, 3, 4]);
    let framed = framesOf(['ab']);
    expect(framed.readUInt32BE(0)).toBe(framed.length - HEADER_BYTES);
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(64 * 1024 * 1024);
  });

  it('decodes many frames arriving in one chunk, in order, with their body sizes', () => {
    let stream = framesOf(MESSAGES);
    let { messages, sizes } = decodeChunks([stream]);
    expect(messages).toEqual(MESSAGES);
    expect(sizes).toEqual(MESSAGES.map((message) => encode(message).length));
  });

  it('decodes the same frames split at every byte boundary', () => {
    let stream = framesOf(MESSAGES);
    for (let at = 0; at <= stream.length; at++) {
      expect(decodeChunks([stream.subarray(0, at), stream.subarray(at)]).messages).toEqual(MESSAGES);
    }
  });

  it('decodes the same frames split at every pair of byte boundaries', () => {
    let stream = framesOf(MESSAGES.slice(0, 4));
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        let chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
        expect(decodeChunks(chunks).messages).toEqual(MESSAGES.slice(0, 4));
      }
    }
  });

  it('decodes frames fed one byte at a time, and from plain Uint8Arrays as well as Buffers', () => {
    let stream = framesOf(MESSAGES);
    let bytes = [...stream].map((byte) => new Uint8Array([byte]));
    expect(decodeChunks(bytes).messages).toEqual(MESSAGES);
    expect(decodeChunks([new Uint8Array(stream)]).messages).toEqual(MESSAGES);
  });

  it('decodes a header split across chunks, in every way', () => {
    let frame = framesOf([{ split: 'header' }]);
    for (let at = 1; at < HEADER_BYTES; at++) {
      expect(decodeChunks([frame.subarray(0, at), frame.subarray(at)]).messages).toEqual([{ split: 'header' }]);
    }
    expect(decodeChunks([frame.subarray(0, 1), frame.subarray(1, 2), frame.subarray(2, 3), frame.subarray(3)]).messages).toEqual([
      { split: 'header' },
    ]);
  });

  it('handles a large frame spread over many chunks, with frames before and after it in the same chunks', () => {
    let big = Buffer.from(new Uint8Array(300_000).map((_, i) => i % 251));
    let stream = framesOf(['before', big, 'after']);
    let chunks: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 65_536) chunks.push(stream.subarray(at, at + 65_536));
    let { messages } = decodeChunks(chunks);
    expect(messages[0]).toBe('before');
    expect((messages[1] as Uint8Array).constructor).toBe(Uint8Array);
    expect(Buffer.from(messages[1] as Uint8Array).equals(big)).toBe(true);
    expect(messages[2]).toBe('after');
  });

  it('does not keep a reference to the chunks it was given', () => {
    let chunk = framesOf([new Uint8Array([1, 2, 3])]);
    let { messages } = decodeChunks([chunk]);
    chunk.fill(0);
    expect(messages[0]).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('reports midFrame while a frame is incomplete', () => {
    let frame = framesOf(['hello']);
    let decoder = new FrameDecoder();
    let emitted: unknown[] = [];
    decoder.push(frame.subarray(0, 2), (message) => emitted.push(message));
    expect(decoder.midFrame).toBe(true);
    decoder.push(frame.subarray(2, 6), (message) => emitted.push(message));
    expect(decoder.midFrame).toBe(true);
    decoder.push(frame.subarray(6), (message) => emitted.push(message));
    expect(decoder.midFrame).toBe(false);
    expect(emitted).toEqual(['hello']);
  });

  it('rejects an empty frame as a ProtocolError', () => {
    expect(() => decodeChunks([header(0)])).toThrow(ProtocolError);
    expect(() => decodeChunks([header(0)])).toThrow(/empty frame/);
    // After good frames in the same chunk, and when the empty header arrives split.
    let decoder = new FrameDecoder();
    let emitted: unknown[] = [];
    expect(() => decoder.push(concat(framesOf([1, 2]), header(0)), (message) => emitted.push(message))).toThrow(ProtocolError);
    expect(emitted).toEqual([1, 2]);
    let split = new FrameDecoder();
    split.push(header(0).subarray(0, 3), () => {});
    expect(() => split.push(header(0).subarray(3), () => {})).toThrow(ProtocolError);
  });

  it('rejects trailing bytes after the value in a frame as a ProtocolError', () => {
    let body = concat(encode('value'), [0x01]);
    let frame = concat(header(body.length), body);
    expect(() => decodeChunks([frame])).toThrow(ProtocolError);
    expect(() => decodeChunks([frame])).toThrow(/not one valid msgpack value/);
    // The same when the frame arrives in pieces.
    expect(() => decodeChunks([frame.subarray(0, 5), frame.subarray(5)])).toThrow(ProtocolError);
  });

  it('rejects a body that is not msgpack, or is cut short inside the frame, as a ProtocolError with the cause', () => {
    let bodies = [
      [0xc1],
      [0x92, 0x01],
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61],
      [0xd4, 0x7f, 0x00],
    ];
    for (let body of bodies) {
      let error: unknown;
      try {
        decodeChunks([concat(header(body.length), body)]);
      } catch (caught) {
        error = caught;
      }
      expect(error, `body ${body.map((byte) => byte.toString(16)).join(' ')}`).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).cause).toBeInstanceOf(Error);
    }
  });

  it('rejects a declared length above the maximum before allocating anything for it', () => {
    let before = process.memoryUsage().arrayBuffers;
    let decoder = new FrameDecoder(1024);
    expect(() => decoder.push(header(0xffffffff), () => {})).toThrow(ProtocolError);
    expect(() => new FrameDecoder(1024).push(header(0xffffffff), () => {})).toThrow(
      'frame of 4294967295 bytes exceeds the maximum of 1024 bytes',
    );
    // Just above the maximum, with part of a body, and with the header split across chunks: a
    // decoder that allocated first would hold half a GiB here.
    let big = 512 * 1024 * 1024;
    let decoders = Array.from({ length: 4 }, () => new FrameDecoder(big - 1));
    expect(() => decoders[0]!.push(header(big), () => {})).toThrow(ProtocolError);
    expect(() => decoders[1]!.push(concat(header(big), [1, 2, 3]), () => {})).toThrow(ProtocolError);
    decoders[2]!.push(header(big).subarray(0, 2), () => {});
    expect(() => decoders[2]!.push(header(big).subarray(2), () => {})).toThrow(ProtocolError);
    expect(() => decoders[3]!.push(concat(framesOf(['ok']), header(big)), () => {})).toThrow(ProtocolError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    // The measure above would have seen it: an accepted length is allocated as soon as it is read.
    let accepting = new FrameDecoder(big);
    accepting.push(concat(header(big), [1, 2, 3]), () => {});
    expect(accepting.midFrame).toBe(true);
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThan(big / 2);
  });

  it('accepts a frame of exactly the maximum size', () => {
    let body = encode(new Uint8Array(1000));
    let { messages } = decodeChunks([concat(header(body.length), body)], body.length);
    expect(messages).toEqual([new Uint8Array(1000)]);
    expect(() => decodeChunks([concat(header(body.length), body)], body.length - 1)).toThrow(ProtocolError);
  });
});
