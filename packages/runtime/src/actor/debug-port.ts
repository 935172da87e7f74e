/// <reference types="node" preserve="true" />
/*
 * Where the runtime meets the debugger. `@harrow/debugger` sits above the runtime (it imports
 * the runtime, never the other way), so the runtime knows it only through this port: the debug
 * settings every actor inherits from its spawner, the hooks the debugger installs when it is
 * loaded, and what the debugger needs to know of this actor (its door: see pause-door.ts).
 *
 * Exported as `@harrow/runtime/debug-port` for `@harrow/debugger` only: programs have no use
 * for it, and its setters would only confuse the debugger.
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { ActorCancelledError, ActorGroupError, ContextCancelledError, ModuleNotExposedError, RemoteActorError } from '../base/errors.ts';
import { BOOT } from '../spawn/entries.ts';
export { moduleBeside } from '../spawn/entries.ts';
import { typescriptSupport, type TypeScriptSupport } from '../spawn/typescript.ts';
import { currentActor, maybeCurrentActor } from './actor.ts';
import { pauseDoor } from './pause-door.ts';

/** The user's part of a stack (harrow's and effection's frames left out), for a post-mortem's header. */
export { userStack } from '../base/boxing.ts';

/** What an actor knows about debugging in its tree; passed down in every spawn spec. */
export interface DebugSettings {
  /** Crash mode: an error about to leave this actor opens a post-mortem REPL first. */
  mode: boolean;
  /** The root's terminal hub (a Unix socket path), if the tree has a terminal to debug in. */
  hub?: string;
  /** The module URL of `@harrow/debugger`, as the root resolved it. */
  entry?: string;
}

/** What `@harrow/debugger` provides once it is loaded in a process or thread. */
export interface DebuggerHooks {
  /**
   * Open a post-mortem REPL for `error` in this actor and return when it is left. Synchronous:
   * this actor is paused while the REPL is open.
   */
  postMortem(error: unknown): void;
  /**
   * In the root: start the terminal hub, if this process has a terminal, with its socket in
   * `dir` (the tree's directory). Resolves with its address, or undefined when there is no
   * terminal.
   */
  startHub(dir: string): Promise<string | undefined>;
  /** In the root: stop the hub (the root actor stops). */
  stopHub(): Promise<void>;
  /** Make this actor ready to pause at once (crash mode cannot wait for anything). */
  prepare(): Promise<void>;
}

let settings: DebugSettings = { mode: false };
let hooks: DebuggerHooks | undefined;
let loading: Promise<DebuggerHooks | undefined> | undefined;

/** This actor's debug settings. */
export function debugSettings(): Readonly<DebugSettings> {
  return settings;
}

/** Set from the spawn spec (a spawned actor) or when the root starts its hub. */
export function setDebugSettings(next: DebugSettings): void {
  settings = next;
}

/** Called by `@harrow/debugger` when it is loaded. */
export function installDebugger(installed: DebuggerHooks): void {
  hooks = installed;
}

/** The installed debugger, if `@harrow/debugger` is loaded in this process or thread. */
export function installedDebugger(): DebuggerHooks | undefined {
  return hooks;
}

/** Load `@harrow/debugger` from `entry` (a module URL), once; it installs its hooks as it loads. */
export function loadDebugger(entry: string): Promise<DebuggerHooks | undefined> {
  loading ??= import(entry).then(() => hooks);
  return loading;
}

/**
 * Crash mode's boundary: `error` is about to leave this actor (a call's error answer, a
 * `runInActor` main that failed). A cancellation is not a crash, an error relayed from another
 * actor had its post-mortem where it was raised, and an actor being torn down is not held up.
 */
export function errorLeaving(error: unknown): void {
  if (!settings.mode || !hooks || maybeCurrentActor()?.shuttingDown) return;
  if (error instanceof ActorCancelledError || error instanceof ContextCancelledError) return;
  if (error instanceof RemoteActorError || error instanceof ActorGroupError) return;
  // The caller's mistake (a function this actor does not expose), not this actor's crash.
  if (error instanceof ModuleNotExposedError) return;
  hooks.postMortem(error);
}

/** The actor the debugger pauses here: who it is, which thread, and its door (none for the root). */
export interface Debuggee {
  name: string;
  uid: string;
  pid: number;
  /** The root actor (or a root process before its first nursery): it has no spawner. */
  root: boolean;
  /** Its actor is being cancelled: a breakpoint now would only hold up its teardown. */
  stopping: boolean;
  /** The worker thread's id for a thread actor; undefined on a process's main thread. */
  threadId?: number;
  door?: string;
}

/** This process's or thread's actor, as the debugger names it. */
export function debuggee(): Debuggee {
  let actor = maybeCurrentActor();
  let { name, uid, pid } = currentActor();
  let target: Debuggee = { name, uid, pid, root: !actor?.parent, stopping: actor?.shuttingDown ?? false, ...(isMainThread ? {} : { threadId }) };
  if (actor?.parent) target.door = pauseDoor(actor.treeDir, actor.uid);
  return target;
}

/**
 * The folders of the runtime's and the transport's code (`src/` in this workspace, `dist/` in
 * an installed package), whose frames the debugger hides. Resolved here, where the transport is
 * a dependency: the debugger itself may not be able to resolve it.
 *
 * @example
 * let hidden = harrowCodeDirs().map((dir) => `^${escape(dir)}`);
 */
export function harrowCodeDirs(): string[] {
  return [new URL('..', import.meta.url).href, new URL('.', import.meta.resolve('@harrow/transport')).href];
}

/**
 * How to start a worker thread that runs one of the debugger's modules, which exports `start()`
 * (see entry/boot.cjs): `new Worker(boot, { workerData: { ...workerData, ...yours }, execArgv:
 * [] })`. It gets TypeScript support only if it is TypeScript itself (the packages' sources).
 *
 * @example
 * let { boot, workerData } = threadBoot(new URL('./hub-thread.js', import.meta.url).href);
 * new Worker(boot, { workerData: { ...workerData, socket }, execArgv: [] });
 */
export function threadBoot(entry: string): { boot: URL; workerData: { entry: string; typescript: TypeScriptSupport | null } } {
  let typescript = entry.endsWith('.ts') ? typescriptSupport() ?? null : null;
  return { boot: BOOT, workerData: { entry, typescript } };
}
