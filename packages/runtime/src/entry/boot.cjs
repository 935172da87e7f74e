// The entry of every spawned actor, process or thread. Plain JavaScript on purpose: it runs
// before any loader exists. A JavaScript program's actors need none, and the runtime's own
// modules are JavaScript in the built package. A TypeScript program's actors get tsx
// (spawn/typescript.ts), registered here after the runtime's modules are loaded, because
// modules loaded before it skip its hooks, which cost about a millisecond per module.
// (Node 20 worker threads do not inherit loader hooks, so threads need this step anyway.)
//
// CommonJS on purpose too: the built entry and the ~110 ES modules it imports (the runtime,
// the transport, effection, msgpackr) are loaded with require(), which loads ES modules
// synchronously (node 20.19, 22.12 and later) and puts them in the same module map that the actor's
// `import()`s use later. Node's asynchronous ES module loader takes ~20 ms longer for the same
// graph here, and an ES module as the main script costs more to start.
'use strict';
const { isMainThread, workerData } = require('node:worker_threads');
const module_ = require('node:module');
const { fileURLToPath, pathToFileURL } = require('node:url');
const { dirname, join } = require('node:path');

// V8's code cache for the modules every actor loads, where this node has it (22.8 and later).
module_.enableCompileCache?.();

/** @type {{ typescript: { loader: string, api: string } | null, entry: string }} */
const { typescript, entry } = isMainThread
  ? { typescript: process.argv[2] === '-' ? null : { loader: process.argv[2], api: process.argv[3] }, entry: process.argv[4] }
  : workerData;
// What this actor's own children are started with (spawn/typescript.ts).
globalThis[Symbol.for('harrow.typescript')] = typescript ?? null;

// A process's fd 3 is its channel and its lifeline (see spawn/process.ts). Read it from the
// first moment: a parent that dies while this child is still loading (a spare, or a slow
// start-up on a busy machine) ends it here and now, instead of after the loading is done.
// The entry takes the socket over (spawn/lifeline.ts) with whatever arrived meanwhile.
if (isMainThread) {
  const { Socket } = require('node:net');
  const socket = new Socket({ fd: 3, readable: true, writable: true });
  const early = [];
  const keep = (chunk) => early.push(chunk);
  const parentGone = () => process.exit(0);
  socket.on('data', keep);
  socket.on('end', parentGone);
  socket.on('error', parentGone);
  globalThis[Symbol.for('harrow.lifeline')] = () => {
    socket.off('data', keep);
    socket.off('end', parentGone);
    socket.off('error', parentGone);
    socket.pause();
    for (const chunk of early.reverse()) socket.unshift(chunk);
    return socket;
  };
}

/**
 * Every entry exports `start()`. A JavaScript entry (the built runtime's) is loaded before tsx
 * is registered, so that the runtime's modules skip its hooks; a TypeScript one (the runtime's
 * sources, in its own workspace) after, with the JavaScript it depends on loaded first.
 */
async function boot() {
  let loaded = entry.endsWith('.ts') ? undefined : requireModule(entry);
  if (!loaded) {
    await import('effection');
    // The transport's JavaScript dependencies (msgpackr), through a module of the transport's
    // own so that they resolve to exactly the URLs its imports get later. Only a head start: if
    // this fails, those imports report it.
    try {
      await import(join(dirname(require.resolve('@harrow/transport')), 'preload.mjs'));
    } catch {
      // loaded (or reported) later, through tsx
    }
  }
  if (typescript) {
    if (isMainThread) {
      // tsx's loader registers itself on import, as `--import tsx` would.
      await import(typescript.loader);
    } else {
      // A worker thread must not leave tsx's compiler behind as a zombie (see
      // confine-esbuild.mjs): neither in itself nor in the loader-hooks thread that
      // registering tsx starts.
      const confine = pathToFileURL(join(__dirname, 'confine-esbuild.mjs')).href;
      (await import(confine)).confineEsbuild(typescript.api);
      module_.register(confine, { data: { tsx: typescript.api } });
      (await import(typescript.api)).register();
    }
  }
  loaded ??= await import(entry);
  await loaded.start();
}

/**
 * The built entry through require(), which loads ES modules on node 20.19, 22.12 and later;
 * undefined where it cannot (an older node, or a loader's module with top-level await), and
 * the entry is then imported as usual.
 */
function requireModule(url) {
  try {
    return require(fileURLToPath(url));
  } catch (error) {
    if (error?.code === 'ERR_REQUIRE_ESM' || error?.code === 'ERR_REQUIRE_ASYNC_MODULE') return undefined;
    throw error;
  }
}

// A failure here is uncaught, as it would be in an ES module's top level: printed, exit code 1
// (a thread's 'error' event).
boot().catch((error) => process.nextTick(() => {
  throw error;
}));
