import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../packages/runtime/test/helpers.ts';

const require = createRequire(import.meta.url);
const { ruleSet } = require('../scripts/layer-rules.cjs') as { ruleSet(): object };
const root = new URL('..', import.meta.url).pathname;

describe('import direction (scripts/layer-rules.cjs)', () => {
  let dir = tempDir();
  afterAll(() => dir.remove());

  /** Cruise a made-up tree of `files` (path → source) laid out like the repository. */
  async function violations(files: Record<string, string>): Promise<string[]> {
    for (let [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir.path, path)), { recursive: true });
      writeFileSync(join(dir.path, path), source);
    }
    let result = await cruise(['packages'], { validate: true, ruleSet: ruleSet() as never, baseDir: dir.path });
    return (result.output as ICruiseResult).summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`);
  }

  it('fails an import from a lower floor to a higher one, between folders of one floor, and a cycle; allows a downward import', async () => {
    let found = await violations({
      'packages/runtime/src/nursery/nursery.ts': "import { sentinel } from '../spawn/sentinel.ts';\nexport const nursery = sentinel;\n",
      'packages/runtime/src/spawn/sentinel.ts': "export const sentinel = 1;\n",
      'packages/runtime/src/spawn/process.ts': "import { nursery } from '../nursery/nursery.ts';\nexport const up = nursery;\n",
      'packages/runtime/src/dialog/peer.ts': "import { pool } from '../worker-pool/pool.ts';\nexport const peer = pool;\n",
      'packages/runtime/src/worker-pool/pool.ts': "export const pool = 1;\n",
      'packages/runtime/src/base/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'packages/runtime/src/base/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      'packages/transport/src/channel.ts': "import { peer } from '../../runtime/src/dialog/peer.ts';\nexport const channel = peer;\n",
    });
    expect(found.sort()).toEqual([
      'no-circular: packages/runtime/src/base/a.ts → packages/runtime/src/base/b.ts',
      'packages-transport-imports-upward: packages/transport/src/channel.ts → packages/runtime/src/dialog/peer.ts',
      'runtime-dialog-imports-upward: packages/runtime/src/dialog/peer.ts → packages/runtime/src/worker-pool/pool.ts',
      'runtime-spawn-imports-upward: packages/runtime/src/spawn/process.ts → packages/runtime/src/nursery/nursery.ts',
    ]);
  });
});

describe('names', () => {
  it('no two source files of one package share a name', () => {
    for (let pkg of readdirSync(join(root, 'packages'))) {
      let names = new Map<string, string[]>();
      for (let file of sourceFiles(join(root, 'packages', pkg, 'src'))) {
        names.set(basename(file), [...(names.get(basename(file)) ?? []), file.slice(root.length)]);
      }
      let repeated = [...names.values()].filter((paths) => paths.length > 1);
      expect(repeated, `in packages/${pkg}/src`).toEqual([]);
    }
  });
});

describe('the public surface', () => {
  it('every exported function and class of each package has a doc comment with an @example', () => {
    let entries = ['runtime', 'transport'].map((pkg) => join(root, 'packages', pkg, 'src', 'index.ts'));
    let program = ts.createProgram(entries, { allowImportingTsExtensions: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 });
    let checker = program.getTypeChecker();
    let missing: string[] = [];
    for (let entry of entries) {
      let module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
      for (let exported of checker.getExportsOfModule(module)) {
        let symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        for (let declaration of symbol.declarations ?? []) {
          if (!ts.isFunctionDeclaration(declaration) && !ts.isClassDeclaration(declaration)) continue;
          let tags = ts.getJSDocTags(declaration).map((tag) => tag.tagName.text);
          let documented = ts.getJSDocCommentsAndTags(declaration).length > 0;
          if (!documented || !tags.includes('example')) missing.push(`${entry.slice(root.length)}: ${exported.name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  let found: string[] = [];
  if (!existsSync(dir)) return found;
  for (let entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...sourceFiles(join(dir, entry.name)));
    else if (/\.(ts|mts|mjs|js)$/.test(entry.name)) found.push(join(dir, entry.name));
  }
  return found;
}
