/**
 * Code blocks of the docs, as docs.test.ts runs them: which blocks are programs, and what
 * output each promises.
 */

/** A code block: its code, the line of its opening fence, and its expected stdout if declared. */
export interface Block {
  line: number;
  code: string;
  expected?: string;
}

const FENCE = /^```(.*)$/;

/**
 * The runnable blocks of a markdown page: every ```ts block (or of another `language`) except
 * ```ts fragment, each with the ```text block that directly follows it (blank lines between
 * allowed) as its expected output.
 */
export function extractBlocks(markdown: string, language = 'ts'): Block[] {
  let lines = markdown.split('\n');
  let blocks: Block[] = [];
  let i = 0;
  let fenced = (start: number): { info: string; body: string; end: number } | undefined => {
    let open = FENCE.exec(lines[start] ?? '');
    if (!open) return undefined;
    let end = start + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    return { info: open[1]!.trim(), body: lines.slice(start + 1, end).join('\n'), end };
  };
  while (i < lines.length) {
    let block = fenced(i);
    if (!block) {
      i++;
      continue;
    }
    let [info, ...flags] = block.info.split(/\s+/);
    if (info === language && !flags.includes('fragment')) {
      let runnable: Block = { line: i + 1, code: `${block.body}\n` };
      let next = block.end + 1;
      while (next < lines.length && lines[next]!.trim() === '') next++;
      let output = fenced(next);
      if (output && output.info === 'text') {
        runnable.expected = output.body;
        block = output;
      }
      blocks.push(runnable);
    }
    i = block.end + 1;
  }
  return blocks;
}

/**
 * Whether stdout `lines` are exactly the `expected` lines, where `<...>` in an expected line
 * stands for any text. Trailing spaces are ignored.
 */
export function matchesOutput(lines: string[], expected: string): boolean {
  let wanted = expected.split('\n');
  let actual = [...lines];
  while (actual.length > 0 && actual.at(-1)!.trim() === '') actual.pop();
  if (actual.length !== wanted.length) return false;
  return wanted.every((line, i) => pattern(line).test(actual[i]!.trimEnd()));
}

function pattern(line: string): RegExp {
  let parts = line.trimEnd().split(/<[^<>]*>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}
