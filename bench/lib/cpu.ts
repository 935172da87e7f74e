import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Operation } from 'effection';

/**
 * CPU pinning for diagnostic figures (Linux, `taskset`). On a small VM, a round trip between
 * two processes costs very differently depending on whether the scheduler puts them on the same
 * CPU (a context switch) or on two (waking an idle vCPU), and it flips between the two over
 * time. Pinning both ends to one CPU takes that out and leaves the software's own cost.
 */

/** The CPU both ends are pinned to for the `.1cpu` diagnostic round trips. */
export const PIN_CPU = '0';

function cpuList(pid: number): string {
  let status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let match = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  if (!match) throw new Error(`no Cpus_allowed_list for pid ${pid}`);
  return match[1]!;
}

function setCpus(pid: number, cpus: string): void {
  // -a: every thread of the process (V8's helper threads included), not just the main one.
  execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' });
}

/** Whether pinning is possible here: Linux with `taskset`. */
export function canPin(): boolean {
  try {
    cpuList(process.pid);
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run `body` with every thread of each of `pids` pinned to `cpus` (e.g. `'0'`), then restore each one's own CPU list. */
export function* pinned<T>(pids: number[], cpus: string, body: () => Operation<T>): Operation<T> {
  let saved = pids.map((pid) => [pid, cpuList(pid)] as const);
  try {
    for (let pid of pids) setCpus(pid, cpus);
    return yield* body();
  } finally {
    for (let [pid, list] of saved) {
      try {
        setCpus(pid, list);
      } catch {
        // the process is gone
      }
    }
  }
}
