import { spawn as spawnProcess, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { action, race, resource, scoped, sleep, until, type Operation } from 'effection';

/** The bench/ folder. */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The path of a script under bench/peers/. */
export function peerScript(name: string): string {
  return join(BENCH_DIR, 'peers', name);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** `performance.now()` in the 'exit' event handler. */
  at: number;
}

export interface Child {
  readonly process: ChildProcess;
  /** `performance.now()` just before `spawn` was called. */
  readonly spawnedAt: number;
  /** Waits for the process to exit. */
  exited(): Operation<Exit>;
}

/** How long a child is given to exit on its own (stdin closed) before it is SIGKILLed. */
const STOP_GRACE_MS = 2000;

/**
 * Spawn a process for as long as the current scope lasts. When the scope ends, a child that is
 * still running has its stdin closed (bench peers exit on that), then gets SIGKILL after
 * `STOP_GRACE_MS`; either way its exit is awaited, so no process outlives the bench.
 */
export function useChild(file: string, args: string[], options: SpawnOptions = {}): Operation<Child> {
  return resource(function* (provide) {
    let spawnedAt = performance.now();
    let child = spawnProcess(file, args, options);
    let exit: Exit | undefined;
    let exitPromise = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => resolve(exit = { code, signal, at: performance.now() }));
      child.once('error', (error) => {
        // Failed to spawn at all: there will be no 'exit'.
        if (child.pid === undefined) resolve(exit = { code: null, signal: null, at: performance.now() });
        else process.stderr.write(`bench: child ${file}: ${error.message}\n`);
      });
    });
    try {
      yield* provide({ process: child, spawnedAt, exited: () => until(exitPromise) });
    } finally {
      if (!exit) {
        child.stdin?.end();
        yield* race([until(exitPromise), sleep(STOP_GRACE_MS)]);
        if (!exit) {
          child.kill('SIGKILL');
          yield* until(exitPromise);
        }
      }
    }
  });
}

/**
 * Run a program of its own under plain node (a bench fixture: `node <args>`) to its end, its
 * stderr passed through, and give back the last line it printed on stdout, parsed as JSON:
 * how the figures measured in a JavaScript program reach the bench.
 */
export function* runForJson<T>(args: string[]): Operation<T> {
  return yield* scoped(function* () {
    let child = yield* useChild(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.process.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    let exit = yield* child.exited();
    if (exit.code !== 0) throw new Error(`node ${args.join(' ')} exited with ${exit.code ?? exit.signal}`);
    return JSON.parse(output.trim().split('\n').at(-1)!) as T;
  });
}

/** A bench peer: a script under bench/peers/ that speaks lines on stdin/stdout. */
export interface Peer {
  readonly child: Child;
  /** Write one line to the peer's stdin. */
  send(line: string): void;
  /** The next line the peer writes to its stdout. */
  nextLine(): Operation<string>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Start `node [this process's execArgv] bench/peers/<script> ...args` (so TypeScript peers run
 * under the same tsx loader as the bench) and wait for it to print `ready`. Its stderr is the
 * bench's; its stdin is a pipe it must exit on when it closes (also when the bench dies).
 */
export function usePeer(script: string, args: string[] = []): Operation<Peer> {
  return resource(function* (provide) {
    let child = yield* useChild(process.execPath, [...process.execArgv, peerScript(script), ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let lines: string[] = [];
    let waiting: { resolve(line: string): void; reject(error: Error): void } | undefined;
    let ended = false;
    let gone = () => new Error(`bench peer ${script} exited (code ${child.process.exitCode}, signal ${child.process.signalCode})`);
    let reader = createInterface({ input: child.process.stdout! });
    reader.on('line', (line) => {
      if (waiting) {
        let w = waiting;
        waiting = undefined;
        w.resolve(line);
      } else {
        lines.push(line);
      }
    });
    reader.on('close', () => {
      ended = true;
      waiting?.reject(gone());
      waiting = undefined;
    });
    let nextLine = (): Operation<string> => action<string>((resolve, reject) => {
      if (lines.length > 0) resolve(lines.shift()!);
      else if (ended) reject(gone());
      else waiting = { resolve, reject };
      return () => {
        waiting = undefined;
      };
    });
    let ready = yield* race([
      (function* () {
        for (;;) {
          let line = yield* nextLine();
          if (line === 'ready') return true;
          process.stderr.write(`[${script}] ${line}\n`);
        }
      })(),
      (function* () {
        yield* sleep(READY_TIMEOUT_MS);
        return false;
      })(),
    ]);
    if (!ready) throw new Error(`bench peer ${script} did not get ready within ${READY_TIMEOUT_MS} ms`);
    yield* provide({
      child,
      send: (line) => void child.process.stdin!.write(`${line}\n`),
      nextLine,
    });
  });
}
