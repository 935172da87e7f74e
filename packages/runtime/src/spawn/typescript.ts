import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findTsxFlag } from './exec-argv.ts';

/**
 * How a child gets TypeScript support: through tsx, registered by the child's boot script
 * (entry/boot.cjs) after the runtime's own modules are loaded, so that they skip tsx's hooks.
 * A JavaScript program's actors get none and start with plain `node`.
 */
export interface TypeScriptSupport {
  /** tsx's loader (what `--import tsx` imports): registers itself in a process. */
  loader: string;
  /** tsx's ESM API module, whose `register()` is what works inside a worker thread. */
  api: string;
}

/** Set by boot.cjs in every process and thread it starts: the `TypeScriptSupport` it registered, or null. */
const BOOTED_WITH = Symbol.for('harrow.typescript');

/** Whether the runtime runs from its TypeScript sources (in its own workspace) rather than dist/. */
const RUNTIME_FROM_SOURCE = import.meta.url.endsWith('.ts');

let decided: { support: TypeScriptSupport | undefined } | undefined;

/**
 * What this tree's actors need to load TypeScript: what this actor was booted with; in the
 * root, the tsx it runs under (`node --import tsx`, the `tsx` command); or, when the runtime
 * itself runs from its sources, the tsx installed beside them. Undefined: plain JavaScript.
 */
export function typescriptSupport(): TypeScriptSupport | undefined {
  if (decided) return decided.support;
  let booted = (globalThis as Record<symbol, unknown>)[BOOTED_WITH] as TypeScriptSupport | null | undefined;
  if (booted !== undefined) {
    decided = { support: booted ?? undefined };
  } else {
    let tsxPackage = tsxFromFlag(process.execArgv) ?? (RUNTIME_FROM_SOURCE ? resolveTsx(import.meta.url, 'the runtime runs from its TypeScript sources') : undefined);
    decided = { support: tsxPackage === undefined ? undefined : supportFrom(tsxPackage) };
  }
  return decided.support;
}

/** Whether a module is TypeScript by its name (`.ts`, `.mts`, `.cts`, `.tsx`). */
const TYPESCRIPT_MODULE = /\.[cm]?tsx?$/;

/**
 * What one child needs to load TypeScript: the tree's (`typescriptSupport()`); else the tsx
 * that its own `execArgv` asks for (`execArgv: ['--import', 'tsx']`); else, when a module it
 * will import is TypeScript (a JavaScript root whose actors run `.ts` modules, as under a test
 * runner), the tsx of the program's project. Undefined: the child loads plain JavaScript.
 */
export function typescriptFor(modules: string[], requested?: string[]): TypeScriptSupport | undefined {
  let tree = typescriptSupport();
  if (tree) return tree;
  let asked = requested ? tsxFromFlag(requested) : undefined;
  if (asked) return supportFrom(asked);
  let typescript = modules.find((module) => TYPESCRIPT_MODULE.test(module.split('?')[0]!));
  if (!typescript) return undefined;
  projectTsx ??= supportFrom(resolveTsx(pathToFileURL(join(process.cwd(), 'noop.js')).href, `it imports ${typescript}, a TypeScript module, and the program does not run under tsx`));
  return projectTsx;
}

let projectTsx: TypeScriptSupport | undefined;

/** The tsx package.json that a tsx flag of this process (`--import tsx`, the `tsx` command's own) names. */
function tsxFromFlag(execArgv: string[]): string | undefined {
  let specifier = findTsxFlag(execArgv);
  if (specifier === undefined) return undefined;
  let path = specifier.startsWith('file:') ? fileURLToPath(specifier) : specifier;
  let inPackage = /^(.*[/\\]tsx)[/\\]dist[/\\]/.exec(path);
  if (inPackage) return join(inPackage[1]!, 'package.json');
  // A bare `tsx` (or `tsx/...`): node resolves --import specifiers from the working directory.
  return resolveTsx(pathToFileURL(join(process.cwd(), 'noop.js')).href, `--import ${specifier}`);
}

function resolveTsx(from: string, why: string): string {
  try {
    return createRequire(from).resolve('tsx/package.json');
  } catch (error) {
    throw new Error(`an actor needs tsx to load TypeScript (${why}), but tsx cannot be found from ${fileURLToPath(from)}: install it (npm install -D tsx) or run the program under tsx (${(error as Error).message.split('\n')[0]})`);
  }
}

function supportFrom(tsxPackage: string): TypeScriptSupport {
  let exports = JSON.parse(readFileSync(tsxPackage, 'utf8')).exports;
  let file = (subpath: string) => pathToFileURL(join(dirname(tsxPackage), esmFile(exports[subpath]))).href;
  return { loader: file('.'), api: file('./esm/api') };
}

/** The ESM file of an `exports` entry: CommonJS would give a build that cannot register ESM hooks. */
function esmFile(entry: string | { import: string | { default: string } }): string {
  if (typeof entry === 'string') return entry;
  return typeof entry.import === 'string' ? entry.import : entry.import.default;
}
