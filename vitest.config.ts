import { defineConfig } from 'vitest/config';

// Tests start real processes on a 2-core machine: two test files at a time, generous timeouts
// for the slow paths (a cold Node + tsx start-up is ~250 ms here), and no retries: a flaky test
// is a bug to find.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    retry: 0,
  },
});
