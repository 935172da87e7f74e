import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where a remote function lives: its module URL and its name. */
export interface RemoteMark {
  module: string;
  name: string;
}

const MARK = Symbol.for('harrow.remote');

/**
 * The brand of `Remote`. Type-only: no value of it exists at runtime, so nothing but a
 * `remote()` call (or a deliberate cast) makes a function's type carry it.
 */
declare const remoteBrand: unique symbol;

/**
 * What the type of a function returned by `remote()` carries besides its own signature: a
 * brand that `portal.run`, `portal.openStreamFrom`, `portal.openContext`, `nursery.runInActor`
 * and `runSync` ask for, so that passing them a function that was not marked is a type error
 * rather than the target's `ModuleNotExposedError` (or `runSync`'s `TypeError`) at runtime.
 * The brand is a type only: `remote()` returns the function itself.
 *
 * @example
 * ```ts
 * export const add = remote(import.meta, function* add(a: number, b: number) {
 *   return a + b;
 * });
 * // typeof add: ((a: number, b: number) => Generator<…, number, …>) & Remote
 *
 * function* twice(portal: Portal, fn: ((n: number) => Operation<number>) & Remote) {
 *   return (yield* portal.run(fn, 1)) + (yield* portal.run(fn, 2));
 * }
 * ```
 */
export interface Remote {
  readonly [remoteBrand]: true;
}

/**
 * A function that may be called in another actor: one `remote()` marked. The constraint of
 * the functions `portal.run`, `portal.openStreamFrom`, `nursery.runInActor` and `runSync` take.
 *
 * @example
 * ```ts
 * function* runTwice<F extends RemoteFn>(portal: Portal, fn: F, ...args: Parameters<F>) {
 *   return [yield* portal.run(fn, ...args), yield* portal.run(fn, ...args)];
 * }
 * ```
 */
export type RemoteFn = ((...args: any[]) => unknown) & Remote;

/** module URL → function name → function, for the modules this process (or thread) imported. */
const registry = new Map<string, Map<string, Function>>();

/**
 * Mark `fn` as callable from other actors and register it under its module URL and name.
 * Returns `fn` itself; its type gains the `Remote` brand, which the functions that call into
 * another actor ask for. `fn` may be a generator function (an effection operation), an async
 * function, an async generator function (a stream source) or a plain synchronous function.
 *
 * An actor runs a marked function only if it has enabled the function's module (its
 * `enableModules`, plus the module of a `runInActor` function).
 *
 * @example
 * ```ts
 * export const add = remote(import.meta, function* add(a: number, b: number) {
 *   return a + b;
 * });
 * ```
 * @throws TypeError for an anonymous function, or a second function of the same name in one module.
 */
export function remote<F extends (...args: any[]) => any>(meta: ImportMeta, fn: F): F & Remote {
  if (typeof fn !== 'function') throw new TypeError(`remote(): expected a function, got ${typeof fn}`);
  let module = meta?.url;
  if (typeof module !== 'string') throw new TypeError('remote(): pass import.meta as the first argument');
  let name = fn.name;
  if (!name) {
    throw new TypeError(`remote(): the function given in ${module} has no name; write remote(import.meta, function* myName() { ... })`);
  }
  let marked = markOf(fn);
  if (marked) {
    if (marked.module === module && marked.name === name) return fn as F & Remote;
    throw new TypeError(`remote(): "${name}" is already a remote function of ${marked.module}; mark it once, where it is defined`);
  }
  let functions = registry.get(module);
  if (!functions) registry.set(module, (functions = new Map()));
  let existing = functions.get(name);
  if (existing && existing !== fn) {
    throw new TypeError(`remote(): ${module} already has a remote function named "${name}"; names must be unique per module`);
  }
  functions.set(name, fn);
  Object.defineProperty(fn, MARK, { value: { module, name } satisfies RemoteMark });
  return fn as F & Remote;
}

/** The mark `remote()` put on `fn`, if any. */
export function markOf(fn: unknown): RemoteMark | undefined {
  return typeof fn === 'function' ? (fn as { [MARK]?: RemoteMark })[MARK] : undefined;
}

/** The function registered as `name` in `module` in this process, if that module was imported. */
export function lookupRemote(module: string, name: string): Function | undefined {
  return registry.get(module)?.get(name);
}

/**
 * The module name of the runtime's own remote functions (the registry's, an actor's status):
 * a name, not a file URL, so that programs running different copies of the runtime (a second
 * program joining a tree's registry) name them alike. Every actor enables it.
 */
export const RUNTIME_MODULE = 'harrow:runtime';

let childProcess = false;

/** Called first thing in every actor that is not the root (process or thread), before user code. */
export function markNotRoot(): void {
  childProcess = true;
}

/** True in actors other than the root: spawned processes and threads. */
export function isChildActor(): boolean {
  return childProcess;
}

/**
 * True only in the program's entry module and only in the root process. Actors import the
 * modules that define remote functions, so a program's top level goes under this guard:
 *
 * @example
 * ```ts
 * if (isMainModule(import.meta)) await main(function* () { ... });
 * ```
 */
export function isMainModule(meta: ImportMeta): boolean {
  if (childProcess) return false;
  let entry = process.argv[1];
  if (!entry || !meta?.url?.startsWith('file:')) return false;
  return samePath(fileURLToPath(meta.url), entry);
}

function samePath(a: string, b: string): boolean {
  let real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  let left = real(a);
  let right = real(b);
  if (left === right) return true;
  // `node main` (no extension) names the same module as `main.ts`.
  return left.replace(/\.[cm]?[jt]sx?$/, '') === right.replace(/\.[cm]?[jt]sx?$/, '');
}

/** A module's URL from what `enableModules` accepts: a URL, a file URL string or an absolute path. */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string') throw new TypeError(`enableModules: expected a string or URL, got ${typeof module}`);
  if (module.startsWith('file:')) return new URL(module).href;
  if (module.startsWith('/')) return pathToFileURL(module).href;
  return module;
}
