/**
 * What the debugger suite (suites/debugger.ts) and the two programs it runs in a terminal
 * (fixtures/debugmode-rpc.ts, fixtures/breakpoint-prompt.ts) agree on. A program runs as
 * `node [bench execArgv] fixtures/<program> <dir> <bench pid> ...` in a tmux pane, prints
 * `PROGRAM_READY` once its actors are ready, does each step when the bench creates that step's
 * go file in `<dir>` (so the bench decides when: after pinning CPUs, after a quiet pause), writes
 * what it measured to files in `<dir>`, and prints `PROGRAM_DONE` at the end.
 */
import { existsSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { action, sleep, type Operation } from 'effection';
import type { CpuPerCall } from './proc.ts';
import type { Summary } from './stats.ts';

/** What a program prints once its actors are ready, and once it is done. */
export const PROGRAM_READY = 'bench program: ready';
export const PROGRAM_DONE = 'bench program: done';

/** The file whose creation lets step `step` begin in the program. */
export function goFile(dir: string, step: string): string {
  return join(dir, `go-${step}`);
}

// ── the program's side ───────────────────────────────────────────────────────────────────────

/** Returns once `path` exists (inotify on its folder: no polling delay after the bench creates it). */
export function waitForFile(path: string): Operation<void> {
  return action<void>((resolve) => {
    let watcher = watch(dirname(path), () => {
      if (existsSync(path)) resolve();
    });
    if (existsSync(path)) resolve();
    return () => watcher.close();
  });
}

/** Fails once `pid` is gone: a bench killed outright leaves no program behind in its pane. */
export function* failWhenGone(pid: number): Operation<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      throw new Error(`the bench (pid ${pid}) is gone`);
    }
    yield* sleep(500);
  }
}

// ── fixtures/debugmode-rpc.ts: `<dir> <bench pid> <runs>` ───────────────────────────────────

/** The processes of the round trips, written to `pidsFile` once both actors are ready. */
export interface RpcPids {
  root: number;
  plain: number;
  debugmode: number;
}

/** Where the program writes its `RpcPids` as JSON. */
export function pidsFile(dir: string): string {
  return join(dir, 'pids.json');
}

/** The step (go file) of round-trip run `run`: 0, then 1 for the pinned one. */
export function rpcStep(run: number): string {
  return `rpc-${run}`;
}

/** What the program prints once run `run`'s results are written. */
export function rpcDoneLine(run: number): string {
  return `bench program: rpc run ${run} done`;
}

/** What run `run` measured for each actor, as JSON. */
export type RpcResults = Record<'plain' | 'debugmode', { summary: Summary; cpu: CpuPerCall }>;

/** Where the program writes run `run`'s `RpcResults`. */
export function rpcResultsFile(dir: string, run: number): string {
  return join(dir, `rpc-${run}.json`);
}

// ── fixtures/breakpoint-prompt.ts: `<dir> <bench pid> <rounds>` ──────────────────────────────
//
// Each round has two steps: the actor stamps the time and writes a prompt to its stdout (the
// terminal) itself (`raw`); then it stamps the time and calls `breakpoint()`, whose prompt the
// root's debugger hub draws (`breakpoint`), and the bench types `c` Enter.

/** The paused actor; the hub's prompt is `(harrow: <its name>) `. */
export const PROMPT_ACTOR = 'bench-prompt';

/** The prompt the debugger draws for `PROMPT_ACTOR`. */
export const BREAKPOINT_PROMPT = `(harrow: ${PROMPT_ACTOR}) `;

/** The prompt the actor writes itself in round `round` (numbered, so no round can match another's). */
export function rawPrompt(round: number): string {
  return `(raw: ${PROMPT_ACTOR} ${round}) `;
}

export type PromptStep = 'raw' | 'breakpoint';

/** The step (go file) of `step` in round `round`. */
export function promptStep(step: PromptStep, round: number): string {
  return `${step}-${round}`;
}

/** Wall-clock ms (lib/clock.ts) at which each round's step began, in round order. */
export type Stamps = Record<PromptStep, number[]>;

/** Where the actor writes its `Stamps` as JSON once every round is done. */
export function stampsFile(dir: string): string {
  return join(dir, 'stamps.json');
}
