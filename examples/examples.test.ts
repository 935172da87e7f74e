/**
 * Every example runs as the real program it is (`node --import tsx examples/<name>.ts`), and
 * must print what it promises, exit as it promises, and leave no process behind.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeaks, startProgram, tagProcesses, type Program } from '../packages/runtime/test/helpers.ts';

let tag: string;
beforeEach(() => {
  tag = tagProcesses();
});

/** Run an example to its end; returns its stdout lines. Fails on a non-zero exit, showing stderr. */
async function runExample(name: string, args: string[] = []): Promise<{ lines: string[]; program: Program }> {
  let program = startProgram(new URL(`./${name}.ts`, import.meta.url), args);
  let timer = setTimeout(() => program.process.kill('SIGKILL'), 50_000); // a hung example must not outlive its test
  let exit = await program.exited;
  clearTimeout(timer);
  expect(exit, `${name} exited badly; stdout:\n${program.lines.join('\n')}\nstderr:\n${program.stderr}`).toEqual({ code: 0, signal: null });
  await expectNoLeaks(tag);
  return { lines: program.lines, program };
}

/** Trial division, written again here so the example is checked against something independent. */
function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}

describe('examples', () => {
  it('single-func: runs a function in a child process and collects its pid', async () => {
    let { lines, program } = await runExample('single-func');
    let match = /^Collected subproc (\d+) \(the parent is pid (\d+)\)$/.exec(lines.at(-1) ?? '');
    expect(match, lines.join('\n')).not.toBeNull();
    let [, child, parent] = match!.map(Number);
    expect(parent).toBe(program.process.pid);
    expect(child).not.toBe(parent);
  });

  it('we-are-processes: the self-destructing tree is contained', async () => {
    let { lines } = await runExample('we-are-processes');
    let workers = lines.filter((line) => /^Yo, i'm 'worker_\d+' running in pid \d+$/.test(line));
    expect(workers.length).toBeGreaterThan(0);
    expect(lines).toContain('This process tree will self-destruct in 1 sec...');
    expect(lines.at(-1)).toBe(`Zombies Contained (Self Destructed; all ${workers.length} workers are gone)`);
  });

  it('daemon: two calls to a started actor, then cancelActor', async () => {
    let { lines } = await runExample('daemon');
    expect(lines.slice(0, 2)).toEqual(['What is the meaning of life?', "Dang that's beautiful"]);
    expect(lines[2]).toMatch(/^frank \(pid \d+\) was cancelled; the nursery has 0 children left$/);
  });

  it('a-trynamic-first-scene: two actors find each other by name and each has the other say hi', async () => {
    let { lines } = await runExample('a-trynamic-first-scene');
    // gretchen's answer is donny's own line, run in donny (and the other way round).
    expect(lines).toEqual(['Alright... Action!', 'Hi my name is donny', 'Hi my name is gretchen', "CUTTTT CUUTT CUT!!! Donny!! You're supposed to say..."]);
  });

  it('nested-tree: every actor has its own nursery, and the whole tree is gone at the end', async () => {
    let { lines, program } = await runExample('nested-tree', ['2', '2']);
    expect(lines[0]).toBe(`root (pid ${program.process.pid})`);
    let names = lines.slice(1, -1).map((line) => /([\w.]+) \(pid \d+\)$/.exec(line)?.[1]);
    expect(names).toEqual(['root.0', 'root.0.0', 'root.0.1', 'root.1', 'root.1.0', 'root.1.1']);
    let pids = lines.slice(0, -1).map((line) => Number(/pid (\d+)/.exec(line)?.[1]));
    expect(new Set(pids).size).toBe(7);
    expect(lines.at(-1)).toBe('all 6 actors are gone');
  });

  it('concurrent-primes: a pool of actors checks every number', async () => {
    let { lines } = await runExample('concurrent-primes', ['2']);
    let { PRIMES } = await import('./concurrent-primes.ts');
    let results = lines.slice(0, -1).map((line) => /^(\d+) is prime: (true|false)$/.exec(line)).map((match) => [Number(match![1]), match![2] === 'true'] as const);
    expect(results.map(([n]) => n).sort()).toEqual([...PRIMES].sort());
    for (let [n, prime] of results) expect(prime, String(n)).toBe(isPrime(n));
    expect(lines.at(-1)).toMatch(/^processing took \d+ ms on 2 workers$/);
  });

  it('supervised-pool: three supervised workers keep answering while the root kills them at random', async () => {
    let { lines } = await runExample('supervised-pool');
    expect(lines[0], lines.join('\n')).toBe('answers: 60 (all correct)');
    expect(lines[1]).toBe('workers killed: 4');
    expect(lines[2]).toMatch(/^calls made again after their worker died: \d+$/);
    expect(lines.slice(3)).toEqual(['restarts seen: yes', 'all workers alive: w0 w1 w2']);
  });

  it('demo: shows the tree the actors report and the one the OS sees, then that nothing is left', async () => {
    let { lines, program } = await runExample('demo', ['1', '2']);
    expect(lines).toContain(`  root (pid ${program.process.pid})`);
    // In the /proc view each actor is a child process of its parent actor.
    let osView = lines.filter((line) => line.includes('<- root.'));
    expect(osView).toHaveLength(2);
    for (let line of osView) expect(line).toMatch(/^ {2}[├└]── \d+ pgid \d+ node boot\.cjs process-main\.ts {3}<- root\.\d$/);
    // The root's sentinel says what it is, in a process group of its own.
    expect(lines.filter((line) => / harrow-sentinel$/.test(line))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^Torn down in \d+ ms\. Nothing is left: none of the 2 actor processes is alive\.$/);
  });

  it('transport-echo: the codec carries every kind of value', async () => {
    let { lines } = await runExample('transport-echo');
    expect(lines.filter((line) => line.startsWith('echo:'))).toHaveLength(8);
    expect(lines.at(-1)).toMatch(/^listened on uds:\/\//);
  });
});
