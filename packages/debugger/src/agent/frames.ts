import type { Location, Scripts } from './scripts.ts';

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

  /** The helper frame `breakpoint()` paused in, while the thread is still inside it. */
  helper(name: 'pauseHere' | 'pauseOnCrash'): CallFrame | undefined {
    return this.frames.find((frame) => this.scripts.isHelper(frame.location.scriptId) && frame.functionName === name);
  }

  /** `file.ts:12` of the selected frame. */
  where(): string {
    return this.frame ? this.scripts.label(this.frame.location) : '(no frame of yours)';
  }

  /** The current line of the selected frame, as `list` shows it. */
  currentLine(): string {
    let frame = this.frame;
    if (!frame) return '';
    let place = this.scripts.place(frame.location);
    let text = this.scripts.sourceLines(place.file)?.[place.line - 1];
    return `-> ${place.line}\t${text ?? ''}`.trimEnd();
  }

  /** Source lines around the selected frame's line (`list`). */
  list(around = 5): string {
    let frame = this.frame;
    if (!frame) return 'no source for this frame';
    let place = this.scripts.place(frame.location);
    let lines = this.scripts.sourceLines(place.file);
    if (!lines) return `cannot read ${place.file}`;
    let first = Math.max(1, place.line - around);
    let last = Math.min(lines.length, place.line + around);
    let out: string[] = [];
    for (let line = first; line <= last; line++) out.push(`${line === place.line ? '->' : '  '} ${String(line).padStart(4)}\t${lines[line - 1]}`);
    return out.join('\n');
  }

  /** `bt`: the user's frames, innermost first, the selected one marked. */
  backtrace(): string {
    return this.visible
      .map((frame, index) => {
        let name = frame.functionName || '<anonymous>';
        if (this.scripts.isHelper(frame.location.scriptId)) name = '<post-mortem: error in scope>';
        return `${index === this.selected ? '>' : ' '} #${index} ${name} ${this.scripts.label(frame.location)}`;
      })
      .join('\n');
  }

  /** Identity of a frame's function, the same across its stops. */
  static key(frame: CallFrame): string {
    let at = frame.functionLocation ?? frame.location;
    return `${at.scriptId}:${at.lineNumber}:${at.columnNumber ?? 0}`;
  }
}
