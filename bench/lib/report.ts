import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A figure as a suite records it. A baseline is named, and looked up among this run's figures. */
export interface Figure {
  metric: string;
  unit: 'us' | 'ms' | 'KiB' | 'msgs/s';
  value: number;
  /** The metric this one is divided by; it must be recorded earlier in the same run. */
  baseline?: string;
  /** A bound on `value / baselineValue`: `<=1.3` or `>=0.7`. */
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

/** Whether `ratio` meets a target written `<=x` or `>=x`; undefined when there is no target. */
export function meets(ratio: number, target: string): boolean {
  let match = /^(<=|>=)\s*([\d.]+)$/.exec(target);
  if (!match) throw new Error(`bad target ${target}: expected <=x or >=x`);
  let bound = Number(match[2]);
  return match[1] === '<=' ? ratio <= bound : ratio >= bound;
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
        line.target && line.ratio !== undefined ? (meets(line.ratio, line.target) ? 'yes' : 'NO') : '',
        figure.note ?? '',
      ]);
    }
    let widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    let numeric = new Set([1, 4]);
    let format = (row: string[]) =>
      row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
    let out = [format(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(format)];
    let targets = lines.filter((line) => line.target && line.ratio !== undefined);
    let met = targets.filter((line) => meets(line.ratio!, line.target!));
    out.push('', `targets met: ${met.length} of ${targets.length}` +
      (met.length < targets.length ? ` (missed: ${targets.filter((l) => !met.includes(l)).map((l) => `${l.metric} ${l.ratio} vs ${l.target}`).join(', ')})` : ''));
    return out.join('\n');
  }
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(value);
}
