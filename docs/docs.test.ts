/**
 * Every ```ts block in README.md and docs/*.md is a complete program, and this file proves it:
 * each block is written to a file under docs/.snippets/ (so that `@harrow/runtime` resolves
 * through the docs package), type-checked with the project's compiler options, and run with
 * `node --import tsx`. A block must exit 0 and leave no process behind; a ```text block right
 * after it is its expected stdout, where `<...>` stands for any text (a pid, a uid, a time).
 * A block opened with ```ts fragment is not run (signatures, shapes shown in prose).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, startProgram, tagProcesses, type Program } from '../packages/runtime/test/helpers.ts';
import { extractBlocks, matchesOutput, type Block } from './snippets.ts';

const DOCS = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(DOCS);
// One directory per run, so that two runs (or two checkouts' runs) never share files.
const RUN_DIR = join(DOCS, '.snippets', `run-${process.pid}`);

const ALL_PAGES = ['README.md', ...readdirSync(DOCS).filter((file) => file.endsWith('.md')).sort().map((file) => `docs/${file}`)];
// DOCS_ONLY=portals runs the pages whose path contains "portals" (while writing them).
const PAGES = ALL_PAGES.filter((page) => page.includes(process.env.DOCS_ONLY ?? ''));

interface Snippet extends Block {
  page: string;
  file: string;
}

const SNIPPETS: Snippet[] = PAGES.flatMap((page) =>
  extractBlocks(readFileSync(join(ROOT, page), 'utf8')).map((block) => ({
    ...block,
    page,
    file: join(RUN_DIR, `${page.replace('/', '__')}-L${block.line}.ts`),
  })),
);

beforeAll(() => {
  mkdirSync(RUN_DIR, { recursive: true });
  for (let snippet of SNIPPETS) writeFileSync(snippet.file, snippet.code);
  writeFileSync(
    join(RUN_DIR, 'tsconfig.json'),
    // The root's options: the packages' sources (the harrow-source condition), not their build.
    JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: ['*.ts'] }, null, 2),
  );
});

afterAll(() => {
  rmSync(RUN_DIR, { recursive: true, force: true });
  try {
    rmdirSync(dirname(RUN_DIR)); // only when no other run is using it
  } catch {
    // not empty, or already gone
  }
});

/** How the program exited; a program still running after `ms` is killed (its actors follow it) and reported. */
async function exitWithin(program: Program, ms: number): Promise<Awaited<Program['exited']> | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), ms)));
  let exit = await Promise.race([program.exited, timedOut]);
  clearTimeout(timer);
  if (exit === 'timed out') {
    program.process.kill('SIGKILL');
    await program.exited;
  }
  return exit;
}

describe('reading blocks', () => {
  it('takes ts blocks with the text block after them, and skips fragments and other languages', () => {
    let page = ['# page', '```ts', 'one();', '```', '', '```text', 'out <pid>', '```', '```ts fragment', 'f(): void;', '```', '```sh', 'ls', '```', '```ts', 'two();', '```', '```', 'not output', '```'].join('\n');
    expect(extractBlocks(page)).toEqual([
      { line: 2, code: 'one();\n', expected: 'out <pid>' },
      { line: 15, code: 'two();\n' },
    ]);
  });

  it('matches output line for line, <...> standing for any text', () => {
    expect(matchesOutput(['pid 12 (x.y)', ''], 'pid <pid> (x.y)')).toBe(true);
    expect(matchesOutput(['pid 12 (xzy)'], 'pid <pid> (x.y)')).toBe(false);
    expect(matchesOutput(['a', 'b'], 'a')).toBe(false);
  });
});

describe('docs', () => {
  it('has runnable blocks on every page but the index', () => {
    let pages = new Set(SNIPPETS.map((snippet) => snippet.page));
    for (let page of PAGES.filter((page) => page !== 'docs/README.md')) expect(pages, page).toContain(page);
  });

  it('type-checks every block', async () => {
    let tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    let result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', join(RUN_DIR, 'tsconfig.json')], { cwd: ROOT }).then(
      () => '',
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    // Files are named after their page and line: docs__portals.md-L42.ts is the block at docs/portals.md:42.
    expect(result.replaceAll(`${RUN_DIR}/`, ''), 'type errors in docs blocks').toBe('');
  }, 120_000);

  it.each(SNIPPETS.map((snippet) => [`${snippet.page}:${snippet.line}`, snippet] as const))('%s runs', async (_name, snippet) => {
    let tag = tagProcesses();
    let program = startProgram(pathToFileURL(snippet.file));
    let exit = await exitWithin(program, 50_000);
    let output = `stdout:\n${program.lines.join('\n')}\nstderr:\n${program.stderr}`;
    expect(exit, output).toEqual({ code: 0, signal: null });
    if (snippet.expected !== undefined) {
      expect(matchesOutput(program.lines, snippet.expected), `expected:\n${snippet.expected}\n${output}`).toBe(true);
    }
    // The default runSync pool's idle workers do not hold a finished program open; they exit
    // through their lifelines just after it (API.md §6), so those programs get a moment.
    await expectNoLeaks(tag, /\brunSync\(/.test(snippet.code) ? 1_000 : 0);
  }, 60_000);
});
