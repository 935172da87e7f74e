// The entry of every spawned actor, process or thread. Plain JavaScript on purpose: it runs
// before any loader exists. A JavaScript program's actors need none, and the runtime's own
// modules are JavaScript in the built package: the entry is imported as it is. A TypeScript
// program's actors get tsx (spawn/typescript.ts), registered here after the runtime's
// dependencies are loaded, because modules loaded before it skip its hooks, which cost about a
// millisecond per module (effection alone is ~50 modules: ~30 ms here instead of ~85 ms).
// (Node 20 worker threads do not inherit loader hooks, so threads need this step anyway.)
import { isMainThread, workerData } from 'node:worker_threads';
import module from 'node:module';

// V8's code cache for the modules every actor loads, where this Node has it (22.1 and later).
module.enableCompileCache?.();

/** @type {{ typescript: { loader: string, api: string } | null, entry: string }} */
let { typescript, entry } = isMainThread
  ? { typescript: process.argv[2] === '-' ? null : { loader: process.argv[2], api: process.argv[3] }, entry: process.argv[4] }
  : workerData;
// What this actor's own children are started with (spawn/typescript.ts).
globalThis[Symbol.for('harrow.typescript')] = typescript ?? null;

// A process's fd 3 is its channel and its lifeline (see spawn/process.ts). Read it from the
// first moment: a parent that dies while this child is still loading (a spare, or a slow
// start-up on a busy machine) ends it here and now, instead of after the loading is done.
// The entry takes the socket over (spawn/lifeline.ts) with whatever arrived meanwhile.
if (isMainThread) {
  let { Socket } = await import('node:net');
  let socket = new Socket({ fd: 3, readable: true, writable: true });
  let early = [];
  let keep = (chunk) => early.push(chunk);
  let parentGone = () => process.exit(0);
  socket.on('data', keep);
  socket.on('end', parentGone);
  socket.on('error', parentGone);
  globalThis[Symbol.for('harrow.lifeline')] = () => {
    socket.off('data', keep);
    socket.off('end', parentGone);
    socket.off('error', parentGone);
    socket.pause();
    for (let chunk of early.reverse()) socket.unshift(chunk);
    return socket;
  };
}

// Every entry exports `start()`. A JavaScript entry (the built runtime's) is imported before
// tsx is registered, so that the runtime's modules skip its hooks; a TypeScript one (the
// runtime's sources, in its own workspace) after, with the JavaScript it depends on loaded first.
let loaded = entry.endsWith('.ts') ? undefined : await import(entry);
if (!loaded) {
  await import('effection');
  // The transport's JavaScript dependencies (msgpackr: ~8 modules with its optional native
  // addon), through a module of the transport's own so that they resolve to exactly the URLs
  // its imports get later. Only a head start: if this fails, those imports report it.
  try {
    await import(new URL('preload.mjs', import.meta.resolve('@harrow/transport')).href);
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
    // confine-esbuild.mjs): neither in itself nor in the loader-hooks thread that registering
    // tsx starts.
    let confine = new URL('confine-esbuild.mjs', import.meta.url).href;
    (await import(confine)).confineEsbuild(typescript.api);
    module.register(confine, { data: { tsx: typescript.api } });
    (await import(typescript.api)).register();
  }
}
loaded ??= await import(entry);
await loaded.start();
