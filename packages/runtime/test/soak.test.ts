import { describe, expect, it } from 'vitest';
import { expectNoLeaks, perTest, startProgram } from './helpers.ts';

/*
 * The soak test: off by default, on with HARROW_SOAK=1 (HARROW_SOAK_MINUTES sets its length,
 * default 10). A root runs mixed spawns, calls, streams, contexts, runSync jobs and kills for that
 * long (programs/soak-root.ts); its RSS and its open file descriptors must stay flat, and nothing
 * may be left when it ends.
 *
 *   HARROW_SOAK=1 HARROW_SOAK_MINUTES=10 npx vitest run packages/runtime/test/soak.test.ts
 */

const minutes = Number(process.env.HARROW_SOAK_MINUTES ?? 10);
const durationMs = minutes * 60_000;
const env = perTest({ leakCheck: false });

describe.skipIf(!process.env.HARROW_SOAK)('soak', () => {
  it(`${minutes} minutes of mixed work: the root's memory and open fds stay flat, nothing is left`, async () => {
    let program = startProgram(new URL('./programs/soak-root.ts', import.meta.url), [String(durationMs)]);
    let exit = await program.exited;
    expect(exit, program.stderr).toEqual({ code: 0, signal: null });
    let rounds = Number(program.lines.find((line) => line.startsWith('rounds '))!.split(' ')[1]);
    let samples = program.lines
      .filter((line) => line.startsWith('sample '))
      .map((line) => line.split(' ').slice(1).map(Number) as [number, number, number]);
    // After a warm-up (the first fifth: code compiled, pools and caches filled), the highest of
    // the last third against the highest of the first third that follows it.
    let warm = samples.filter(([at]) => at >= durationMs / 5);
    let third = Math.max(1, Math.floor(warm.length / 3));
    let early = warm.slice(0, third);
    let late = warm.slice(-third);
    let peak = (list: typeof warm, index: 1 | 2) => Math.max(...list.map((each) => each[index]));
    let report = `${rounds} rounds; rss ${mib(peak(early, 1))} → ${mib(peak(late, 1))} MiB; fds ${peak(early, 2)} → ${peak(late, 2)}`;
    console.log(`soak: ${report}`);
    expect(rounds, report).toBeGreaterThan(minutes * 10);
    expect(peak(late, 1), report).toBeLessThan(peak(early, 1) * 1.25 + 16 * 2 ** 20);
    expect(peak(late, 2), report).toBeLessThanOrEqual(peak(early, 2) + 8);
    await expectNoLeaks(env.tag, 2_000);
  }, durationMs + 120_000);
});

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
