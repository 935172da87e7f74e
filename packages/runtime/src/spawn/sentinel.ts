import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { action, type Operation } from 'effection';

/*
 * A process's last line of defence for the process groups it started. A child actor notices its
 * parent's death through its lifeline (end of file on fd 3) and cancels its own subtree, but only
 * when its event loop runs: one stuck in synchronous code when its parent is SIGKILLed would
 * never notice, and a runSync worker is in synchronous code whenever it is busy. So while anything
 * of this process needs it, a tiny shell process holds a pipe from it and knows the process
 * groups to end if this process dies (they lead their own groups, and everything below them stays
 * in those groups). If the pipe ends without a goodbye, this process has died: the sentinel kills
 * the groups of runSync workers at once (a worker has nothing to clean up, and a busy one would
 * compute on for nothing), gives the actor trees a second to cancel themselves gracefully, then
 * kills their groups too. It ignores the signals a terminal sends to a whole foreground group, so
 * that Ctrl-C (which the root turns into a graceful cancel) does not take it away. Last, it
 * removes the directory of the tree's sockets, which a root killed outright cannot do itself.
 *
 * One sentinel serves the whole process, for as many users as need it (the root actor, each
 * worker pool with process workers): it starts with the first group tracked and says goodbye
 * when the last user is done.
 */
const SCRIPT = `
trap '' INT TERM HUP QUIT
trees=''
workers=''
dir=''
while IFS= read -r line; do
  case "$line" in
    exit) exit 0 ;;
    d*) dir="\${line#d}" ;;
    t*) trees="$trees \${line#t}" ;;
    w*) workers="$workers \${line#w}" ;;
    -*) kept=''; for g in $trees; do [ "$g" = "\${line#-}" ] || kept="$kept $g"; done; trees="$kept"
        kept=''; for g in $workers; do [ "$g" = "\${line#-}" ] || kept="$kept $g"; done; workers="$kept" ;;
  esac
done
for g in $workers; do kill -9 "-$g" 2>/dev/null; done
if [ -n "$trees" ]; then
  sleep 1
  for g in $trees; do kill -9 "-$g" 2>/dev/null; done
fi
[ -z "$dir" ] || rm -rf -- "$dir"
`;

/** What a tracked group is: an actor's tree (a second's grace to cancel itself) or a runSync worker (killed at once). */
export type GroupKind = 'tree' | 'worker';

/** The sentinel of this process: see above. */
class Sentinel {
  private process: ChildProcess | undefined;
  private input: Writable | undefined;
  private users = 0;

  /**
   * Need the sentinel until the returned operation runs: groups tracked meanwhile are watched.
   * Its last user's release says goodbye and waits until the sentinel has exited.
   */
  use(): () => Operation<void> {
    this.users++;
    let released = false;
    let sentinel = this;
    return function* release() {
      if (released) return;
      released = true;
      yield* sentinel.release();
    };
  }

  /** Watch the process group led by `pid` (a child of this process) until `untrack`. */
  track(pid: number, kind: GroupKind): void {
    if (this.users === 0 || pid <= 0) return;
    this.start();
    this.write(`${kind === 'tree' ? 't' : 'w'}${pid}`);
  }

  /**
   * Remove `dir` if this process dies (the root's directory of sockets); `undefined`: it no
   * longer needs removing. This starts the sentinel: a root must leave nothing behind however it ends.
   */
  removeOnDeath(dir: string | undefined): void {
    if (dir === undefined) return this.write('d');
    if (this.users === 0 || dir.includes('\n')) return;
    this.start();
    this.write(`d${dir}`);
  }

  /** The group led by `pid` is gone: forget it, so a later group reusing the id is never hit. */
  untrack(pid: number): void {
    this.write(`-${pid}`);
  }

  private *release(): Operation<void> {
    this.users--;
    let sentinel = this.process;
    if (this.users > 0 || !sentinel) return;
    this.write('exit');
    this.process = undefined;
    this.input = undefined;
    // Waited for, it must hold the event loop (main's own keep-alive may already be gone).
    sentinel.ref();
    yield* action<void>((resolve) => {
      if (sentinel.exitCode !== null || sentinel.signalCode !== null) resolve();
      else sentinel.once('exit', () => resolve());
      return () => {};
    });
  }

  private start(): void {
    if (this.process) return;
    // Named so that `ps` says what it is; its own session keeps it out of the terminal's group.
    let sentinel = spawn('/bin/sh', ['-c', SCRIPT], { argv0: 'harrow-sentinel', stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    // It must not keep this process alive, nor fail it: a write to a sentinel that is gone is
    // simply lost (the tree's own lifelines still work).
    sentinel.unref();
    sentinel.on('error', () => {});
    let input = sentinel.stdin!;
    input.on('error', () => {});
    (input as unknown as { unref?(): void }).unref?.();
    sentinel.once('exit', () => {
      if (this.process === sentinel) {
        this.process = undefined;
        this.input = undefined;
      }
    });
    this.process = sentinel;
    this.input = input;
  }

  private write(line: string): void {
    this.input?.write(`${line}\n`);
  }
}

/** This process's sentinel. */
export const sentinel = new Sentinel();
