import type { Operation } from 'effection';
import type { Figure } from './report.ts';

/** What a suite is given: where to record figures, a scratch folder, and a progress log (stderr). */
export interface BenchContext {
  /** Record a figure; baselines are referenced by metric name and may come from earlier suites. */
  record(figure: Figure): void;
  /** A figure recorded earlier in this run, rounded as reported (for suites that need a value). */
  value(metric: string): number | undefined;
  /** Progress and detail, on stderr so that stdout holds only the table. */
  log(text: string): void;
  /** A temporary folder for socket paths and the like, removed at the end of the run. */
  readonly tmpdir: string;
}

export interface Suite {
  /** What `pnpm bench <name>` selects. */
  name: string;
  description: string;
  run(bench: BenchContext): Operation<void>;
}
