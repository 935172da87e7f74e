import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { Worker } from 'node:worker_threads';
import { moduleBeside, threadBoot } from '@harrow/runtime/debug-port';

const HUB_MAIN = moduleBeside(import.meta.url, './hub-thread');
const TTY = '/dev/tty';

interface RunningHub {
  address: string;
  worker: Worker;
  /** A directory of its own, removed when it stops (none when it lives in the tree's). */
  ownDir?: string;
  onExit: () => void;
}

let hub: Promise<RunningHub | undefined> | undefined;

/**
 * Start the root's terminal hub, once per process: a thread that owns the terminal and lends
 * it to one paused actor at a time. Only when this process's stdin is a terminal (then its
 * controlling terminal, `/dev/tty`, is the one the user typed the command in); resolves with
 * the hub's socket path, or undefined when there is no terminal. Its socket goes in `dir` (the
 * tree's directory, which the root's sentinel removes even if the root is killed), or in a
 * directory of its own.
 */
export function startHub(dir?: string): Promise<string | undefined> {
  hub ??= start(dir);
  return hub.then((running) => running?.address);
}

/** Stop the hub (the root actor is stopping); a later `startHub` starts a new one. */
export async function stopHub(): Promise<void> {
  let running = await hub;
  hub = undefined;
  if (!running) return;
  process.off('exit', running.onExit);
  restoreTerminal();
  holdInterrupts(false);
  routeOutput(undefined);
  await running.worker.terminate();
  if (running.ownDir) rmSync(running.ownDir, { recursive: true, force: true });
}

function start(treeDir?: string): Promise<RunningHub | undefined> {
  if (!process.stdin.isTTY || !canOpen(TTY)) return Promise.resolve(undefined);
  let ownDir = treeDir ? undefined : mkdtempSync(join(tmpdir(), 'harrow-debug-'));
  let address = join(treeDir ?? ownDir!, 'debug-hub.sock');
  let { boot, workerData } = threadBoot(HUB_MAIN);
  let worker = new Worker(boot, { workerData: { ...workerData, socket: address, tty: TTY }, execArgv: [] });
  worker.unref();
  // Not waited for: the program goes on while the hub thread starts (a debugger thread that
  // asks for the terminal meanwhile waits for the hub's socket to appear).
  worker.on('message', (message: { lent?: boolean; ack?: number; error?: string }) => {
    if (message.lent !== undefined) {
      holdInterrupts(message.lent);
      routeOutput(message.lent ? (text) => worker.postMessage({ print: text }) : undefined);
    }
    if (message.ack !== undefined) worker.postMessage({ ack: message.ack });
    if (message.error) process.stderr.write(`harrow: the debugger's terminal hub could not listen on ${address}: ${message.error}\n`);
  });
  let onExit = () => {
    restoreTerminal();
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  worker.on('error', (error) => process.stderr.write(`harrow: the debugger's terminal hub failed: ${error?.stack ?? error}\n`));
  return Promise.resolve({ address, worker, onExit, ...(ownDir ? { ownDir } : {}) });
}

let lent = false;
let held: { listeners: NodeJS.SignalsListener[]; pending: boolean } | undefined;

/**
 * While an actor holds the terminal, a SIGINT that reaches the root (from outside: the
 * terminal itself is in raw mode, where Ctrl-C is a key) waits until the REPL is left, and is
 * then delivered as it would have been.
 */
function holdInterrupts(nowLent: boolean): void {
  lent = nowLent;
  if (nowLent && !held) {
    held = { listeners: process.rawListeners('SIGINT') as NodeJS.SignalsListener[], pending: false };
    process.removeAllListeners('SIGINT');
    process.on('SIGINT', hold);
  } else if (!nowLent && held) {
    let { listeners, pending } = held;
    held = undefined;
    process.off('SIGINT', hold);
    // rawListeners: a `once` listener goes back as the `once` wrapper it was.
    for (let listener of listeners) process.on('SIGINT', listener);
    // Handled now, before the actor that held the terminal runs on (the hub waits for this):
    // by the program's listeners, or, where it has none, by the signal's default action.
    if (pending && listeners.length > 0) process.emit('SIGINT', 'SIGINT');
    else if (pending) process.kill(process.pid, 'SIGINT');
  }
}

let direct: { stdout: typeof process.stdout.write; stderr: typeof process.stderr.write } | undefined;

/**
 * While an actor holds the terminal, what the root itself prints (its main thread's stdout and
 * stderr) goes through the hub, which prints it above the prompt and redraws the prompt, rather
 * than onto the prompt's line. Other processes write to the terminal directly (docs/debugging.md).
 */
function routeOutput(print: ((text: string) => void) | undefined): void {
  if (print && !direct) {
    direct = { stdout: process.stdout.write, stderr: process.stderr.write };
    let through = (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
      print(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      let done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => done());
      return true;
    };
    process.stdout.write = through as typeof process.stdout.write;
    process.stderr.write = through as typeof process.stderr.write;
  } else if (!print && direct) {
    process.stdout.write = direct.stdout;
    process.stderr.write = direct.stderr;
    direct = undefined;
  }
}

function hold(): void {
  if (held) held.pending = true;
}

/** Leave raw mode if the process exits while an actor holds the terminal. */
function restoreTerminal(): void {
  if (!lent) return;
  lent = false;
  try {
    let fd = openSync(TTY, 'r+');
    new ReadStream(fd).setRawMode(false);
    closeSync(fd);
  } catch {
    // no terminal any more
  }
}

function canOpen(path: string): boolean {
  try {
    closeSync(openSync(path, 'r+'));
    return true;
  } catch {
    return false;
  }
}
