/**
 * The packages as a user gets them (API.md §10): packed with `pnpm pack` (whose `prepack`
 * builds them), installed with npm into a fresh directory outside the workspace, and used there
 * by the README's "Use it in your project" programs: the JavaScript one with plain `node`, the
 * TypeScript one type-checked with `tsc` against the installed declarations and run with tsx.
 * Needs the npm registry (for effection, msgpackr, ws, pino, tsx).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, tagProcesses, tempDir } from '../packages/runtime/test/helpers.ts';
import { Terminal } from '../packages/runtime/test/terminal.ts';
import { extractBlocks, matchesOutput } from '../docs/snippets.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const PACKAGES = ['transport', 'runtime', 'debugger'];
const PNPM = ['-y', 'pnpm@10.34.9'];

/** The README's section for users, and its programs. */
const SECTION = sectionOf(readFileSync(join(ROOT, 'README.md'), 'utf8'), '## Use it in your project');
const [JS] = extractBlocks(SECTION, 'js');
const [TS] = extractBlocks(SECTION, 'ts');

/**
 * A shell's environment as a user would have it: none of the workspace's (NODE_OPTIONS selects
 * its sources) or of the running pnpm script's, but the registry and proxy settings it may need.
 */
function userEnv(): NodeJS.ProcessEnv {
  let env: NodeJS.ProcessEnv = {};
  for (let [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key.startsWith('PNPM_')) continue;
    if (/^npm_/i.test(key) && !/^npm_config_(registry|.*proxy|cafile|strict_ssl)$/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** The tsx this workspace uses, installed in the project the same version. */
const TSX_VERSION = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'tsx', 'package.json'), 'utf8')).version as string;

async function run(command: string, args: string[], cwd: string, timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await promisify(execFile)(command, args, { cwd, env: userEnv(), timeout, maxBuffer: 16 << 20 });
  } catch (error) {
    let failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${failed.message}\nstdout:\n${failed.stdout}\nstderr:\n${failed.stderr}`);
  }
}

describe('the packages, installed from their tarballs outside the workspace', () => {
  let dir = tempDir();
  let project = join(dir.path, 'project');
  afterAll(() => dir.remove());

  beforeAll(async () => {
    let tarballs = join(dir.path, 'tarballs');
    mkdirSync(tarballs);
    mkdirSync(project);
    let dependencies: Record<string, string> = { effection: '4.1.1' };
    for (let name of PACKAGES) {
      let { stdout } = await run('npx', [...PNPM, 'pack', '--json', '--pack-destination', tarballs], join(ROOT, 'packages', name), 180_000);
      // The JSON comes after what the package's prepack printed.
      let tarball = (JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n') + 1)) as { filename: string }).filename;
      expect(tarball, stdout).toMatch(new RegExp(`harrow-${name}-.*\\.tgz$`));
      dependencies[`@harrow/${name}`] = `file:${tarball}`;
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'harrow-user', private: true, type: 'module', dependencies, devDependencies: { tsx: TSX_VERSION } }, null, 2));
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], project, 240_000);
    writeFileSync(join(project, 'main.mjs'), JS!.code);
    writeFileSync(join(project, 'main.ts'), TS!.code);
    writeFileSync(join(project, 'where.mjs'), WHERE);
    writeFileSync(join(project, 'debug.mjs'), DEBUG);
    writeFileSync(join(project, 'uses-ts.mjs'), USES_TS);
    writeFileSync(join(project, 'double.ts'), DOUBLE);
    writeFileSync(join(project, 'registry200.mjs'), REGISTRY200);
    writeFileSync(join(project, 'hold.mjs'), HOLD);
  }, 600_000);

  it('installs what the packages need and nothing of the workspace', () => {
    let installed = JSON.parse(readFileSync(join(project, 'node_modules', '@harrow', 'runtime', 'package.json'), 'utf8'));
    expect(installed.exports['.'].import).toBe('./dist/index.js');
    expect(installed.exports['.'].types).toBe('./dist/index.d.ts');
    expect(Object.keys(installed.dependencies ?? {})).not.toContain('tsx');
    expect(JSON.stringify(installed.dependencies)).not.toContain('workspace:');
  });

  it('runs the JavaScript program with plain node; its actors start from the built JavaScript with no loader', async () => {
    let tag = tagProcesses();
    let { stdout } = await run(process.execPath, ['main.mjs'], project);
    expect(matchesOutput(stdout.split('\n'), JS!.expected!), stdout).toBe(true);
    let where = JSON.parse((await run(process.execPath, ['where.mjs'], project)).stdout);
    // boot.cjs's arguments: no tsx loader ('-'), then the actor's entry, from dist/.
    expect(where.process.argv.slice(0, 2)).toEqual(['-', '-']);
    expect(where.process.argv[2]).toMatch(/node_modules\/@harrow\/runtime\/dist\/entry\/process-main\.js$/);
    expect(where.process.execArgv).toEqual([]);
    // A thread actor, a process actor that thread starts, and runSync in a thread worker.
    expect(where.thread).toEqual({ grandchild: 'grandchild', workerSum: 3 });
    // The default runSync pool's idle workers exit through their lifelines just after the program.
    await expectNoLeaks(tag, 1_000);
  }, 120_000);

  it('debugs a JavaScript program: a breakpoint in an actor opens the REPL in the terminal of the root, at the line of the .mjs', async () => {
    let tag = tagProcesses();
    let terminal = new Terminal([process.execPath, 'debug.mjs'], { cwd: project, env: { NODE_OPTIONS: '' } });
    try {
      let screen = await terminal.waitFor(/\(harrow: worker\) $/m);
      expect(screen).toMatch(/harrow: breakpoint in actor 'worker' \(uid [\w-]+, pid \d+\) at debug\.mjs:7/);
      terminal.keys('-l', 'p doubled');
      terminal.keys('Enter');
      await terminal.waitFor(/p doubled\n42\n/);
      terminal.keys('-l', 'bt');
      terminal.keys('Enter');
      // Only the user's frame: the runtime's and effection's (in node_modules) are hidden.
      screen = await terminal.waitFor(/bt\n> #0 work debug\.mjs:7\n\(harrow: worker\) $/m);
      terminal.keys('-l', 'c');
      terminal.keys('Enter');
      await terminal.waitFor(/result 42\n\[exit 0\]/);
    } finally {
      terminal.close();
    }
    await expectNoLeaks(tag, 1_000);
  }, 60_000);

  it('runs the TypeScript actors of a root that loads TypeScript without a loader flag (as under a test runner) with the tsx of the project', async () => {
    let tag = tagProcesses();
    let { stdout } = await run(process.execPath, ['uses-ts.mjs'], project);
    expect(stdout.trim()).toBe('process 42, thread 42');
    await expectNoLeaks(tag, 2_000);
  }, 120_000);

  it('type-checks the TypeScript program against the installed declarations under an ordinary tsconfig; a wrong argument and an unmarked function are errors', async () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true },
      files: ['main.ts'],
    }));
    let tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    let wrong = TS!.code
      .replace('calc.run(add, 2, 3)', "calc.run(add, 2, '3')")
      .replace('nursery.runInActor(hello,', 'nursery.runInActor(function* unmarked() { return "hi"; },');
    writeFileSync(join(project, 'main.ts'), wrong);
    let failed = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project).then(() => '', (error: Error) => error.message);
    writeFileSync(join(project, 'main.ts'), TS!.code);
    let lineOf = (text: string) => wrong.split('\n').findIndex((line) => line.includes(text)) + 1;
    expect(failed).toMatch(new RegExp(`main\\.ts\\(${lineOf("'3'")},\\d+\\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'`));
    expect(failed).toMatch(new RegExp(`main\\.ts\\(${lineOf('unmarked')},\\d+\\): error TS2345: Argument of type '\\(\\) => Generator<[^']*>' is not assignable`));
  }, 120_000);

  // Here rather than in the runtime's tests: in the workspace each of 200 actors would compile
  // the runtime's ~100 modules through tsx (about 60 s on 2 cores); built, it takes ~20 s.
  it('registers 200 actors started at once, and unregisters every one as they are torn down', async () => {
    let tag = tagProcesses();
    let { stdout } = await run(process.execPath, ['registry200.mjs'], project, 180_000);
    let [registered, left] = stdout.trim().split('\n');
    expect(JSON.parse(registered!)).toEqual({ count: 201, distinct: 201, everyActor: true, root: 'root' });
    expect(left).toBe('left 1');
    await expectNoLeaks(tag);
  }, 180_000);

  it('installs the harrow bin, whose ps prints a running program\'s tree', async () => {
    let tag = tagProcesses();
    let program = spawn(process.execPath, ['hold.mjs'], { cwd: project, env: userEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    let exited = new Promise((resolve) => program.on('exit', resolve));
    try {
      let address = await new Promise<string>((resolve, reject) => {
        program.stdout!.setEncoding('utf8');
        program.stdout!.once('data', (line: string) => resolve(line.trim()));
        program.once('exit', () => reject(new Error('hold.mjs exited before printing its address')));
      });
      let { stdout } = await run(join(project, 'node_modules', '.bin', 'harrow'), ['ps', '--registry', address], project);
      let lines = stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^NAME +UID +PID +HOST +UPTIME +CALLS$/);
      expect(lines.slice(1).map((line) => line.trim().split(/\s+/)[0])).toEqual(['root', '└─']);
      expect(lines[2]).toContain('held');
    } finally {
      program.kill('SIGTERM');
      await exited;
    }
    await expectNoLeaks(tag);
  }, 60_000);

  it('runs the TypeScript program under tsx, its actors inheriting it', async () => {
    let tag = tagProcesses();
    let { stdout } = await run(join(project, 'node_modules', '.bin', 'tsx'), ['main.ts'], project);
    expect(matchesOutput(stdout.split('\n'), TS!.expected!), stdout).toBe(true);
    // tsx's compile services exit a moment after the processes that started them.
    await expectNoLeaks(tag, 1_000);
  }, 300_000);
});

/** What an actor of a plain-node program was started with; a thread actor that starts a process actor and uses a thread worker. */
const WHERE = `
import { main } from 'effection';
import { isMainModule, openNursery, openWorkerContext, remote } from '@harrow/runtime';

export const where = remote(import.meta, function* where() {
  return { argv: process.argv.slice(2), execArgv: process.execArgv };
});

export const name = remote(import.meta, function* name() {
  return 'grandchild';
});

export const add = remote(import.meta, function add(a, b) {
  return a + b;
});

export const inThread = remote(import.meta, function* inThread() {
  let nursery = yield* openNursery();
  let grandchild = yield* (yield* nursery.runInActor(name)).result();
  let workers = yield* openWorkerContext({ workerType: 'thread' });
  let workerSum = yield* workers.runSync(add, [1, 2]);
  return { grandchild, workerSum };
});

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery();
  let process_ = yield* (yield* nursery.runInActor(where)).result();
  let thread = yield* (yield* nursery.runInActor(inThread, [], { spawn: 'thread' })).result();
  console.log(JSON.stringify({ process: process_, thread }));
});
`;

/**
 * A root that loads TypeScript through a loader registered in-process, as a test runner does,
 * not through its execArgv: its actors run a TypeScript module all the same.
 */
const USES_TS = `import { main, until } from 'effection';
import { register } from 'tsx/esm/api';
import { isMainModule, openNursery } from '@harrow/runtime';

register();

if (isMainModule(import.meta)) await main(function* () {
  let { double } = yield* until(import('./double.ts'));
  let nursery = yield* openNursery();
  let module = new URL('./double.ts', import.meta.url);
  let inProcess = yield* nursery.startActor('process', { enableModules: [module] });
  let inThread = yield* nursery.startActor('thread', { enableModules: [module], spawn: 'thread' });
  console.log(\`process \${yield* inProcess.run(double, 21)}, thread \${yield* inThread.run(double, 21)}\`);
});
`;

const DOUBLE = `import { remote } from '@harrow/runtime';

export const double = remote(import.meta, function* double(n: number) {
  return n * 2;
});
`;

/** A breakpoint in an actor of a plain-node program. */
const REGISTRY200 = `import { all, main, sleep } from 'effection';
import { openNursery, queryRegistry } from '@harrow/runtime';

await main(function* () {
  let nursery = yield* openNursery({ spare: false });
  let portals = yield* all(Array.from({ length: 200 }, (_, i) => nursery.startActor('a' + i, { spawn: 'thread' })));
  let entries = yield* queryRegistry();
  let uids = new Set(entries.map((entry) => entry.uid));
  console.log(JSON.stringify({
    count: entries.length,
    distinct: uids.size,
    everyActor: portals.every((portal) => uids.has(portal.actor.uid)),
    root: entries[0].name,
  }));
  yield* nursery.cancel();
  while ((yield* queryRegistry()).length > 1) yield* sleep(1);
  console.log('left', (yield* queryRegistry()).length);
});
`;

const HOLD = `import { main, suspend } from 'effection';
import { currentActor, openNursery } from '@harrow/runtime';

await main(function* () {
  let nursery = yield* openNursery();
  yield* nursery.startActor('held');
  console.log(currentActor().address);
  yield* suspend();
});
`;

const DEBUG = `import { main } from 'effection';
import { isMainModule, openNursery, remote } from '@harrow/runtime';
import { breakpoint } from '@harrow/debugger';

export const work = remote(import.meta, function* work(n) {
  let doubled = n * 2;
  yield* breakpoint();
  return doubled;
});

if (isMainModule(import.meta)) await main(function* () {
  let nursery = yield* openNursery();
  console.log(\`result \${yield* (yield* nursery.runInActor(work, [21], { name: 'worker' })).result()}\`);
});
`;

/** The text of a markdown section: from its heading to the next heading of the same level. */
function sectionOf(markdown: string, heading: string): string {
  let start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section '${heading}'`);
  let level = heading.split(' ')[0]!;
  let end = markdown.indexOf(`\n${level} `, start + heading.length + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}
