/** The REPL's commands, as `help` lists them and Tab completes them. */
export const HELP = `Commands (an actor's REPL in the root's terminal):
  c, continue        resume the actor (the terminal goes to the next paused actor)
  n, next            run to the next line of this function
  s, step            step into the call on this line (a yield* generator too)
  o, out             run until this function returns
  bt, where          backtrace: your frames, the selected one marked >
  l, list            source around the selected frame's line
  up, down           select the calling (up) or the called (down) frame
  p <expr>           evaluate in the selected frame (locals, closures; assignments stick)
  <expr>             the same as p <expr>
  b [file.ts:line [condition]]
                     set a breakpoint in this actor; b alone lists them
  cb [n]             clear breakpoint n (all without n)
  watch <expr>       print <expr> at every stop; unwatch <n> removes one
  actors             every actor paused in the debugger, and who holds the terminal
  q, quit            leave the debugger: breakpoint() throws DebuggerQuit
  help               this text
Enter repeats the last of n, s, o. Ctrl-C clears the line; it never cancels the tree.`;

export const COMMAND_NAMES = ['continue', 'next', 'step', 'out', 'where', 'bt', 'list', 'up', 'down', 'p', 'break', 'cb', 'watch', 'unwatch', 'actors', 'quit', 'help'];

export type Parsed =
  | { command: 'continue' | 'next' | 'step' | 'out' | 'bt' | 'list' | 'up' | 'down' | 'quit' | 'help' | 'repeat' }
  | { command: 'print'; expression: string }
  | { command: 'break'; file?: string; line?: number; condition?: string }
  | { command: 'clear'; index?: number }
  | { command: 'watch'; expression: string }
  | { command: 'unwatch'; index: number }
  | { command: 'error'; message: string };

const WORDS: Record<string, Parsed['command']> = {
  c: 'continue', cont: 'continue', continue: 'continue',
  n: 'next', next: 'next',
  s: 'step', step: 'step',
  o: 'out', out: 'out', finish: 'out',
  bt: 'bt', where: 'bt', w: 'bt', backtrace: 'bt',
  l: 'list', list: 'list',
  up: 'up', u: 'up', down: 'down', d: 'down',
  q: 'quit', quit: 'quit', exit: 'quit',
  h: 'help', help: 'help',
};

/** Read one line typed at the prompt. */
export function parse(line: string): Parsed {
  let text = line.trim();
  if (text === '') return { command: 'repeat' };
  let [word = '', ...rest] = text.split(/\s+/);
  let argument = text.slice(word.length).trim();
  if (word in WORDS && argument === '') return { command: WORDS[word]! } as Parsed;
  switch (word) {
    case 'p':
    case 'print':
      return argument ? { command: 'print', expression: argument } : { command: 'error', message: 'p needs an expression: p total' };
    case 'b':
    case 'break': {
      if (!argument) return { command: 'break' };
      let match = /^(.+):(\d+)$/.exec(rest[0] ?? '');
      if (!match) return { command: 'error', message: 'b needs file.ts:line, e.g. b work.ts:12 [condition]' };
      let condition = argument.slice(rest[0]!.length).trim();
      return { command: 'break', file: match[1]!, line: Number(match[2]), ...(condition ? { condition } : {}) };
    }
    case 'cb':
    case 'clear':
      if (!argument) return { command: 'clear' };
      return /^\d+$/.test(argument) ? { command: 'clear', index: Number(argument) } : { command: 'error', message: 'cb takes a breakpoint number (b lists them)' };
    case 'watch':
      return argument ? { command: 'watch', expression: argument } : { command: 'error', message: 'watch needs an expression' };
    case 'unwatch':
      return /^\d+$/.test(argument) ? { command: 'unwatch', index: Number(argument) } : { command: 'error', message: 'unwatch takes a watch number' };
  }
  return { command: 'print', expression: text };
}
