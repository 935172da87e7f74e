/**
 * Entry of a runSync worker, process or thread, after boot.mjs registered TypeScript support.
 * A process talks over fd 3, the socket pair that is also its lifeline (end of file: the pool
 * is gone, however it died), event-driven; a thread over the port it was given, blocking
 * between jobs (thread-link.ts).
 */
import { writeSync } from 'node:fs';
import { isMainThread, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { keepLongStacks } from '../base/boxing.ts';
import { markNotRoot } from '../base/remote.ts';
import { takeLifeline } from '../spawn/lifeline.ts';
import { socketLink } from '../worker-pool/link.ts';
import { portOutbox, serveBlocking } from '../worker-pool/thread-link.ts';
import { JobRunner, serveEvents } from '../worker-pool/worker-loop.ts';

// Before any user module is imported, so that isMainModule() is false in all of them.
markNotRoot();
keepLongStacks();

if (isMainThread) {
  // Ctrl-C at a terminal goes to the whole foreground process group: the parent turns it into
  // cancellation, which decides what happens to the job running here.
  process.on('SIGINT', () => {});
  let link = socketLink(takeLifeline());
  let self = { name: 'runSync worker', uid: String(process.pid) };
  serveEvents(link, new JobRunner(link, self, (code) => link.close(() => process.exit(code)), true));
} else {
  writeStraightToFds();
  let port = (workerData as { port: MessagePort }).port;
  let outbox = portOutbox(port);
  let self = { name: 'runSync worker', uid: `${process.pid}.${threadId}` };
  serveBlocking(port, new JobRunner(outbox, self, (code) => process.exit(code)), outbox);
}

/**
 * A worker thread's stdout and stderr are relayed through the parent thread, asynchronously: a
 * line can arrive after the call's result, or be lost if the program exits first. Write them
 * to the process's own file descriptors instead, at once, as a process worker does.
 */
function writeStraightToFds(): void {
  for (let [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
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
}
