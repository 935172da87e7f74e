import { readFileSync, readdirSync } from 'node:fs';
import { sleep, type Operation } from 'effection';

/**
 * Reading other processes from Linux's /proc: what the runtime suite needs to see of actor
 * processes without any hook inside the runtime (their parent, command line, CPU time, thread
 * states, resident memory).
 */

/** Kernel clock ticks per second (`getconf CLK_TCK`), the unit of the CPU times in /proc/<pid>/stat. */
const CLK_TCK = 100;

interface Stat {
  state: string;
  ppid: number;
  /** utime + stime of every thread, in ticks. */
  cpuTicks: number;
}

function readStat(path: string): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may contain anything.
  let fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** Whether `pid` is alive (a zombie, exited but not reaped, counts as alive: it is not gone yet). */
export function exists(pid: number): boolean {
  return readStat(`/proc/${pid}/stat`) !== undefined;
}

/** Live children of `ppid` whose command line contains `needle`. */
export function childrenMatching(ppid: number, needle: string): number[] {
  let found: number[] = [];
  for (let entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat = readStat(`/proc/${entry}/stat`);
    if (!stat || stat.ppid !== ppid || stat.state === 'Z') continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/** VmRSS of `pid` in KiB (what `process.memoryUsage().rss` reports for a process itself). */
export function vmRssKiB(pid: number): number {
  let status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let match = /^VmRSS:\s*(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** How many threads `pid` has (`Threads:` in /proc/<pid>/status). */
export function threadCount(pid: number): number {
  let status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let match = /^Threads:\s*(\d+)/m.exec(status);
  if (!match) throw new Error(`no thread count for pid ${pid}`);
  return Number(match[1]);
}

/** CPU time (user + system, every thread) `pid` has used so far, in ms; 10 ms resolution. */
export function cpuMs(pid: number): number {
  let stat = readStat(`/proc/${pid}/stat`);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return (stat.cpuTicks * 1000) / CLK_TCK;
}

/** The scheduler state of each thread of `pid` (`R` running or runnable, `S` sleeping, `D` in I/O...). */
function threadStates(pid: number): string[] {
  let states: string[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return states;
  }
  for (let tid of tasks) {
    let stat = readStat(`/proc/${pid}/task/${tid}/stat`);
    if (stat) states.push(stat.state);
  }
  return states;
}

/**
 * Wait until `pid` is idle: for `quietMs` in a row, its CPU time has not moved and every one of
 * its threads has been asleep (none running, runnable or in uninterruptible I/O) at each poll.
 * A process that is still starting up (CPU-bound, or waiting for a CPU) never looks like that
 * for long; a process blocked in its event loop with nothing to do does at once. Returns how
 * long the wait took, in ms; throws if `pid` exits or is not idle within `timeoutMs`.
 */
export function* waitUntilIdle(pid: number, quietMs = 100, timeoutMs = 20_000, pollMs = 10): Operation<number> {
  let start = performance.now();
  let quietSince: number | undefined;
  let lastCpu = -1;
  for (;;) {
    let stat = readStat(`/proc/${pid}/stat`);
    if (!stat || stat.state === 'Z') throw new Error(`process ${pid} exited while waiting for it to be idle`);
    let now = performance.now();
    let asleep = threadStates(pid).every((state) => state === 'S');
    if (!asleep) {
      quietSince = undefined;
    } else if (stat.cpuTicks !== lastCpu || quietSince === undefined) {
      quietSince = now;
    } else if (now - quietSince >= quietMs) {
      return now - start;
    }
    lastCpu = stat.cpuTicks;
    if (now - start > timeoutMs) throw new Error(`process ${pid} not idle within ${timeoutMs} ms`);
    yield* sleep(pollMs);
  }
}

/** CPU time per call, in µs, that this process and the process `pid` spent while `body` ran. */
export interface CpuPerCall {
  self: number;
  peer: number;
}

/** Run `body` (which makes `calls` calls) and measure the CPU time both sides spent on it. */
export function* withCpuPerCall<T>(pid: number, calls: number, body: () => Operation<T>): Operation<[T, CpuPerCall]> {
  let self0 = process.cpuUsage();
  let peer0 = cpuMs(pid);
  let result = yield* body();
  let self = process.cpuUsage(self0);
  return [result, { self: (self.user + self.system) / calls, peer: ((cpuMs(pid) - peer0) * 1000) / calls }];
}

/** For the progress log. */
export function describeCpu(cpu: CpuPerCall, self: string, peer: string): string {
  return `CPU per call: ${self} ${cpu.self.toFixed(1)} us, ${peer} ${cpu.peer.toFixed(1)} us`;
}
