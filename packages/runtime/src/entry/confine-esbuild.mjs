// Keeps tsx's compiler from outliving the worker thread that used it. Plain JavaScript: it runs
// before TypeScript support exists (see boot.cjs).
//
// tsx compiles a module it has not cached through esbuild's asynchronous API, which starts a
// long-lived `esbuild --service` child process that exits when it reads end of file on its
// stdin, i.e. once the process or thread that started it is gone. A child process is reaped by
// the event loop of the thread that started it. In a worker thread that is the worker's own
// loop, or that of its loader-hooks thread, and both are gone once the worker ends: the service
// would stay a zombie of the process for as long as it runs, one for every thread actor or
// runSync thread worker that compiled anything.
//
// So in a worker thread (and in its loader-hooks thread, through `initialize`) esbuild is
// loaded with its own worker threads off, and its asynchronous `transform` is served by
// `transformSync`, which runs one esbuild process per call and reaps it before returning. That
// costs a process start for each module compiled; tsx's disk cache makes it a first-run cost.
//
// Process actors are not confined: there the service, if one was started, is reaped by init and
// exits a moment after the actor (it reads end of file at once), while confining costs every
// process start ~40 ms here (a loader-hooks thread registered before tsx's own).

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
