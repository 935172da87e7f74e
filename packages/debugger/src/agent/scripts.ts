import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from './target.ts';

/** A position in the code the user wrote: the `.ts` file where a source map says so. */
export interface Place {
  /** Absolute path (or the script's URL when it is not a file). */
  file: string;
  /** 1-based. */
  line: number;
}

/** An inspector location (0-based). */
export interface Location {
  scriptId: string;
  lineNumber: number;
  columnNumber?: number;
}

interface Script {
  url: string;
  sourceMapURL: string;
  endLine: number;
  endColumn: number;
  map?: SourceMap | null;
}

/**
 * The scripts the debugged thread has loaded, and the mapping from their positions to the
 * user's source. tsx compiles with inline source maps (a `data:` URL) and minified whitespace,
 * often without `sourcesContent`: positions are mapped with `node:module`'s `SourceMap`, and
 * the source text is read from the `.ts` file on disk.
 */
export class Scripts {
  private scripts = new Map<string, Script>();
  private files = new Map<string, string[] | null>();
  private hidden: RegExp[];
  private parsedListeners: ((scriptId: string) => void)[] = [];

  constructor(target: Target, hidden: string[], private helper: string) {
    this.hidden = hidden.map((pattern) => new RegExp(pattern));
    target.on('Debugger.scriptParsed', (params) => {
      // Runtime internals are never mapped: keep their inline source maps out of memory.
      let hidden = this.hidden.some((pattern) => pattern.test(params.url));
      this.scripts.set(params.scriptId, { url: params.url, sourceMapURL: hidden ? '' : params.sourceMapURL, endLine: params.endLine, endColumn: params.endColumn });
      for (let listener of this.parsedListeners) listener(params.scriptId);
    });
  }

  onParsed(listener: (scriptId: string) => void): void {
    this.parsedListeners.push(listener);
  }

  url(scriptId: string): string {
    return this.scripts.get(scriptId)?.url ?? '';
  }

  /** Runtime internals (harrow, effection, node): not the user's code. */
  isHidden(scriptId: string): boolean {
    let url = this.url(scriptId);
    return this.hidden.some((pattern) => pattern.test(url));
  }

  /** The debugger's own pause helper (where `breakpoint()` and crash mode stop). */
  isHelper(scriptId: string): boolean {
    return this.url(scriptId) === this.helper;
  }

  /** Where `location` is in the user's source. */
  place(location: Location): Place {
    let script = this.scripts.get(location.scriptId);
    let column = location.columnNumber ?? 0;
    let map = script && this.mapOf(script);
    if (map) {
      let entry = map.findEntry(location.lineNumber, column) as { originalSource?: string; originalLine?: number };
      if (entry.originalSource !== undefined && entry.originalLine !== undefined) {
        return { file: toPath(entry.originalSource), line: entry.originalLine + 1 };
      }
    }
    return { file: toPath(script?.url ?? '?'), line: location.lineNumber + 1 };
  }

  /** `place` as the user reads it: `file.ts:12`, the path relative to the working directory. */
  label(location: Location): string {
    let place = this.place(location);
    return `${shortPath(place.file)}:${place.line}`;
  }

  /** The lines of the user's source file, from disk; null when it cannot be read. */
  sourceLines(file: string): string[] | null {
    if (!this.files.has(file)) {
      try {
        this.files.set(file, readFileSync(file, 'utf8').split('\n'));
      } catch {
        this.files.set(file, null);
      }
    }
    return this.files.get(file)!;
  }

  /**
   * The generated locations of source line `line` (1-based) of the file whose path ends with
   * `file`: one per loaded script that maps to it (or only in script `only`), at the first
   * position that maps to that line.
   */
  locationsOf(file: string, line: number, only?: string): Location[] {
    let found: Location[] = [];
    for (let [scriptId, script] of this.scripts) {
      if (only !== undefined && scriptId !== only) continue;
      let map = this.mapOf(script);
      let matches = (source: string) => sameFile(toPath(source), file);
      if (map) {
        let sources = (map.payload as { sources?: string[] }).sources ?? [];
        if (!sources.some(matches)) continue;
        let location = this.scan(map, line - 1, matches);
        if (location) found.push({ scriptId, ...location });
      } else if (sameFile(toPath(script.url), file) && line - 1 <= script.endLine) {
        found.push({ scriptId, lineNumber: line - 1, columnNumber: 0 });
      }
    }
    return found;
  }

  private scan(map: SourceMap, line: number, matches: (source: string) => boolean): { lineNumber: number; columnNumber: number } | undefined {
    // A source map has no reverse lookup: walk its segments, in generated order.
    let payload = map.payload as { sources: string[]; mappings: string };
    for (let [lineNumber, columnNumber, source, originalLine] of segments(payload.mappings)) {
      if (originalLine === line && matches(payload.sources[source] ?? '')) return { lineNumber, columnNumber };
    }
    return undefined;
  }

  private mapOf(script: Script): SourceMap | null {
    if (script.map !== undefined) return script.map;
    script.map = null;
    let url = script.sourceMapURL;
    if (url?.startsWith('data:')) {
      try {
        let comma = url.indexOf(',');
        let encoded = url.slice(comma + 1);
        let json = url.slice(0, comma).endsWith(';base64') ? Buffer.from(encoded, 'base64').toString('utf8') : decodeURIComponent(encoded);
        script.map = new SourceMap(JSON.parse(json));
      } catch {
        script.map = null;
      }
    }
    return script.map;
  }
}

function toPath(source: string): string {
  if (source.startsWith('file:')) {
    try {
      return fileURLToPath(source);
    } catch {
      return source;
    }
  }
  return source;
}

/** `a` is the file `b` names: the same path, or `b` is a trailing part of it (`work.ts`, `src/work.ts`). */
function sameFile(a: string, b: string): boolean {
  if (isAbsolute(b)) return a === b;
  let tail = b.replace(/^\.\//, '');
  return a === tail || a.endsWith(`/${tail}`);
}

/** A path relative to the working directory when it is inside it. */
export function shortPath(file: string): string {
  if (!isAbsolute(file)) return file;
  let short = relative(process.cwd(), file);
  return short.startsWith('..') ? file : short;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The segments of a source map's `mappings` (base64 VLQ, source map v3) that point into a
 * source: `[generatedLine, generatedColumn, sourceIndex, originalLine]`, 0-based.
 */
function* segments(mappings: string): Generator<[number, number, number, number]> {
  let line = 0;
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  for (let group of mappings.split(';')) {
    let column = 0;
    for (let segment of group.split(',')) {
      if (!segment) continue;
      let fields = vlq(segment);
      column += fields[0]!;
      if (fields.length >= 4) {
        source += fields[1]!;
        originalLine += fields[2]!;
        originalColumn += fields[3]!;
        yield [line, column, source, originalLine];
      }
    }
    line++;
  }
}

function vlq(segment: string): number[] {
  let values: number[] = [];
  let value = 0;
  let shift = 0;
  for (let char of segment) {
    let digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
