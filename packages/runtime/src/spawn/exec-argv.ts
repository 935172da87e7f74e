/**
 * The node flags for a child process: the requested ones (default: this process's) without
 * tsx's own, because the child's boot script registers tsx itself after loading the runtime's
 * modules (see boot.cjs and typescript.ts). Inspector flags are dropped too: a child must not
 * try to open the parent's debugging port.
 */
export function childExecArgv(requested: string[] = process.execArgv): string[] {
  let flags: string[] = [];
  for (let i = 0; i < requested.length; i++) {
    let flag = requested[i]!;
    if (/^--(inspect|debug)(-brk|-port|-wait)?(=|$)/.test(flag)) continue;
    let loader = loaderAt(requested, i);
    if (loader && isTsx(loader.specifier)) {
      i += loader.width - 1;
      continue;
    }
    flags.push(flag);
  }
  return flags;
}

/**
 * The node flags for a worker thread: only the loaders among the requested ones (default: this
 * process's), tsx's excepted (boot.cjs registers it). A worker refuses process-wide flags, and
 * does not inherit its parent's loader hooks on Node 20: a loader the program runs under is
 * given to it again.
 */
export function threadExecArgv(requested: string[] = process.execArgv): string[] {
  let flags: string[] = [];
  for (let i = 0; i < requested.length; i++) {
    let loader = loaderAt(requested, i);
    if (!loader) continue;
    if (!isTsx(loader.specifier)) flags.push(...requested.slice(i, i + loader.width));
    i += loader.width - 1;
  }
  return flags;
}

/** The specifier of the first tsx loader flag (`--import tsx`, the `tsx` command's `--import …/tsx/dist/loader.mjs`), if any. */
export function findTsxFlag(flags: string[]): string | undefined {
  for (let i = 0; i < flags.length; i++) {
    let loader = loaderAt(flags, i);
    if (loader && isTsx(loader.specifier)) return loader.specifier;
  }
  return undefined;
}

const LOADER_FLAGS = new Set(['--import', '--require', '--loader', '--experimental-loader', '-r']);

/** The module that the flag at `i` loads, and how many entries the flag takes (`--import x`: 2, `--import=x`: 1). */
function loaderAt(flags: string[], i: number): { specifier: string; width: number } | undefined {
  let flag = flags[i]!;
  if (LOADER_FLAGS.has(flag) && i + 1 < flags.length) return { specifier: flags[i + 1]!, width: 2 };
  let joined = /^(?:--import|--require|--loader|--experimental-loader)=(.*)$/.exec(flag);
  return joined ? { specifier: joined[1]!, width: 1 } : undefined;
}

function isTsx(specifier: string): boolean {
  return specifier === 'tsx' || /[/\\]tsx[/\\]dist[/\\]/.test(specifier) || specifier.startsWith('tsx/');
}
