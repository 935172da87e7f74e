import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const tsxPackage = require.resolve('tsx/package.json');

/** The URL of tsx's loader (`--import <url>` lets a process load TypeScript). */
export const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

/**
 * The URL of tsx's ESM API module, for registering tsx inside a worker thread. Read from tsx's
 * `exports` map: CommonJS resolution would give its CommonJS build, which cannot register ESM hooks.
 */
export const TSX_API = pathToFileURL(join(dirname(tsxPackage), esmExport('./esm/api'))).href;

function esmExport(subpath: string): string {
  let exports = JSON.parse(readFileSync(tsxPackage, 'utf8')).exports[subpath];
  return typeof exports === 'string' ? exports : exports.import.default ?? exports.import;
}

/**
 * The node flags for a child process: the requested ones (default: this process's) without
 * tsx's own, because the child's boot script registers tsx itself after loading the runtime's
 * dependencies (see boot.mjs), whether its parent runs under tsx, under vitest or under plain
 * node. Inspector flags are dropped too: a child must not try to open the parent's debugging
 * port.
 */
export function childExecArgv(requested: string[] = process.execArgv): string[] {
  let flags: string[] = [];
  for (let i = 0; i < requested.length; i++) {
    let flag = requested[i]!;
    if (/^--(inspect|debug)(-brk|-port|-wait)?(=|$)/.test(flag)) continue;
    if ((flag === '--import' || flag === '--require' || flag === '--loader' || flag === '-r') && isTsx(requested[i + 1])) {
      i++;
      continue;
    }
    if (/^--(import|require|loader)=/.test(flag) && isTsx(flag.slice(flag.indexOf('=') + 1))) continue;
    flags.push(flag);
  }
  return flags;
}

function isTsx(specifier: string | undefined): boolean {
  return specifier !== undefined && (specifier === 'tsx' || /[/\\]tsx[/\\]dist[/\\]/.test(specifier) || specifier.startsWith('tsx/'));
}
