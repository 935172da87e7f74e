import { shortPath, type Location, type Place, type Scripts } from './scripts.ts';

/** A call frame as the inspector reports it (the parts the debugger uses). */
export interface CallFrame {
  callFrameId: string;
  functionName: string;
  functionLocation?: Location;
  location: Location;
  scopeChain: { type: string; object: { objectId?: string } }[];
}

/** Why the thread stopped, as the REPL names it. */
export type StopKind = 'breakpoint' | 'crash' | 'debugger statement';

/**
 * One stop of the debugged thread: its frames, the ones that are the user's (not harrow's,
 * effection's or node's, and not the debugger's pause helper), and the one selected.
 */
export class Stop {
  readonly visible: CallFrame[];
  selected = 0;
  /**
   * For a post-mortem: the error's report (type, message, the user's part of its stack) and where
   * it was raised. Its frames are gone; `where`, `list` and `bt` show that place and stack instead
   * of the debugger's helper, where the thread is stopped.
   */
  private crash: { report: string; origin: Place | undefined } | undefined;

  constructor(readonly frames: CallFrame[], readonly kind: StopKind, private scripts: Scripts) {
    this.visible = frames.filter((frame, index) => {
      let scriptId = frame.location.scriptId;
      // Crash mode stops in the helper whose parameter is the error: that frame is shown.
      if (scripts.isHelper(scriptId)) return kind === 'crash' && index === 0;
      return !scripts.isHidden(scriptId);
    });
  }

  /** The kind of stop a pause is, from its top frame and the breakpoints it hit. */
  static kindOf(frames: CallFrame[], scripts: Scripts, hitBreakpoints: string[] = []): StopKind {
    let top = frames[0];
    if (top && scripts.isHelper(top.location.scriptId) && top.functionName === 'pauseOnCrash') return 'crash';
    if ((top && scripts.isHelper(top.location.scriptId)) || hitBreakpoints.length > 0) return 'breakpoint';
    return 'debugger statement';
  }

  get frame(): CallFrame | undefined {
    return this.visible[this.selected];
  }

  /** A post-mortem's report: the error's type, message and the user's part of its stack. */
  get crashReport(): string {
    return this.crash?.report ?? '';
  }

  /** Record a post-mortem's report (see `crash`). */
  setCrash(report: string): void {
    this.crash = { report, origin: originOf(report) };
  }

  /** The place `where` and `list` show: the selected frame's, or the crash's origin. */
  private place(): Place | undefined {
    if (this.crash) return this.crash.origin;
    return this.frame && this.scripts.place(this.frame.location);
  }

  /** The helper frame `breakpoint()` paused in, while the thread is still inside it. */
  helper(name: 'pauseHere' | 'pauseOnCrash'): CallFrame | undefined {
    return this.frames.find((frame) => this.scripts.isHelper(frame.location.scriptId) && frame.functionName === name);
  }

  /** `file.ts:12` of the selected frame (of the error's origin, in a post-mortem). */
  where(): string {
    if (this.crash) return this.crash.origin ? `${shortPath(this.crash.origin.file)}:${this.crash.origin.line}` : this.crash.report.split('\n')[0]!;
    return this.frame ? this.scripts.label(this.frame.location) : '(no frame of yours)';
  }

  /** The current line of the selected frame, as `list` shows it. */
  currentLine(): string {
    let place = this.place();
    if (!place) return '';
    let text = this.scripts.sourceLines(place.file)?.[place.line - 1];
    return `-> ${place.line}\t${text ?? ''}`.trimEnd();
  }

  /** Source lines around the selected frame's line (`list`). */
  list(around = 5): string {
    let place = this.place();
    if (!place) return 'no source for this frame';
    let lines = this.scripts.sourceLines(place.file);
    if (!lines) return `cannot read ${place.file}`;
    let first = Math.max(1, place.line - around);
    let last = Math.min(lines.length, place.line + around);
    let out: string[] = [];
    for (let line = first; line <= last; line++) out.push(`${line === place.line ? '->' : '  '} ${String(line).padStart(4)}\t${lines[line - 1]}`);
    return out.join('\n');
  }

  /** `bt`: the user's frames, innermost first, the selected one marked (a post-mortem: the error's stack). */
  backtrace(): string {
    if (this.crash) {
      let frames = this.crash.report.split('\n').filter((line) => /^\s+(at |\()/.test(line));
      return [`the error's stack (its frames are gone; \`error\` is in scope):`, ...frames].join('\n');
    }
    return this.visible
      .map((frame, index) => `${index === this.selected ? '>' : ' '} #${index} ${frame.functionName || '<anonymous>'} ${this.scripts.label(frame.location)}`)
      .join('\n');
  }

  /** Identity of a frame's function, the same across its stops. */
  static key(frame: CallFrame): string {
    let at = frame.functionLocation ?? frame.location;
    return `${at.scriptId}:${at.lineNumber}:${at.columnNumber ?? 0}`;
  }
}

/** Where an error was raised: the first frame of its (user) stack that names a file. */
function originOf(report: string): Place | undefined {
  for (let line of report.split('\n')) {
    let match = /^\s+at (?:.*\()?(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?$/.exec(line);
    if (match) return { file: decodeURIComponent(match[1]!), line: Number(match[2]) };
  }
  return undefined;
}
