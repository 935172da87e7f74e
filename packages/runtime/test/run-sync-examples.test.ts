import { describe, expect, it } from 'vitest';
import { perTest, runExample as run } from './helpers.ts';

const env = perTest();
/** Its default-context workers exit through their lifeline just after the program ends. */
const runExample = (name: string, args: string[] = []) => run(env, name, args, 1_000);

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
