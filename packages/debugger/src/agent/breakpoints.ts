import type { Location, Scripts } from './scripts.ts';
import type { Target } from './target.ts';

interface Breakpoint {
  file: string;
  line: number;
  condition?: string;
  /** The inspector's ids, one per loaded script that maps to the line; none while pending. */
  ids: string[];
}

/**
 * Breakpoints by source location (`b file.ts:line [condition]`) in one thread: set in every
 * loaded script that maps to that line, and in scripts loaded later (a module the actor has not
 * imported yet).
 */
export class Breakpoints {
  private all: Breakpoint[] = [];

  constructor(private target: Target, private scripts: Scripts) {
    scripts.onParsed((scriptId) => void this.placePending(scriptId));
  }

  list(): string {
    if (this.all.length === 0) return 'no breakpoints (b file.ts:line [condition] sets one)';
    return this.all
      .map((bp, index) => `${index + 1}: ${describe(bp)}${bp.ids.length === 0 ? ' (pending: no loaded code on that line yet)' : ''}`)
      .join('\n');
  }

  async set(file: string, line: number, condition?: string): Promise<string> {
    let breakpoint: Breakpoint = { file, line, ...(condition ? { condition } : {}), ids: [] };
    this.all.push(breakpoint);
    for (let location of this.scripts.locationsOf(file, line)) await this.place(breakpoint, location);
    let number = this.all.length;
    if (breakpoint.ids.length > 0) return `breakpoint ${number} at ${describe(breakpoint)}`;
    return `breakpoint ${number} at ${describe(breakpoint)} is pending: no loaded code is on that line yet`;
  }

  /** Clear breakpoint `index` (1-based), or all of them. */
  async clear(index?: number): Promise<string> {
    let cleared = index === undefined ? this.all.splice(0) : this.all.splice(index - 1, 1);
    if (cleared.length === 0) return index === undefined ? 'no breakpoints' : `no breakpoint ${index}`;
    for (let id of cleared.flatMap((bp) => bp.ids)) await this.target.post('Debugger.removeBreakpoint', { breakpointId: id }).catch(() => {});
    return index === undefined ? 'cleared every breakpoint' : `cleared breakpoint ${index}`;
  }

  private async place(breakpoint: Breakpoint, location: Location): Promise<void> {
    let set = await this.target.post<{ breakpointId: string }>('Debugger.setBreakpoint', {
      location,
      ...(breakpoint.condition ? { condition: breakpoint.condition } : {}),
    }).catch(() => undefined);
    if (set) breakpoint.ids.push(set.breakpointId);
  }

  private async placePending(scriptId: string): Promise<void> {
    for (let breakpoint of this.all) {
      if (breakpoint.ids.length > 0) continue;
      for (let location of this.scripts.locationsOf(breakpoint.file, breakpoint.line, scriptId)) await this.place(breakpoint, location);
    }
  }
}

function describe(breakpoint: Breakpoint): string {
  return `${breakpoint.file}:${breakpoint.line}${breakpoint.condition ? ` if ${breakpoint.condition}` : ''}`;
}
