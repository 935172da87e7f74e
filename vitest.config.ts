import { defineConfig } from 'vitest/config';

// Inside the workspace the packages run from their sources: the `harrow-source` condition of
// their exports (package.json). Vite resolves the test files' imports with it, and every node
// process a test starts, however deep, inherits it through NODE_OPTIONS.
const SOURCE = '--conditions=harrow-source';
if (!process.env.NODE_OPTIONS?.includes(SOURCE)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${SOURCE}`.trim();

// Tests start real processes on a 2-core machine: two test files at a time, generous timeouts
// for the slow paths (a cold Node + tsx start-up is ~250 ms here), and no retries: a flaky test
// is a bug to find.
export default defineConfig({
  // Vite's own server conditions (its `defaultServerConditions`), the sources' first.
  ssr: { resolve: { conditions: ['harrow-source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    retry: 0,
  },
});
