import type { ChildProcess } from 'node:child_process';
import { exitRecord, type Exit, type ExitRecord } from './handle.ts';
import { sentinel, type GroupKind } from './sentinel.ts';

/** What `watchProcessExit` does besides recording the exit. */
export interface ProcessExitOptions {
  /** The exit as the spawner reports it (ssh: the remote actor's, from the stub's code). */
  map?(exit: Exit): Exit;
  /** Called once, as soon as the process is seen to end, before its stderr is read to the end. */
  seen?(exit: Exit): void;
  /** The process could not be spawned at all (EAGAIN, ENOMEM, ENOENT). */
  failed?(error: Error): void;
  /** The process leads a process group that this process's sentinel watches while it lives. */
  group?: GroupKind;
}

/**
 * How long an exited child's piped stderr may stay open before its exit is recorded anyway: a
 * process it started outside its process group (a daemon of the user's, with `stdio: 'inherit'`)
 * holds the pipe for as long as it lives.
 */
const STDERR_GRACE_MS = 250;

/**
 * The exit of a spawned process, recorded once its stderr (when piped, to capture a boot's
 * tail) has been read to its end, or `STDERR_GRACE_MS` after the exit: node reports 'exit'
 * before that, and whoever reads the stderr tail on exit must see all of it. A spawn that fails
 * reports 'error' and no 'exit'; that is recorded as an exit with neither a code nor a signal.
 */
export function watchProcessExit(child: ChildProcess, options: ProcessExitOptions = {}): ExitRecord {
  let record = exitRecord();
  let exit: Exit | undefined;
  let stderrOpen = child.stderr !== null;
  let exited = (code: number | null, signal: string | null) => {
    if (!exit) {
      let seen = (exit = options.map ? options.map({ code, signal }) : { code, signal });
      options.seen?.(seen);
      if (stderrOpen) {
        // From the check phase, after the poll phase has read what the pipe holds: a timer that
        // fires late because this thread was busy must not cut short a tail that is there to read.
        let late = setTimeout(() => setImmediate(() => record.exited(seen)), STDERR_GRACE_MS);
        record.onExit(() => clearTimeout(late));
      }
    }
    if (!stderrOpen) record.exited(exit);
  };
  child.stderr?.on('close', () => {
    stderrOpen = false;
    if (exit) record.exited(exit);
  });
  child.on('error', (error) => {
    stderrOpen = false;
    options.failed?.(error);
    exited(null, null);
  });
  child.on('exit', exited);
  let pid = child.pid ?? -1;
  if (options.group && pid > 0) {
    sentinel.track(pid, options.group);
    record.onExit(() => sentinel.untrack(pid));
  }
  return record;
}
