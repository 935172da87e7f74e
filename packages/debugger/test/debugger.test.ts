import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { expectNoLeaks, perTest, startProgram, tagged } from '../../runtime/test/helpers.ts';
import { Terminal } from '../../runtime/test/terminal.ts';

/*
 * The debugger through a real terminal (tmux): a program whose actors pause, typed into as a
 * user would. Every test ends with nothing it started left alive.
 */

const env = perTest();
const program = new URL('./fixtures/debug-tree.ts', import.meta.url).pathname;
const repository = new URL('../../../', import.meta.url).pathname;
const FIXTURE = 'packages/debugger/test/fixtures/debug-tree.ts';

/** Run a scenario of the fixture in a terminal of its own. */
function run(...args: string[]): Terminal {
  return new Terminal([process.execPath, '--import', 'tsx', program, ...args], { cwd: repository });
}

/** Run a scenario in a terminal, give the terminal to `body`, close it, and check nothing is left. */
async function inTerminal(args: string[], body: (terminal: Terminal) => Promise<void>): Promise<void> {
  let terminal = run(...args);
  try {
    await body(terminal);
  } finally {
    terminal.close();
  }
  await expectNoLeaks(env.tag, 1_000);
}

/** What the terminal shows after the last prompt of `name`, once it shows `pattern`. */
async function answer(terminal: Terminal, name: string, typed: string, pattern: RegExp): Promise<string> {
  terminal.keys('-l', typed);
  terminal.keys('Enter');
  let screen = await terminal.waitFor(pattern);
  let at = screen.lastIndexOf(`(harrow: ${name}) ${typed}`);
  return screen.slice(at);
}

/** TCP ports that processes carrying `tag` listen on (an inspector port would be one). */
function listeningPorts(tag: string): number[] {
  let listening = new Map<string, number>();
  for (let table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (let row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      let fields = row.trim().split(/\s+/);
      // st 0A is LISTEN; the inode is the 10th field.
      if (fields[3] === '0A') listening.set(fields[9]!, parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  let ports: number[] = [];
  for (let pid of tagged(tag)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (let fd of fds) {
      let inode = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode && listening.has(inode)) ports.push(listening.get(inode)!);
    }
  }
  return ports;
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

async function finished(terminal: Terminal, withinMs = 10_000): Promise<string> {
  return terminal.waitFor(/\[exit \d+\]/, withinMs);
}

describe('breakpoint()', () => {
  it('pauses a child at the caller\'s .ts line; p, assignment and c change its result', async () => {
    await inTerminal(['child'], async (terminal) => {
      let screen = await terminal.waitFor(/\(harrow: worker\) $/m);
      expect(screen).toMatch(new RegExp(`harrow: breakpoint in actor 'worker' \\(uid \\S+, pid \\d+\\) at ${FIXTURE}:11`));
      expect(screen).toMatch(/-> 11\s+yield\* breakpoint\(\);/);
      // Debugged through node:inspector sessions inside the tree: no inspector port anywhere.
      expect(listeningPorts(env.tag)).toEqual([]);
      expect(await answer(terminal, 'worker', 'p total', /p total\n40\n/)).toContain('40');
      await answer(terminal, 'worker', 'total = 5', /total = 5\n5\n/);
      terminal.keys('c', 'Enter');
      screen = await finished(terminal);
      expect(screen).toMatch(/^result: 6$/m);
      expect(screen).toMatch(/\[exit 0\]/);
    });
  });

  it('in a grandchild: bt names the user\'s frames, n steps to the next line, l lists the source', async () => {
    await inTerminal(['grandchild'], async (terminal) => {
      let screen = await terminal.waitFor(/\(harrow: grandchild\) $/m);
      expect(screen).toMatch(new RegExp(`breakpoint in actor 'grandchild' .* at ${FIXTURE}:11`));
      let bt = await answer(terminal, 'grandchild', 'bt', /bt\n.*#0 work .*\n\(harrow/);
      expect(bt).toMatch(new RegExp(`> #0 work ${FIXTURE}:11`));
      // Only the user's frames: nothing of harrow, effection or node.
      expect(bt).not.toMatch(/effection|runtime\/src|node:/);
      let list = await answer(terminal, 'grandchild', 'l', /l\n[\s\S]*-> +11\s+yield\* breakpoint\(\);[\s\S]*\(harrow/);
      expect(list).toMatch(/ 12\s+total = total \+ 1;/);
      let next = await answer(terminal, 'grandchild', 'n', /n\n.*:12\n-> 12\s+total = total \+ 1;/);
      expect(next).toContain(`${FIXTURE}:12`);
      // Enter repeats the step: on past line 12 (V8 stops a generator's return at its closing brace).
      terminal.keys('Enter');
      await terminal.waitFor(/:12\n-> 12\s+total = total \+ 1;\n\(harrow: grandchild\) \n.*:1[34]\n-> 1[34]\s/);
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/^result: 41$/m);
    });
  });

  it('in a thread actor', async () => {
    await inTerminal(['thread'], async (terminal) => {
      let screen = await terminal.waitFor(/\(harrow: grandchild\) $/m);
      expect(screen).toMatch(new RegExp(`breakpoint in actor 'grandchild' .* at ${FIXTURE}:11`));
      await answer(terminal, 'grandchild', 'total = 100', /total = 100\n100\n/);
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/^result: 101$/m);
    });
  });

  it('serves two actors that break at the same moment one after the other; actors lists both', async () => {
    await inTerminal(['two'], async (terminal) => {
      let screen = await terminal.waitFor(/waits for the terminal/);
      let first = /\(harrow: (alpha|beta)\) $/m.exec(await terminal.waitFor(/\(harrow: (alpha|beta)\) $/m))![1]!;
      let second = first === 'alpha' ? 'beta' : 'alpha';
      expect(screen).not.toContain(`breakpoint in actor '${second}'`);
      let actors = await answer(terminal, first, 'actors', /actors\n.*\n.*\n\(harrow/);
      expect(actors).toMatch(new RegExp(`\\* ${first} .*holds the terminal`));
      expect(actors).toMatch(new RegExp(`  ${second} .*waits \\(1 of 1\\)`));
      terminal.keys('c', 'Enter');
      await terminal.waitFor(new RegExp(`\\(harrow: ${second}\\) $`, 'm'));
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/^result: \[ 3, 5 \]$/m);
    });
  });

  it('q makes breakpoint() throw DebuggerQuit, which reaches the root', async () => {
    await inTerminal(['child'], async (terminal) => {
      await terminal.waitFor(/\(harrow: worker\) $/m);
      terminal.keys('q', 'Enter');
      expect(await finished(terminal)).toMatch(/^error: RemoteActorError DebuggerQuit: /m);
    });
  });

  it('Ctrl-C at the prompt clears the line and cancels nothing; a SIGINT to the root waits until the REPL is left', async () => {
    await inTerminal(['child'], async (terminal) => {
      let screen = await terminal.waitFor(/\(harrow: worker\) $/m);
      let root = Number(/root pid (\d+)/.exec(screen)![1]);
      terminal.keys('-l', 'garbage');
      for (let i = 0; i < 3; i++) terminal.keys('C-c');
      await terminal.waitFor(/(\^C\n\(harrow: worker\) ?\n?){3}/);
      expect(await answer(terminal, 'worker', 'p total', /p total\n40\n/)).toContain('40');
      process.kill(root, 'SIGINT');
      // Still served: the signal waits.
      expect(await answer(terminal, 'worker', 'p total + 1', /p total \+ 1\n41\n/)).toContain('41');
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/\[exit 130\]/);
    });
  });

  it('a tab completes the names of the selected frame', async () => {
    await inTerminal(['child'], async (terminal) => {
      await terminal.waitFor(/\(harrow: worker\) $/m);
      terminal.keys('-l', 'p tot');
      terminal.keys('Tab');
      await terminal.waitFor(/\(harrow: worker\) p total$/m);
      terminal.keys('Enter');
      await terminal.waitFor(/p total\n40\n/);
      terminal.keys('c', 'Enter');
      await finished(terminal);
    });
  });
});

describe('the root, and a root actor that starts again', () => {
  it('breaks in the root itself, before and after two nurseries, whose children break too', async () => {
    await inTerminal(['rootTwice'], async (terminal) => {
      for (let [index, name] of ['root', 'child1', 'child2', 'root'].entries()) {
        await terminal.waitFor(new RegExp(`(\\(harrow: \\w+\\) c\\n[^]*){${index}}breakpoint in actor '${name}' [^]*\\(harrow: ${name}\\) $`, 'm'));
        terminal.keys('c', 'Enter');
      }
      let screen = await finished(terminal);
      expect(screen).toMatch(/^result: 7$/m);
      expect(screen).not.toMatch(/no terminal to debug in/);
    });
  });
});

describe('stepping, breakpoints by location, watches', () => {
  it('s on a yield* line stops at the first line of the delegated generator', async () => {
    await inTerminal(['genSteps'], async (terminal) => {
      await terminal.waitFor(/\(harrow: gen\) $/m);
      await answer(terminal, 'gen', 'n', /n\n.*:58\n-> 58\s+let value = yield\* triple\(2\);/);
      await answer(terminal, 'gen', 's', /s\n.*:51\n-> 51\s+let tripled = x \* 3;/);
      let bt = await answer(terminal, 'gen', 'bt', /bt\n.*\n.*\n\(harrow/);
      expect(bt).toMatch(new RegExp(`> #0 triple ${FIXTURE}:51\n  #1 genStepper ${FIXTURE}:58`));
      await answer(terminal, 'gen', 'n', /n\n.*:52\n-> 52\s+yield\* sleep\(1\);/);
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/^result: 6$/m);
    });
  });

  it('a step that runs on out of the user\'s code lets the terminal go to the next paused actor', async () => {
    await inTerminal(['stepsOut'], async (terminal) => {
      await terminal.waitFor(/\(harrow: daemon\) $/m);
      for (let i = 0; i < 3; i++) terminal.keys('n', 'Enter');
      await terminal.waitFor(/harrow: 'daemon' runs on; it asks for the terminal again when the step stops/);
      await terminal.waitFor(/\(harrow: other\) $/m);
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/^result: \[ 3, 5 \]$/m);
    });
  });


  it('b file:line with a condition, watch, s into a call, bt, up/down, o back out, cb, unwatch', async () => {
    await inTerminal(['steps'], async (terminal) => {
      await terminal.waitFor(/\(harrow: stepper\) $/m);
      expect(await answer(terminal, 'stepper', 'watch acc', /watch acc\nwatch 1: acc = 0\n/)).toBeTruthy();
      await answer(terminal, 'stepper', 'b debug-tree.ts:45 i === 2', /breakpoint 1 at debug-tree.ts:45 if i === 2\n/);
      await answer(terminal, 'stepper', 'b', /b\n1: debug-tree.ts:45 if i === 2\n/);
      terminal.keys('c', 'Enter');
      // Stopped by the breakpoint on the third round only (acc = 0 + 2).
      await terminal.waitFor(new RegExp(`breakpoint in actor 'stepper' .* at ${FIXTURE}:45\n-> 45\\s+acc \\+= double\\(i\\);\nwatch 1: acc = 2\n`));
      await answer(terminal, 'stepper', 's', new RegExp(`s\n${FIXTURE}:3\\d\n-> 3\\d\\s+let doubled = x \\* 2;`));
      let bt = await answer(terminal, 'stepper', 'bt', /bt\n.*\n.*\n\(harrow/);
      expect(bt).toMatch(new RegExp(`> #0 double ${FIXTURE}:3\\d\n  #1 stepper ${FIXTURE}:45`));
      await answer(terminal, 'stepper', 'up', new RegExp(`up\n${FIXTURE}:45\n-> 45`));
      await answer(terminal, 'stepper', 'p i', /p i\n2\n/);
      await answer(terminal, 'stepper', 'down', new RegExp(`down\n${FIXTURE}:3\\d\n`));
      await answer(terminal, 'stepper', 'p x', /p x\n2\n/);
      // Back in the caller: V8 stops at the next statement of it after the call (the loop's update).
      await answer(terminal, 'stepper', 'o', new RegExp(`o\n${FIXTURE}:4[45]\n`));
      await answer(terminal, 'stepper', 'cb', /cb\ncleared every breakpoint\n/);
      await answer(terminal, 'stepper', 'unwatch 1', /unwatch 1\nremoved watch 1: acc\n/);
      await answer(terminal, 'stepper', 'help', /help\nCommands[^]*q, quit/);
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/^result: 6$/m);
    });
  });
});

describe('teardown while an actor is paused', () => {
  it('the root scope ending closes the REPL with why, and the program exits within the cancel ladder (a cancellation is no crash)', async () => {
    await inTerminal(['timeout', '2500', 'debug'], async (terminal) => {
      await terminal.waitFor(/\(harrow: looper\) $/m);
      let screen = await terminal.waitFor(/leaves the debugger/, 10_000);
      let left = Date.now();
      expect(screen).toMatch(/harrow: actor 'looper' leaves the debugger: it is being cancelled: its nursery's scope ended/);
      screen = await finished(terminal, 1000 + 1000 + 1500);
      expect(Date.now() - left).toBeLessThan(1000 + 1000 + 1500);
      expect(screen).toMatch(/^result: scope ended$/m);
      expect(screen).not.toMatch(/post-mortem/);
    });
  });

  it('SIGTERM to the root closes the REPL with why; the tree is cancelled gracefully', async () => {
    await inTerminal(['grandchild'], async (terminal) => {
      let screen = await terminal.waitFor(/\(harrow: grandchild\) $/m);
      process.kill(Number(/root pid (\d+)/.exec(screen)![1]), 'SIGTERM');
      await terminal.waitFor(/harrow: actor 'grandchild' leaves the debugger: it is being cancelled: /);
      expect(await finished(terminal, 5_000)).toMatch(/\[exit 143\]/);
    });
  });

  it('a sibling failing cancels the paused actor like any other', async () => {
    await inTerminal(['sibling', '2500'], async (terminal) => {
      await terminal.waitFor(/\(harrow: looper\) $/m);
      let screen = await terminal.waitFor(/leaves the debugger/, 10_000);
      expect(screen).toMatch(/leaves the debugger: it is being cancelled: its nursery is failing: Error: the sibling failed/);
      expect(await finished(terminal, 5_000)).toMatch(/^error: RemoteActorError Error: the sibling failed$/m);
    });
  });
});

describe('crash mode (debugMode)', () => {
  it('opens a post-mortem with the error in scope; on c the error reaches the root unchanged', async () => {
    await inTerminal(['crash'], async (terminal) => {
      let screen = await terminal.waitFor(/\(harrow: crasher\) $/m);
      expect(screen).toMatch(/harrow: post-mortem of actor 'crasher' \(uid \S+, pid \d+\): TypeError: bad input 42/);
      expect(screen).toMatch(new RegExp(`at crash \\(.*${FIXTURE}:25`));
      await answer(terminal, 'crasher', 'p error.message', /p error.message\n'bad input 42'\n/);
      terminal.keys('c', 'Enter');
      expect(await finished(terminal)).toMatch(/^error: RemoteActorError TypeError: bad input 42$/m);
    });
  });
});

describe('crash mode, inherited', () => {
  it('a thread grandchild of a debugMode nursery: l and bt show where the error was raised; arrow-up recalls a line; one post-mortem only', async () => {
    await inTerminal(['crashDeep'], async (terminal) => {
      let screen = await terminal.waitFor(/\(harrow: crasher\) $/m);
      expect(screen).toMatch(/post-mortem of actor 'crasher' \(uid \S+, pid \d+\): TypeError: bad input 42/);
      let list = await answer(terminal, 'crasher', 'l', /l\n[^]*-> +25\s+throw new TypeError[^]*\(harrow/);
      expect(list).not.toContain('pause/here.ts');
      let bt = await answer(terminal, 'crasher', 'bt', /bt\n[^]*\(harrow/);
      expect(bt).toMatch(new RegExp(`at crash \\(.*${FIXTURE}:25`));
      await answer(terminal, 'crasher', 'p error.message', /p error.message\n'bad input 42'\n/);
      terminal.keys('Up', 'Enter');
      await terminal.waitFor(/(p error.message\n'bad input 42'\n[^]*){2}/);
      terminal.keys('c', 'Enter');
      screen = await finished(terminal);
      expect(screen).toMatch(/^error: RemoteActorError TypeError: bad input 42$/m);
      expect(screen.split('post-mortem of actor').length - 1).toBe(1);
    });
  });
});

describe('without a terminal', () => {
  it('breakpoint() warns and returns at once when the root has no TTY and debug mode is off', async () => {
    let child = startProgram(new URL('./fixtures/debug-tree.ts', import.meta.url), ['quick']);
    let elapsed = Number(/^result: (\d+)$/.exec(await child.line(/^result: \d+$/))![1]);
    expect((await child.exited).code).toBe(0);
    expect(elapsed).toBeLessThan(100);
    expect(child.stderr).toMatch(new RegExp(`breakpoint\\(\\) in actor 'quick' at .*${FIXTURE}:\\d+.*no terminal to debug in`));
    await expectNoLeaks(env.tag, 1_000);
  });
});
