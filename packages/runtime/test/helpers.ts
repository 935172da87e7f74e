import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { scoped, type Operation } from 'effection';
import { afterEach, beforeEach, expect } from 'vitest';

/*
 * Leak detection. Every test that spawns gets a fresh tag in its environment
 * (HARROW_TEST_TAG), which every process it starts inherits, however deep, and keeps even when
 * it is orphaned and adopted by init. After the test, no process may carry the tag, and the test
 * process may have no unreaped (zombie) children.
 */

const TAG = 'HARROW_TEST_TAG';

/** Give the processes this test starts a tag of their own; returns it. Call in `beforeEach`. */
export function tagProcesses(): string {
  let tag = randomBytes(6).toString('hex');
  process.env[TAG] = tag;
  return tag;
}

/** Pids of live processes carrying `tag` (this process excluded). */
export function tagged(tag: string): number[] {
  let found: number[] = [];
  for (let entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone, or a zombie (its environment is no longer readable)
    }
    if (environ.split('\0').includes(`${TAG}=${tag}`) && alive(pid)) found.push(pid);
  }
  return found;
}

/** Children of this process that exited but were never reaped. */
export function zombieChildren(): number[] {
  let found: number[] = [];
  for (let entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat = procStat(Number(entry));
    if (stat && stat.ppid === process.pid && stat.state === 'Z') found.push(Number(entry));
  }
  return found;
}

/** The kernel's PF_EXITING: the process has begun to exit (a SIGKILL was delivered, say). */
const PF_EXITING = 0x4;

function procStat(pid: number): { state: string; ppid: number; exiting: boolean } | undefined {
  try {
    let text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    let fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), exiting: (Number(fields[6]) & PF_EXITING) !== 0 };
  } catch {
    return undefined;
  }
}

/**
 * Whether a process is alive: not a zombie, and not already exiting. A process being torn down
 * (its memory released, so its environment unreadable) is gone in all but its process-table
 * entry, and `tagged` cannot see it any more either.
 */
/** The parent pid of `pid`, from /proc; undefined once it is gone. */
export function parentOf(pid: number): number | undefined {
  try {
    let stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  let stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && !stat.exiting;
}

/**
 * Assert that nothing started under `tag` is alive and nothing is left unreaped. With
 * `withinMs`, allow that long for processes to notice and exit (for tests where the root
 * itself was killed); otherwise they must already be gone. With `ownSentinel`, this process's
 * sentinel is allowed (a check made while a worker context that needs it is still open).
 */
export async function expectNoLeaks(tag: string, withinMs = 0, options: { ownSentinel?: boolean } = {}): Promise<void> {
  let deadline = Date.now() + withinMs;
  let live = () => tagged(tag).filter((pid) => !(options.ownSentinel && isOwnSentinel(pid)));
  let left = live();
  while (left.length > 0 && Date.now() < deadline) {
    await pause(20);
    left = live();
  }
  // tsx's compile service (esbuild), started by a program a test ran under tsx or by a process
  // actor that compiled something, exits by itself once its parent is gone: a moment after it.
  // It is the loader's, not harrow's doing (thread actors, where it would stay a zombie, confine
  // theirs: src/spawn/confine-esbuild.mjs), so it alone gets that moment.
  let loaderDeadline = Date.now() + COMPILE_SERVICE_EXIT_MS;
  while (left.some(isCompileService) && Date.now() < loaderDeadline) {
    await pause(20);
    left = live();
  }
  // A process seen alive a moment ago may have finished exiting since (its command line then
  // reads empty): only one still alive now is left behind.
  left = left.filter(alive);
  expect(left.map(describeProcess), 'processes left alive').toEqual([]);
  expect(zombieChildren().map(describeZombie), 'children left unreaped').toEqual([]);
}

/** This process's sentinel (src/spawn/sentinel.ts). */
function isOwnSentinel(pid: number): boolean {
  try {
    let command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return command === 'harrow-sentinel' && procStat(pid)?.ppid === process.pid;
  } catch {
    return false;
  }
}

function describeZombie(pid: number): string {
  try {
    let stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}: ${stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1)}`;
  } catch {
    return `${pid}`;
  }
}

/** Live tsx compile services (esbuild) started under `tag`. */
export function compileServices(tag: string): number[] {
  return tagged(tag).filter(isCompileService);
}

/** How long a tsx compile service may take to notice that its parent is gone and exit. */
const COMPILE_SERVICE_EXIT_MS = 2_000;

function isCompileService(pid: number): boolean {
  try {
    let [command, ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /[/\\]esbuild$/.test(command!) && args.some((arg) => arg.startsWith('--service='));
  } catch {
    return false;
  }
}

function describeProcess(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 160)}`;
  } catch {
    return `${pid}`;
  }
}

/** Polling interval for conditions that have no event to wait on (another process's state). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait until `check()` is true, polling; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  let deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(10);
  }
}

/** A temporary directory, removed by the returned function. */
export function tempDir(): { path: string; remove(): void } {
  let path = mkdtempSync(join(tmpdir(), 'harrow-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Marker files: actors write them to prove something ran (or did not). */
export function markers(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/**
 * Run a TypeScript program as a separate root process (for tests that signal or kill the
 * root), with stdout collected line by line; with `stdin`, a pipe to its stdin.
 */
export function startProgram(file: URL, args: string[] = [], env: Record<string, string> = {}, options: { stdin?: boolean } = {}): Program {
  let child = spawnProcess(process.execPath, ['--import', 'tsx', file.pathname, ...args], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let lines: string[] = [];
  let stderr = '';
  /** Waiting for a line: `wants` is asked after each new line is recorded. */
  let waiters: { wants(line: string): boolean; resolve(line: string): void }[] = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (let line of parts) {
      lines.push(line);
      for (let waiter of [...waiters]) {
        if (waiter.wants(line)) {
          waiters = waiters.filter((other) => other !== waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  let exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  let read = 0;
  let lineAt = (index: number) =>
    new Promise<string>((resolve, reject) => {
      if (lines.length > index) return resolve(lines[index]!);
      waiters.push({ wants: () => lines.length > index, resolve: () => resolve(lines[index]!) });
      void exited.then((exit) => reject(new Error(`the program exited (${JSON.stringify(exit)}) before printing line ${index + 1}; stderr:\n${stderr}`)));
    });
  return {
    process: child,
    lines,
    get stderr() {
      return stderr;
    },
    exited,
    nextLine() {
      return lineAt(read++);
    },
    line(match: RegExp, timeoutMs = 20_000): Promise<string> {
      let found = lines.find((line) => match.test(line));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        let timer = setTimeout(() => reject(new Error(`no line matching ${match} within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({ wants: (line) => match.test(line), resolve: (line) => { clearTimeout(timer); resolve(line); } });
      });
    },
  };
}

export interface Program {
  process: ChildProcess;
  lines: string[];
  readonly stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first stdout line matching `match`, waiting for it if needed. */
  line(match: RegExp, timeoutMs?: number): Promise<string>;
  /** The stdout lines one after another, each call the next (failing if the program exits first). */
  nextLine(): Promise<string>;
}

/** What `perTest` gives each test: its process tag and a temporary directory (removed after it). */
export interface PerTest {
  readonly tag: string;
  readonly dir: string;
}

/**
 * Register, for every test of the file, a fresh process tag and temporary directory, removed
 * after the test; with `leakCheck` (the default), also the check that nothing the test started
 * is still alive or unreaped.
 */
export function perTest(options: { leakCheck?: boolean } = {}): PerTest {
  let current: { tag: string; dir: ReturnType<typeof tempDir> } | undefined;
  beforeEach(() => {
    current = { tag: tagProcesses(), dir: tempDir() };
  });
  afterEach(async () => {
    let test = current!;
    try {
      if (options.leakCheck ?? true) await expectNoLeaks(test.tag);
    } finally {
      test.dir.remove();
    }
  });
  return {
    get tag() {
      return current!.tag;
    },
    get dir() {
      return current!.dir.path;
    },
  };
}

/**
 * Run one of the repository's examples as a real program to completion: it must exit 0 and
 * leave nothing alive (within `allowanceMs`, for programs whose helpers exit through their
 * lifeline just after). Its stdout lines.
 */
export async function runExample(test: PerTest, name: string, args: string[] = [], allowanceMs = 0): Promise<string[]> {
  let program = startProgram(new URL(`../../../examples/${name}.ts`, import.meta.url), args);
  let exit = await program.exited;
  expect(exit, program.stderr).toEqual({ code: 0, signal: null });
  await expectNoLeaks(test.tag, allowanceMs);
  return program.lines;
}

/** Run `body` in a scope of its own and return what it threw; fails if it did not throw. */
export function* failureOf(body: () => Operation<unknown>): Operation<unknown> {
  try {
    yield* scoped(body);
  } catch (error) {
    return error;
  }
  throw new Error('expected the scope to fail');
}
