// The entry of every spawned actor, process or thread. Plain JavaScript on purpose: modules
// loaded before TypeScript support is registered skip tsx's hooks, which cost about a
// millisecond per module (effection alone is ~50 modules: ~30 ms here instead of ~85 ms).
// The transport's msgpackr goes first too (preload.mjs).
// Then tsx is registered, as `--import tsx` would, and the actor's TypeScript entry runs.
// (Node 20 worker threads do not inherit loader hooks, so threads need this step anyway.)
import { isMainThread, workerData } from 'node:worker_threads';

let { tsx, entry } = isMainThread
  ? { tsx: process.argv[2], entry: process.argv[3] }
  : workerData;

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

await import('effection');
// The transport's JavaScript dependencies (msgpackr: ~8 modules with its optional native
// addon), through a module of the transport's own so that they resolve to exactly the URLs its
// TypeScript imports them by later. Only a head start: if this fails, those imports report it.
try {
  await import(new URL('preload.mjs', import.meta.resolve('@harrow/transport')).href);
} catch {
  // loaded (or reported) later, through tsx
}
// A worker thread must not leave tsx's compiler behind as a zombie (see
// spawn/confine-esbuild.mjs): neither in itself nor in the loader-hooks thread that registering
// tsx starts.
if (!isMainThread) {
  let confine = new URL('confine-esbuild.mjs', import.meta.url).href;
  (await import(confine)).confineEsbuild(tsx);
  (await import('node:module')).register(confine, { data: { tsx } });
}
// A process imports tsx's loader, which registers itself as `--import tsx` would; a thread gets
// tsx's API module, whose register() is what works inside a worker.
let typescript = await import(tsx);
typescript.register?.();
await import(entry);
