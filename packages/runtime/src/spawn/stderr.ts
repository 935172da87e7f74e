import { writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/*
 * An actor process's stderr. What a child writes while it boots goes through a pipe to its
 * spawner, which passes it on to its own stderr and keeps the tail, so that an `ActorBootError`
 * can say what the child printed (node refusing a flag, a module failing at its top level,
 * anything before the child could report). Once the child is ready it writes straight to the
 * stderr it was handed on another descriptor (the program's terminal, passed down the tree),
 * so a busy or dead parent never holds up or swallows what a running actor prints. The pipe
 * stays open: what bypasses JavaScript (a native crash's last words) still goes through it.
 */

/** The descriptor a child gets its program's stderr on. */
const STDERR_FD_IN_CHILD = 4;

/** The environment variable that tells a child it has that descriptor. */
const STDERR_FD_VARIABLE = 'HARROW_STDERR_FD';

/** Bytes of a child's boot output kept for its `ActorBootError`. */
const TAIL_BYTES = 4096;

/** The descriptor of this process's real stderr: the one handed down, or 2. */
export function realStderrFd(): number {
  let handed = Number(process.env[STDERR_FD_VARIABLE]);
  return Number.isInteger(handed) && handed > 2 ? handed : 2;
}

/** What a spawner adds to a child's `stdio` (from index 2 on) and environment to capture its boot output. */
export function bootStderrStdio(): { stdio: ['pipe', 'pipe', number]; env: Record<string, string> } {
  return { stdio: ['pipe', 'pipe', realStderrFd()], env: { [STDERR_FD_VARIABLE]: String(STDERR_FD_IN_CHILD) } };
}

/**
 * Pass a child's stderr pipe on to this process's stderr, keeping its last `TAIL_BYTES`; returns
 * the tail. `onChunk` sees each chunk too.
 */
export function relayStderr(pipe: Readable, onChunk?: (chunk: Uint8Array) => void): () => string {
  let tail = stderrTail();
  pipe.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.add(chunk);
    onChunk?.(chunk);
  });
  pipe.on('error', () => {}); // the child is gone; its exit says the rest
  return tail.text;
}

/** The last `TAIL_BYTES` of what a child printed. */
export function stderrTail(): { add(chunk: Uint8Array): void; text(): string } {
  let tail = Buffer.alloc(0);
  return {
    add(chunk) {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    },
    text: () => tail.toString('utf8'),
  };
}

/** In a ready child: from now on its JavaScript writes to stderr go straight to the real one (see above). */
export function writeStderrStraight(): void {
  let fd = realStderrFd();
  if (fd !== 2) writeStraightTo(process.stderr, fd);
}

/**
 * Make `stream.write` a synchronous write to `fd`: at once, in order, and not lost if the
 * process or thread ends right after. Also used for worker threads, whose stdout and stderr are
 * otherwise relayed through the parent thread, late.
 */
export function writeStraightTo(stream: Writable, fd: number): void {
  stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void) => {
    let done = typeof encoding === 'function' ? encoding : callback;
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    try {
      for (let at = 0; at < bytes.length;) {
        try {
          at += writeSync(fd, bytes, at);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        }
      }
      done?.(null);
    } catch (error) {
      done?.(error as Error);
    }
    return true;
  }) as typeof stream.write;
}
