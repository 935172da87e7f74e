// The entry of every spawned actor, process or thread. Plain JavaScript on purpose: modules
// loaded before TypeScript support is registered skip tsx's hooks, which cost about a
// millisecond per module (effection alone is ~50 modules: ~30 ms here instead of ~85 ms).
// Then tsx is registered, as `--import tsx` would, and the actor's TypeScript entry runs.
// (Node 20 worker threads do not inherit loader hooks, so threads need this step anyway.)
import { isMainThread, workerData } from 'node:worker_threads';

let { tsx, entry } = isMainThread
  ? { tsx: process.argv[2], entry: process.argv[3] }
  : workerData;

await import('effection');
// A process imports tsx's loader, which registers itself as `--import tsx` would; a thread gets
// tsx's API module, whose register() is what works inside a worker.
let typescript = await import(tsx);
typescript.register?.();
await import(entry);
