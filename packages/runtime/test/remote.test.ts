import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { run, type Operation } from 'effection';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentActor, isMainModule, openNursery, remote, type Remote } from '../src/index.ts';
import { add } from './fixtures/basic.ts';
import { expectNoLeaks, startProgram, tagProcesses, tempDir } from './helpers.ts';

let tag: string;
beforeEach(() => {
  tag = tagProcesses();
});

describe('remote()', () => {
  it('returns the function itself, marked', () => {
    let fn = function* marked() {
      return 1;
    };
    expect(remote(import.meta, fn)).toBe(fn);
    // Marking the same function again is harmless; marking it from another module is not.
    expect(remote(import.meta, fn)).toBe(fn);
    expect(() => remote({ url: 'file:///elsewhere.ts' } as ImportMeta, fn)).toThrow(/already a remote function of/);
  });

  it('refuses an anonymous function', () => {
    expect(() => remote(import.meta, (() => function* () {})())).toThrow(TypeError);
    expect(() => remote(import.meta, (() => function* () {})())).toThrow(/has no name/);
  });

  it('refuses a second function of the same name in one module', () => {
    remote(import.meta, function* twice() {});
    expect(() => remote(import.meta, function* twice() {})).toThrow(/already has a remote function named "twice"/);
  });
});

describe('isMainModule and currentActor', () => {
  it('is false under a test runner, and currentActor() names the root', () => {
    expect(isMainModule(import.meta)).toBe(false);
    expect(currentActor()).toMatchObject({ name: 'root', pid: process.pid });
  });

  it('is true only in the entry module of the root process, never in an actor', async () => {
    let program = startProgram(new URL('./programs/main-module.ts', import.meta.url));
    await program.exited;
    let lines = program.lines;
    expect(lines).toContain(`evaluated in pid ${program.process.pid}: isMainModule true`);
    // Evaluated twice: in the root (true) and in the actor that imported it (false).
    expect(lines.filter((line) => line.startsWith('evaluated in pid') && line.endsWith('isMainModule false'))).toHaveLength(1);
    expect(lines).toContain('in the actor: isMainModule false');
    await expectNoLeaks(tag);
  });
});

describe('enableModules forms', () => {
  it('accepts a URL, a file URL string, an absolute path and a bare package specifier', async () => {
    let dir = tempDir();
    let cwd = process.cwd();
    try {
      // A package of its own, resolved by name from the working directory.
      let pkg = join(dir.path, 'node_modules', 'harrow-test-jobs');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'harrow-test-jobs', type: 'module', main: 'index.ts' }));
      let runtime = new URL('../src/index.ts', import.meta.url).href;
      writeFileSync(join(pkg, 'index.ts'), `import { remote } from '${runtime}';\nexport const double = remote(import.meta, function* double(n: number) { return 2 * n; });\n`);
      let { double } = (await import(pathToFileURL(join(realpathSync(pkg), 'index.ts')).href)) as { double: ((n: number) => Operation<number>) & Remote };
      process.chdir(dir.path);
      await run(function* () {
        let nursery = yield* openNursery();
        let basic = new URL('./fixtures/basic.ts', import.meta.url);
        for (let module of [basic, basic.href, basic.pathname]) {
          let portal = yield* nursery.startActor('forms', { enableModules: [module] });
          expect(yield* portal.run(add, 2, 3)).toBe(5);
          yield* portal.cancelActor();
        }
        let portal = yield* nursery.startActor('bare', { enableModules: ['harrow-test-jobs'] });
        expect(yield* portal.run(double, 21)).toBe(42);
      });
    } finally {
      process.chdir(cwd);
      dir.remove();
    }
    await expectNoLeaks(tag);
  });

  it('refuses a relative path with a pointer to the fix', async () => {
    await expect(
      run(function* () {
        let nursery = yield* openNursery({ spare: false });
        yield* nursery.startActor('relative', { enableModules: ['./fixtures/basic.ts'] });
      }),
    ).rejects.toThrow(/is relative; write new URL\('\.\/fixtures\/basic\.ts', import\.meta\.url\)/);
    await expectNoLeaks(tag);
  });
});
