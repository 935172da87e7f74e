import { createRequire, isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The module URL an actor enables for an `enableModules` entry: file URLs as they are, built-in
 * modules as `node:` URLs, bare package specifiers resolved from the current working directory
 * (the program's project), then from the runtime's own location.
 */
export function resolveModule(specifier: string): string {
  if (specifier.startsWith('file:')) return specifier;
  // A built-in holds no remote functions, but enabling one is not an error.
  if (isBuiltin(specifier)) return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
  if (specifier.startsWith('.')) {
    throw new TypeError(`enableModules: "${specifier}" is relative; write new URL('${specifier}', import.meta.url)`);
  }
  try {
    return pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve(specifier)).href;
  } catch {
    // not resolvable the CommonJS way (an ESM-only package): try ESM resolution
  }
  try {
    return import.meta.resolve(specifier);
  } catch {
    throw new TypeError(`enableModules: cannot resolve "${specifier}" from ${process.cwd()}`);
  }
}

/**
 * The error of an enabled module that failed to import, for the caller to see: its message says
 * which module, its name and stack stay those of the original error (a SyntaxError stays one).
 */
export function importError(module: string, error: unknown): Error {
  let cause = error instanceof Error ? error : new Error(String(error));
  let wrapped = new Error(`importing ${module} failed: ${cause.message}`, { cause });
  wrapped.name = cause.name;
  wrapped.stack = cause.stack;
  return wrapped;
}

/** A module started a program at its top level while an actor or a worker imported it (see `importEnabled`). */
export class TopLevelProgramError extends Error {
  override name = 'TopLevelProgramError';
}

/**
 * Import a module that an actor or a worker enables, failing at once if it starts a program at
 * its top level: the likeliest day-one mistake is an `await main(...)` that is not under
 * `isMainModule(import.meta)`. Imported there, that program would run a second copy of the
 * root's body, and the import would never finish (a silent wait for `bootTimeout`, or a call
 * that never returns). effection's `main` installs a SIGINT handler first thing, so a SIGINT or
 * SIGTERM handler added while the module loads is what gives it away. `importer` names who
 * imports it (`actor 'hello'`).
 */
export function importEnabled(module: string, importer: string): Promise<unknown> {
  let unwatch = () => {};
  let started = new Promise<never>((_resolve, reject) => {
    let watch = (event: string | symbol) => {
      if (event !== 'SIGINT' && event !== 'SIGTERM') return;
      reject(new TopLevelProgramError(
        `module ${module} started a program at its top level while ${importer} imported it ` +
          `(it added a ${event} handler, as effection's main() does); put it under isMainModule(import.meta): ` +
          'if (isMainModule(import.meta)) await main(function* () { ... })',
      ));
    };
    process.on('newListener', watch);
    unwatch = () => process.off('newListener', watch);
  });
  return Promise.race([import(module), started]).finally(unwatch);
}
