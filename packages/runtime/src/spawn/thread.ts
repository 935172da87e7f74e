import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { createChannel, portWire, type Channel } from '@harrow/transport';
import { BOOT, THREAD_ACTOR_MAIN } from './entries.ts';
import { typescriptSupport } from './typescript.ts';
import { exitRecord, type ChildHandle, type StartOptions } from './handle.ts';
import { hostPortForThread } from './process-host.ts';

/** What runs over a thread's port: the actor protocol's `Channel`, or a spawner's own connection. */
export type ConnectPort<C> = (port: MessagePort, peer: string) => C;

const channelOver: ConnectPort<Channel> = (port, peer) => createChannel(portWire(port, peer));

/**
 * Start a thread actor: a worker thread that registers tsx if the tree loads TypeScript (Node 20
 * workers do not inherit the parent's loader hooks; see boot.cjs) and runs `options.entry` (default `entry/thread-main.ts`),
 * talking over a `MessagePort`. A thread has no signals: "terminate" has no graceful step and
 * "kill" is `worker.terminate()`. Its `console.log` goes through the parent thread's stdout, as
 * Node does for workers.
 *
 * `connect` builds what talks over the port (default: a `Channel`); the runSync pool passes its own.
 */
export function startThread(options: StartOptions): ChildHandle;
export function startThread<C>(options: StartOptions, connect: ConnectPort<C>): ChildHandle<C>;
export function startThread(options: StartOptions, connect: ConnectPort<unknown> = channelOver): ChildHandle<unknown> {
  let { port1, port2 } = new MessageChannel();
  // Processes it starts are started, and reaped, by the main thread (process-host.ts).
  let host = hostPortForThread();
  let worker = new Worker(BOOT, {
    workerData: { port: port2, entry: options.entry ?? THREAD_ACTOR_MAIN, typescript: options.typescript === undefined ? typescriptSupport() ?? null : options.typescript, host },
    transferList: [port2, host],
    env: options.env,
    // Not this thread's flags: under `tsx`, they would register tsx a second time.
    execArgv: options.execArgv,
  });
  let record = exitRecord();
  // An uncaught error in the thread ends it; 'exit' follows with code 1. Printed, as a process
  // prints its own: otherwise a thread that fails before it can report (a syntax error in its
  // boot) would leave only "exited with code 1".
  worker.on('error', (error) => process.stderr.write(`uncaught in worker thread ${worker.threadId}: ${error?.stack ?? error}\n`));
  worker.on('exit', (code) => record.exited({ code, signal: null }));
  let channel = connect(port1, `actor thread ${worker.threadId}`);
  return {
    pid: process.pid,
    channel,
    get exit() {
      return record.exit;
    },
    onExit: record.onExit,
    // A thread shares this process's stderr: what it printed is on the terminal already.
    stderrTail: () => '',
    terminate: () => false,
    kill() {
      if (!record.exit) void worker.terminate();
    },
    keepAlive(on) {
      if (on) {
        worker.ref();
        port1.ref();
      } else {
        worker.unref();
        port1.unref();
      }
    },
  };
}
