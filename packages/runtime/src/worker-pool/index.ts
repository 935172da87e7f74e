/** The runSync worker pool (API.md §6): CPU-bound synchronous functions in cached workers. */
export { runSync } from './run-sync.ts';
export { openWorkerContext, type WorkerContext, type RunSyncOptions, type WorkerStatistics } from './context.ts';
export type { WorkerContextOptions } from './options.ts';
export type { WorkerType } from './worker.ts';
