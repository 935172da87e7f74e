import { beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeaks, startProgram, tagProcesses } from './helpers.ts';

const example = (name: string) => new URL(`../../../examples/${name}.ts`, import.meta.url);

let tag: string;
beforeEach(() => {
  tag = tagProcesses();
});

/** Run an example to completion as a real program; its output lines. Its workers exit with it. */
async function runExample(name: string, args: string[] = []): Promise<string[]> {
  let program = startProgram(example(name), args);
  let exit = await program.exited;
  expect(exit, program.stderr).toEqual({ code: 0, signal: null });
  await expectNoLeaks(tag, 1_000);
  return program.lines;
}

describe('runSync examples', () => {
  it('run-sync-ticker: the main process keeps ticking while two workers compute', async () => {
    let lines = await runExample('run-sync-ticker');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^fib\(36\) = 14930352 and 14930352, computed in parallel in \d+ ms$/);
    let [, ticks, gap] = /^meanwhile the main process ticked (\d+) times; longest gap (\d+) ms$/.exec(lines[1]!)!;
    expect(Number(ticks)).toBeGreaterThanOrEqual(3);
    // A 100 ms ticker on a busy 2-core machine; blocked by the computation it would miss every tick.
    expect(Number(gap)).toBeLessThan(1_000);
  });

  it('run-sync-cancel: killOnCancel kills and reaps at once; the default waits for the call', async () => {
    let lines = await runExample('run-sync-cancel');
    expect(lines).toHaveLength(3);
    let [, elapsed] = /^killOnCancel: gave up after (\d+) ms; worker \d+ alive: false$/.exec(lines[0]!)!;
    expect(Number(elapsed)).toBeGreaterThanOrEqual(200);
    expect(lines[1]).toBe('the pool serves on, with a new worker: true');
    expect(lines[2]).toBe('default: the timeout fired at 50 ms; the cancellation waited for the 500 ms call: true');
  });
});
