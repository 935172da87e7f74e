#!/usr/bin/env node
/**
 * The `harrow` command (API.md §10), the `bin` of @harrow/runtime. One subcommand so far:
 *
 *   harrow ps [--registry ADDRESS] [--watch] [--interval MS] [--timeout MS]
 *
 * prints the live tree of a running program from its registry. The address defaults to
 * HARROW_REGISTRY, the cookie is HARROW_COOKIE. An error is one line on stderr and exit code 1.
 */
import { parseArgs } from 'node:util';
import { AddressError, AuthenticationError, parseAddress, TransportError } from '@harrow/transport';
import { run } from 'effection';
import { isMainModule } from '../base/remote.ts';
import { ps, RegistryTimeoutError, type PsOptions } from './ps.ts';

const USAGE = `usage: harrow ps [--registry ADDRESS] [--watch] [--interval MS] [--timeout MS]

Print the live actor tree of a running harrow program: name, uid, pid, host, uptime and calls
in flight of every actor in its registry, each under its parent.

  -r, --registry ADDRESS  the tree's registry: its root's address (tcp://host:port, ws://host:port/path,
                          uds:///path); default: $HARROW_REGISTRY
  -w, --watch             redraw every second until Ctrl-C
  -n, --interval MS       ms between redraws with --watch (default 1000)
      --timeout MS        ms to wait for the registry to answer (default 5000)
  -h, --help              this text

The cookie for TCP and WebSocket registries is $HARROW_COOKIE.`;

/**
 * A command line `harrow` cannot act on: an unknown command or option, a missing address, a
 * bad number. Shown as one line, with no stack.
 *
 * @example
 * ```ts
 * parseCommand(['ps'], {}); // throws UsageError: no registry address: give --registry ADDRESS or set HARROW_REGISTRY
 * ```
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * What the command line asks for.
 *
 * @example
 * ```ts
 * let command: Command = { command: 'ps', options: { registry: 'tcp://127.0.0.1:7357' } };
 * ```
 */
export type Command = { command: 'help' } | { command: 'ps'; options: PsOptions };

/**
 * Parse `harrow`'s arguments (without node and the script) with `env` for the defaults
 * (`HARROW_REGISTRY`, and `HARROW_COOKIE`, which a TCP or WebSocket registry needs). Throws
 * `UsageError` saying what is wrong.
 *
 * @example
 * ```ts
 * parseCommand(['ps', '--watch'], { HARROW_REGISTRY: 'tcp://127.0.0.1:7357', HARROW_COOKIE: 'secret' });
 * // { command: 'ps', options: { registry: 'tcp://127.0.0.1:7357', watch: true } }
 * ```
 */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  let [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') return { command: 'help' };
  if (command !== 'ps') throw new UsageError(`unknown command '${command}' (the one command is ps; see harrow --help)`);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        registry: { type: 'string', short: 'r' },
        watch: { type: 'boolean', short: 'w' },
        interval: { type: 'string', short: 'n' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see harrow --help)`);
  }
  if (values.help) return { command: 'help' };
  let registry = values.registry ?? (env.HARROW_REGISTRY || undefined);
  if (!registry) throw new UsageError('no registry address: give --registry ADDRESS or set HARROW_REGISTRY');
  let kind: string;
  try {
    kind = parseAddress(registry).kind;
  } catch (error) {
    if (error instanceof AddressError) throw new UsageError(`bad registry address: ${error.message}`);
    throw error;
  }
  if (kind !== 'uds' && !env.HARROW_COOKIE) {
    throw new UsageError(`the registry at ${registry} is reached over ${kind}, which needs the tree's cookie: set HARROW_COOKIE`);
  }
  let options: PsOptions = { registry };
  if (values.watch) options.watch = true;
  if (values.interval !== undefined) options.interval = milliseconds('--interval', values.interval);
  if (values.timeout !== undefined) options.timeout = milliseconds('--timeout', values.timeout);
  return { command: 'ps', options };
}

function milliseconds(option: string, text: string): number {
  let value = Number(text);
  if (!/^\d+$/.test(text) || !(value > 0)) throw new UsageError(`${option} takes a whole number of ms > 0, got '${text}'`);
  return value;
}

/** How `harrow` reports: where output and error lines go. */
interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Run `harrow` with `argv` (without node and the script) and return its exit code: 0 when done
 * (and when `--watch` is ended with Ctrl-C), 1 with one line on stderr when it cannot do what it
 * was asked (a usage error, an unreachable registry, a wrong cookie), 143 on SIGTERM.
 *
 * @example
 * ```ts
 * process.exitCode = await harrow(['ps', '--registry', 'tcp://127.0.0.1:7357']);
 * ```
 */
export async function harrow(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: Io = processIo): Promise<number> {
  let parsed: Command;
  try {
    parsed = parseCommand(argv, env);
  } catch (error) {
    io.stderr(`harrow: ${(error as Error).message}\n`);
    return 1;
  }
  if (parsed.command === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  let options = parsed.options;
  let task = run(() => ps({ ...options, write: io.stdout }));
  let signalled: NodeJS.Signals | undefined;
  let onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(signal === 'SIGINT' ? 130 : 143); // a second one: do not wait for the teardown
    signalled = signal;
    // effection's halt starts only once it is awaited; the task's outcome is awaited below.
    task.halt().then(
      () => {},
      () => {},
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await task;
    return 0;
  } catch (error) {
    if (signalled) return signalled === 'SIGINT' ? 0 : 143;
    io.stderr(`harrow ps: ${explain(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One line saying what went wrong. */
function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let message = error.message.split('\n')[0]!;
  // The transport's messages name the address, and a failed authentication says it is the cookie.
  if (error instanceof AuthenticationError) return message;
  if (error instanceof TransportError) return `cannot reach the registry: ${message}`;
  if (error instanceof RegistryTimeoutError) return message;
  return `${error.name}: ${message}`;
}

if (isMainModule(import.meta)) process.exit(await harrow(process.argv.slice(2)));
