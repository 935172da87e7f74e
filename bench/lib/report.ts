import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A figure as a suite records it. A baseline is named, and looked up among this run's figures. */
export interface Figure {
  metric: string;
  unit: 'us' | 'ms' | 'KiB' | 'msgs/s';
  value: number;
  /** The metric this one is divided by; it must be recorded earlier in the same run. */
  baseline?: string;
  /**
   * A bound on `value / baselineValue`: `<=1.3` or `>=0.7`; or, written with the figure's unit,
   * a bound on the value itself: `<=500ms` (the ratio is then shown for information only).
   */
  target?: string;
  /** Shown in the table only (sample count, spread), never in the JSON lines. */
  note?: string;
}

/** One line of bench/results/latest.jsonl. */
export interface Line {
  metric: string;
  unit: string;
  value: number;
  baseline?: string;
  baselineValue?: number;
  ratio?: number;
  target?: string;
}

/** Rounds a figure for the report: whole numbers from 1000 up, else 4 significant digits. */
export function roundFigure(value: number): number {
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(4));
}

/**
 * Whether a line meets its target: `<=x` / `>=x` bound its ratio, `<=x<unit>` / `>=x<unit>` (the
 * line's own unit, e.g. `<=500ms`) its value. Undefined when there is no target, or no ratio to
 * check a ratio target against.
 */
export function meets(line: Line): boolean | undefined {
  if (!line.target) return undefined;
  let match = /^(<=|>=)\s*([\d.]+)\s*(\S*)$/.exec(line.target);
  if (!match) throw new Error(`bad target ${line.target}: expected <=x or >=x, optionally followed by the unit`);
  let bound = Number(match[2]);
  let unit = match[3]!;
  if (unit && unit !== line.unit) throw new Error(`bad target ${line.target} for ${line.metric}: its unit is ${line.unit}`);
  let checked = unit ? line.value : line.ratio;
  if (checked === undefined) return undefined;
  return match[1] === '<=' ? checked <= bound : checked >= bound;
}

/** What a target bounded, for the summary: the ratio, or the value with its unit. */
function checkedText(line: Line): string {
  return /\d\s*[^\d.\s]+$/.test(line.target!) ? `${line.value} ${line.unit}` : String(line.ratio);
}

/**
 * The figures of one run. Ratios are computed from the rounded values that are printed and
 * written, so that `ratio` is always `value / baselineValue` of the same line.
 */
export class Report {
  readonly figures: Figure[] = [];

  record(figure: Figure): void {
    if (this.figures.some((f) => f.metric === figure.metric)) throw new Error(`metric ${figure.metric} recorded twice`);
    this.figures.push(figure);
  }

  value(metric: string): number | undefined {
    let figure = this.figures.find((f) => f.metric === metric);
    return figure && roundFigure(figure.value);
  }

  lines(): Line[] {
    return this.figures.map((figure) => {
      let line: Line = { metric: figure.metric, unit: figure.unit, value: roundFigure(figure.value) };
      if (figure.baseline) {
        line.baseline = figure.baseline;
        let baselineValue = this.value(figure.baseline);
        if (baselineValue !== undefined) {
          line.baselineValue = baselineValue;
          line.ratio = Number((line.value / baselineValue).toFixed(2));
        }
      }
      if (figure.target) line.target = figure.target;
      return line;
    });
  }

  writeJsonLines(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, this.lines().map((line) => JSON.stringify(line)).join('\n') + '\n');
  }

  /** The table printed on stdout, targets and whether each is met included. */
  table(): string {
    let lines = this.lines();
    let rows: string[][] = [['metric', 'value', 'unit', 'baseline', 'ratio', 'target', 'met', 'note']];
    for (let [i, line] of lines.entries()) {
      let figure = this.figures[i]!;
      rows.push([
        line.metric,
        formatNumber(line.value),
        line.unit,
        line.baseline ? `${line.baseline}${line.baselineValue === undefined ? ' (not run)' : ` = ${formatNumber(line.baselineValue)}`}` : '',
        line.ratio === undefined ? '' : line.ratio.toFixed(2),
        line.target ?? '',
        metText(meets(line)),
        figure.note ?? '',
      ]);
    }
    let widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    let numeric = new Set([1, 4]);
    let format = (row: string[]) =>
      row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
    let out = [format(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(format)];
    let targets = lines.filter((line) => meets(line) !== undefined);
    let met = targets.filter((line) => meets(line));
    out.push('', `targets met: ${met.length} of ${targets.length}` +
      (met.length < targets.length ? ` (missed: ${targets.filter((l) => !met.includes(l)).map((l) => `${l.metric} ${checkedText(l)} vs ${l.target}`).join(', ')})` : ''));
    return out.join('\n');
  }
}

function metText(met: boolean | undefined): string {
  return met === undefined ? '' : met ? 'yes' : 'NO';
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(value);
}
