import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { action, type Operation } from 'effection';

/*
 * The root's last line of defence. A child notices its parent's death through its lifeline (end
 * of file on fd 3) and cancels its own subtree, but only when its event loop runs: a child stuck
 * in synchronous code when the root is SIGKILLed would never notice. So while a root actor
 * exists, a tiny shell process holds a pipe from it and knows the process group of each of the
 * root's children (they lead their own groups, and everything below them stays in those groups).
 * If the pipe ends without a goodbye, the root has died: the sentinel gives the tree a second to
 * cancel itself gracefully, then SIGKILLs those groups. It ignores the signals a terminal sends
 * to a whole foreground group, so that Ctrl-C (which the root turns into a graceful cancel) does
 * not take it away.
 */
const SCRIPT = `
trap '' INT TERM HUP QUIT
groups=''
while IFS= read -r line; do
  case "$line" in
    exit) exit 0 ;;
    +*) groups="$groups \${line#+}" ;;
    -*) kept=''; for g in $groups; do [ "$g" = "\${line#-}" ] || kept="$kept $g"; done; groups="$kept" ;;
  esac
done
sleep 1
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
`;

/** The sentinel of this (root) process: see above. */
class Reaper {
  private sentinel: ChildProcess | undefined;
  private input: Writable | undefined;
  private enabled = false;

  /** Allow the sentinel to run (the root actor exists). */
  enable(): void {
    this.enabled = true;
  }

  /** Watch the process group led by `pid` (a child of the root). */
  track(pid: number): void {
    if (!this.enabled || pid <= 0) return;
    this.start();
    this.write(`+${pid}`);
  }

  /** The group led by `pid` is gone: forget it, so a later group reusing the id is never hit. */
  untrack(pid: number): void {
    this.write(`-${pid}`);
  }

  /** Say goodbye (the root is ending normally) and wait until the sentinel has exited. */
  *stop(): Operation<void> {
    this.enabled = false;
    let sentinel = this.sentinel;
    if (!sentinel) return;
    this.write('exit');
    this.sentinel = undefined;
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
    if (this.sentinel) return;
    let sentinel = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    // It must not keep this process alive, nor fail it: a write to a sentinel that is gone is
    // simply lost (the tree's own lifelines still work).
    sentinel.unref();
    sentinel.on('error', () => {});
    let input = sentinel.stdin!;
    input.on('error', () => {});
    (input as unknown as { unref?(): void }).unref?.();
    sentinel.once('exit', () => {
      if (this.sentinel === sentinel) {
        this.sentinel = undefined;
        this.input = undefined;
      }
    });
    this.sentinel = sentinel;
    this.input = input;
  }

  private write(line: string): void {
    this.input?.write(`${line}\n`);
  }
}

export const reaper = new Reaper();
