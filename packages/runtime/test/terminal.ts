import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './helpers.ts';

/**
 * A real terminal for tests that type into a program (Ctrl-C, a REPL): a tmux server of its
 * own (`tmux -L <name>`), one window running `command`, read back with `capture-pane`. The shell
 * around the command outlives it (so its exit can be read) and passes Ctrl-C on, as a user's
 * shell does; it prints `[exit <status>]` when the command ends.
 */
export class Terminal {
  readonly server = `harrow-test-${randomBytes(4).toString('hex')}`;

  /**
   * Run `command` in `cwd` with `env` added to its environment. Only the command gets the
   * test's process tag (helpers.ts): tmux and the shell are the terminal's, not the program's.
   */
  constructor(command: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
    let env = { ...options.env, ...(process.env[TAG] ? { [TAG]: process.env[TAG] } : {}) };
    let words = ['env', ...Object.entries(env).map(([key, value]) => `${key}=${value}`), ...command];
    // `trap : INT`: the shell survives Ctrl-C without ignoring it for the command it starts.
    let script = `trap : INT; ${words.map(quote).join(' ')}; echo "[exit $?]"; exec sleep 600`;
    this.tmux(['new-session', '-d', '-x', '200', '-y', '50', '-c', options.cwd ?? process.cwd(), 'bash', '-c', script]);
  }

  /** Everything on the screen (and the scrollback), lines joined. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-S', '-1000']);
  }

  /** Type keys as tmux names them: `C-c`, `Enter`, or literal text. */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', ...keys]);
  }

  /** Wait until the screen matches `pattern`; returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    let screen = '';
    try {
      await waitFor(() => pattern.test((screen = this.screen())), timeoutMs, `${pattern} on the terminal`);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the screen:\n${screen}`);
    }
    return screen;
  }

  /** End the terminal and everything still running in it. */
  close(): void {
    spawnSync('tmux', ['-L', this.server, 'kill-server'], { stdio: 'ignore' });
    // A killed server leaves its socket file behind.
    rmSync(join(process.env.TMUX_TMPDIR ?? tmpdir(), `tmux-${process.getuid?.() ?? 0}`, this.server), { force: true });
  }

  private tmux(args: string[]): string {
    let env = { ...process.env };
    delete env[TAG];
    return execFileSync('tmux', ['-L', this.server, ...args], { encoding: 'utf8', env });
  }
}

const TAG = 'HARROW_TEST_TAG';

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
