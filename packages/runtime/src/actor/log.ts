import { createRequire } from 'node:module';
import type { Logger as PinoLogger } from 'pino';
import type { ActorRef } from '../base/errors.ts';
import { realStderrFd } from '../spawn/stderr.ts';

/** The log levels an actor accepts, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level for an actor: the option if given, else `HARROW_LOGLEVEL`, else `warn`. */
export function logLevel(option?: string): LogLevel {
  let level = option ?? (process.env.HARROW_LOGLEVEL || undefined) ?? 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevel;
}

type Write = (object: object | string, message?: string) => void;

/** An actor's logger: the pino methods harrow uses. */
export interface Logger {
  readonly level: LogLevel;
  trace: Write;
  debug: Write;
  info: Write;
  warn: Write;
  error: Write;
  fatal: Write;
}

const require = createRequire(import.meta.url);

/**
 * One logger per actor, writing pino's JSON lines to stderr (never stdout) synchronously, so
 * lines written just before a process exits are not lost. Every line carries the actor's name,
 * uid and pid. pino itself is loaded on the first line actually written: most actors log
 * nothing at the default level, and loading it costs ~20 ms of start-up.
 */
export function createLogger(actor: ActorRef, level: LogLevel): Logger {
  let threshold = LOG_LEVELS.indexOf(level);
  let pino: PinoLogger | undefined;
  let method = (name: Exclude<LogLevel, 'silent'>): Write => {
    if (LOG_LEVELS.indexOf(name) < threshold) return () => {};
    return (object, message) => {
      pino ??= open(actor, level);
      if (typeof object === 'string') pino[name](object);
      else pino[name](object, message);
    };
  };
  return {
    level,
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
  };
}

function open(actor: ActorRef, level: LogLevel): PinoLogger {
  let pino = require('pino') as typeof import('pino').default;
  return pino({ level, base: { actor: actor.name, uid: actor.uid, pid: process.pid } }, pino.destination({ fd: realStderrFd(), sync: true }));
}
