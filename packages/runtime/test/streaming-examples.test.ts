import { describe, expect, it } from 'vitest';
import { perTest, runExample as run } from './helpers.ts';

const env = perTest();
const runExample = (name: string, args: string[] = []) => run(env, name, args);

describe('streaming examples', () => {
  it('streaming-echo: the echo server context', async () => {
    expect(await runExample('streaming-echo')).toEqual(['first: HI', 'echo: ping', 'echo: pong', 'echo: done', 'result: bye']);
  });

  it('streaming-counter: openStreamFrom consumed with each', async () => {
    expect(await runExample('streaming-counter')).toEqual(['received 1, 2, 3, 4, 5', 'returned: counted to 2']);
  });

  it('streaming-pipeline: four stages, each streaming to the next', async () => {
    let lines = await runExample('streaming-pipeline', ['20000']);
    expect(lines[0]).toMatch(/^root → stage-1 \(pid \d+\) → stage-2 \(pid \d+\) → stage-3 \(pid \d+\) → stage-4 \(pid \d+\)$/);
    let [, sum, expected] = /^sum (\d+) \(expected (\d+)\)/.exec(lines[1]!)!;
    expect(sum).toBe(expected);
  });

  it('streaming-service: a daemon publishing to subscribers that broadcast() to local readers', async () => {
    let lines = await runExample('streaming-service');
    expect(lines).toEqual([1, 2, 3].map((s) => `subscriber-${s}: 4 readers summed 210, 210, 210, 210`));
  });
});
