/**
 * Entry of a runSync worker, process or thread.
 * A process talks over fd 3, the socket pair that is also its lifeline (end of file: the pool
 * is gone, however it died), event-driven; a thread over the port it was given, blocking
 * between jobs (thread-link.ts).
 */
import { isMainThread, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { socketWire } from '@harrow/transport';
import { keepLongStacks } from '../base/boxing.ts';
import { markNotRoot } from '../base/remote.ts';
import { takeLifeline } from '../spawn/lifeline.ts';
import { writeStraightTo } from '../spawn/stderr.ts';
import { wireLink } from '../worker-pool/link.ts';
import { portOutbox, serveBlocking } from '../worker-pool/thread-link.ts';
import { JobRunner, serveEvents } from '../worker-pool/worker-loop.ts';

/** Serve runSync jobs until the pool lets this worker go; called by boot.cjs. */
export function start(): void {
  // Before any user module is imported, so that isMainModule() is false in all of them.
  markNotRoot();
  keepLongStacks();
  if (isMainThread) {
    // Ctrl-C at a terminal goes to the whole foreground process group: the parent turns it into
    // cancellation, which decides what happens to the job running here.
    process.on('SIGINT', () => {});
    let link = wireLink(socketWire(takeLifeline(), 'its pool'));
    let self = { name: 'runSync worker', uid: String(process.pid) };
    serveEvents(link, new JobRunner(link, self, (code) => link.close(() => process.exit(code)), true));
  } else {
    // Relayed through the parent thread, a worker thread's output would come late (after the
    // call's result) or be lost if the program exits first: written straight, as a process's is.
    writeStraightTo(process.stdout, 1);
    writeStraightTo(process.stderr, 2);
    let port = (workerData as { port: MessagePort }).port;
    let outbox = portOutbox(port);
    let self = { name: 'runSync worker', uid: `${process.pid}.${threadId}` };
    serveBlocking(port, new JobRunner(outbox, self, (code) => process.exit(code)), outbox);
  }
}
