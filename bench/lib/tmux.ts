import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, watch, writeFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { action, race, resource, sleep, type Operation } from 'effection';
import { wallClockMs } from './clock.ts';

/**
 * A real terminal for the bench: a tmux server of its own (`tmux -L <name>`, no config file)
 * with one pane running a command. What the command writes to the terminal is copied to a file
 * as tmux reads it (`pipe-pane`), and the bench timestamps it as it lands there (inotify), so
 * that no polling of the screen (`capture-pane`) adds its interval to a measured latency.
 */

/** Whether `tmux` can be run here. */
export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

export interface Pane {
  /** Type keys as tmux names them: literal text, `Enter`, `C-c`. */
  keys(...keys: string[]): void;
  /**
   * Waits until `text` has arrived after everything earlier calls found (at most `timeoutMs`),
   * and returns the wall-clock ms (lib/clock.ts) at which its last byte landed in the copy.
   */
  next(text: string, timeoutMs?: number): Operation<number>;
}

const SESSION = 'bench';
/** The tmux channel the pane's command waits on until the copy is attached. */
const START = 'bench-start';
const NEXT_TIMEOUT_MS = 30_000;

/**
 * Run `command` in a 200x50 pane of a new tmux server for as long as the current scope lasts,
 * its terminal output copied to `log`. The command starts only once the copy is attached, so
 * none of its output is missed. The server, and whatever still runs in it, is killed when the
 * scope ends, and its socket file removed.
 */
export function useTmuxPane(command: string[], options: { cwd: string; log: string }): Operation<Pane> {
  return resource(function* (provide) {
    let server = `harrow-bench-${randomBytes(4).toString('hex')}`;
    let tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    writeFileSync(options.log, '');
    let output = new PaneOutput(options.log);
    let socket: string | undefined;
    try {
      let script = `tmux -L ${server} wait-for ${START} && exec "$@"`;
      tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', '-c', options.cwd, 'sh', '-c', script, 'sh', ...command);
      socket = tmux('display-message', '-p', '-t', SESSION, '#{socket_path}').trim();
      tmux('pipe-pane', '-t', SESSION, '-o', `exec cat >> ${shellQuote(options.log)}`);
      tmux('wait-for', '-S', START);
      yield* provide({
        keys: (...keys) => void tmux('send-keys', '-t', SESSION, ...keys),
        next: (text, timeoutMs = NEXT_TIMEOUT_MS) => output.next(text, timeoutMs),
      });
    } finally {
      spawnSync('tmux', ['-L', server, 'kill-server'], { stdio: 'ignore' });
      // tmux leaves its socket file behind.
      if (socket) rmSync(socket, { force: true });
      output.close();
    }
  });
}

/**
 * The copy of a pane's output, read as it grows: each read is stamped with the time its
 * change event came in (taken before reading), and every character read then carries it.
 */
class PaneOutput {
  private text = '';
  /** Where the next search starts: past everything found so far. */
  private cursor = 0;
  /** The end of each read in `text`, and when it came. */
  private reads: { end: number; at: number }[] = [];
  private offset = 0;
  private fd: number;
  private decoder = new StringDecoder('utf8');
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private waiters: (() => void)[] = [];
  private watcher: ReturnType<typeof watch>;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.watcher = watch(path, () => this.read());
  }

  *next(text: string, timeoutMs: number): Operation<number> {
    let deadline = performance.now() + timeoutMs;
    for (;;) {
      let index = this.text.indexOf(text, this.cursor);
      if (index >= 0) {
        this.cursor = index + text.length;
        return this.reads.find((read) => read.end >= this.cursor)!.at;
      }
      let left = deadline - performance.now();
      let grew = left > 0 && (yield* race([this.grown(), sleep(left)]));
      if (!grew) throw new Error(`${JSON.stringify(text)} did not appear in the terminal within ${timeoutMs} ms; its output so far:\n${this.text.slice(-2000)}`);
    }
  }

  close(): void {
    this.watcher.close();
    closeSync(this.fd);
  }

  private read(): void {
    let at = wallClockMs();
    let before = this.text.length;
    for (let n; (n = readSync(this.fd, this.buffer, 0, this.buffer.length, this.offset)) > 0;) {
      this.offset += n;
      this.text += this.decoder.write(this.buffer.subarray(0, n));
    }
    if (this.text.length === before) return;
    this.reads.push({ end: this.text.length, at });
    for (let wake of this.waiters.splice(0)) wake();
  }

  private grown(): Operation<boolean> {
    return action<boolean>((resolve) => {
      let wake = () => resolve(true);
      this.waiters.push(wake);
      return () => void (this.waiters = this.waiters.filter((w) => w !== wake));
    });
  }
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
