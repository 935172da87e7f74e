import { beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeaks, startProgram, tagProcesses } from './helpers.ts';

const speaker = new URL('./programs/speaker.ts', import.meta.url);

let tag: string;
beforeEach(() => {
  tag = tagProcesses();
});

/** The JSON log lines in some output. */
function logLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
}

async function runSpeaker(args: string[], env: Record<string, string> = {}) {
  let program = startProgram(speaker, args, env);
  let exit = await program.exited;
  expect(exit, program.stderr).toEqual({ code: 0, signal: null });
  await expectNoLeaks(tag);
  return { stdout: program.lines, stderr: program.stderr };
}

describe('logging and stdio', () => {
  it("console.log and console.error in an actor reach the root's stdout and stderr", async () => {
    let { stdout, stderr } = await runSpeaker([], { HARROW_LOGLEVEL: '' });
    expect(stdout).toEqual(['stdout from speaker: hello']);
    expect(stderr).toContain('stderr from speaker: hello');
    // At the default level (warn) a healthy run logs nothing.
    expect(logLines(stderr)).toEqual([]);
  });

  it('the loglevel option turns on pino lines on stderr, each naming the actor, its uid and pid', async () => {
    let { stdout, stderr } = await runSpeaker(['debug']);
    let lines = logLines(stderr).filter((line) => line.actor === 'speaker');
    expect(lines.length).toBeGreaterThan(0);
    for (let line of lines) {
      expect(line).toMatchObject({ actor: 'speaker', level: 20 });
      expect(typeof line.uid).toBe('string');
      expect(typeof line.pid).toBe('number');
    }
    expect(lines.map((line) => line.msg)).toContain('ready');
    // Never on stdout.
    expect(stdout.filter((line) => line.startsWith('{'))).toEqual([]);
  });

  it('HARROW_LOGLEVEL sets the level when no option does', async () => {
    let { stderr } = await runSpeaker([], { HARROW_LOGLEVEL: 'debug' });
    let actors = new Set(logLines(stderr).map((line) => line.actor));
    expect(actors).toContain('speaker');
  });
});
