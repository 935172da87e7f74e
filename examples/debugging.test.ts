/**
 * The debugger examples, run as the real programs they are in a real terminal (tmux), typed
 * into as their doc comments say. Each must end as promised and leave no process behind.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeaks, tagProcesses } from '../packages/runtime/test/helpers.ts';
import { Terminal } from '../packages/runtime/test/terminal.ts';

let tag: string;
beforeEach(() => {
  tag = tagProcesses();
});

const repository = new URL('../', import.meta.url).pathname;

function run(name: string): Terminal {
  return new Terminal([process.execPath, '--import', 'tsx', `examples/${name}.ts`], { cwd: repository });
}

/** Run an example in a terminal, give the terminal to `body`, close it, and check nothing is left. */
async function inTerminal([name]: string[], body: (terminal: Terminal) => Promise<void>): Promise<void> {
  let terminal = run(name!);
  try {
    await body(terminal);
  } finally {
    terminal.close();
  }
  await expectNoLeaks(tag, 1_000);
}

/** How many times `text` is on the screen. */
function count(screen: string, text: string): number {
  return screen.split(text).length - 1;
}

describe('debugger examples', () => {
  it('debug-work: the API example; p and c', async () => {
    await inTerminal(['debug-work'], async (terminal) => {
      await terminal.waitFor(/\(harrow: worker\) $/m);
      terminal.keys('p total', 'Enter');
      await terminal.waitFor(/^40$/m);
      terminal.keys('c', 'Enter');
      let screen = await terminal.waitFor(/\[exit \d+\]/);
      expect(screen).toMatch(/^result: 41$/m);
      expect(screen).toMatch(/\[exit 0\]/);
    });
  });

  it('subactor-breakpoint: c re-enters the breakpoint, q ends the program with DebuggerQuit', async () => {
    await inTerminal(['subactor-breakpoint'], async (terminal) => {
      for (let round = 1; round <= 3; round++) {
        let screen = await terminal.waitFor(new RegExp(`(breakpoint in actor 'breakpointForever'[^]*){${round}}\\(harrow: breakpointForever\\) $`, 'm'));
        expect(count(screen, "breakpoint in actor 'breakpointForever'")).toBe(round);
        terminal.keys('p round', 'Enter');
        await terminal.waitFor(new RegExp(`p round\\n${round}\\n`));
        terminal.keys(round < 3 ? 'c' : 'q', 'Enter');
      }
      let screen = await terminal.waitFor(/\[exit \d+\]/);
      expect(screen).toMatch(/RemoteActorError: DebuggerQuit in actor 'breakpointForever'/);
      expect(screen).toMatch(/\[exit 1\]/);
    });
  });

  it('multi-daemon-subactors: a looping breakpoint and a ReferenceError post-mortem share the terminal; the error ends the tree', async () => {
    await inTerminal(['multi-daemon-subactors'], async (terminal) => {
      // Whichever paused first holds the terminal; c until the ReferenceError has gone on up.
      let screen = '';
      for (let turn = 0; turn < 10 && !/\[exit \d+\]/.test(screen); turn++) {
        screen = await terminal.waitFor(/\(harrow: (bp_forever|name_error)\) $|\[exit \d+\]/m);
        if (/\[exit \d+\]/.test(screen)) break;
        terminal.keys('c', 'Enter');
        await terminal.waitFor(new RegExp(`(\\(harrow: \\w+\\) c\\n[^]*){${turn + 1}}`));
      }
      screen = await terminal.waitFor(/\[exit \d+\]/);
      expect(screen).toMatch(/post-mortem of actor 'name_error' \(uid \S+, pid \d+\): ReferenceError: doggypants is not defined/);
      expect(screen).toMatch(/breakpoint in actor 'bp_forever'/);
      // The root's own output goes above the prompt, on a line of its own (docs/debugging.md).
      expect(screen).toMatch(/^root got: yo$/m);
      expect(screen).toMatch(/RemoteActorError: ReferenceError in actor 'name_error'/);
      expect(screen).toMatch(/\[exit 1\]/);
    });
  });
});
