// Keeps tsx from leaving zombie processes behind when a worker thread ends. Plain JavaScript:
// it runs before TypeScript support exists (see boot.mjs).
//
// tsx compiles a module it has not cached through esbuild's asynchronous API, which starts a
// long-lived `esbuild --service` child process. A child process is reaped by the event loop of
// the thread that started it; in a worker thread that is the worker's own loop, or that of its
// loader-hooks thread, and both are gone once the worker ends. The service then exits, its stdin
// closed, and stays a zombie of this process for as long as the program runs: one for every
// thread actor or runSync thread worker that compiled anything.
//
// So in a worker thread (and in its hooks thread, through `initialize`) esbuild is loaded with
// its own worker threads off, and its asynchronous `transform` is served by `transformSync`,
// which runs one esbuild process per call and reaps it before returning. This costs a process
// start for each module compiled in a thread; tsx's disk cache makes that a first-run cost.

import { Module, createRequire } from 'node:module';

/** Load esbuild, as the tsx at `tsxUrl` resolves it, in the synchronous form described above. */
export function confineEsbuild(tsxUrl) {
  let require = createRequire(tsxUrl);
  let path = require.resolve('esbuild');
  if (require.cache[path]) return; // already loaded here (and possibly in use): leave it be
  process.env.ESBUILD_WORKER_THREADS = '0';
  let esbuild = require(path);
  // esbuild's exports are getters without setters, and an ESM import of a module already
  // required keeps the exports it first saw: so a module of its own, cached under esbuild's
  // path, is what tsx's `import ... from 'esbuild'` gets.
  let confined = new Module(path);
  confined.filename = path;
  confined.loaded = true;
  confined.exports = { ...esbuild, transform: async (input, options) => esbuild.transformSync(input, options) };
  require.cache[path] = confined;
}

/** The loader-hooks entry: `module.register(thisFile, { data: { tsx } })` runs this in the hooks thread. */
export function initialize(data) {
  confineEsbuild(data.tsx);
}
