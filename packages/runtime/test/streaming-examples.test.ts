import { beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeaks, startProgram, tagProcesses } from './helpers.ts';

const example = (name: string) => new URL(`../../../examples/${name}.ts`, import.meta.url);

let tag: string;
beforeEach(() => {
  tag = tagProcesses();
});

/** Run an example to completion; its output lines. */
async function runExample(name: string, args: string[] = []): Promise<string[]> {
  let program = startProgram(example(name), args);
  let exit = await program.exited;
  expect(exit, program.stderr).toEqual({ code: 0, signal: null });
  await expectNoLeaks(tag);
  return program.lines;
}

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
