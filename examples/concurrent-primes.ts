/**
 * A worker pool made of actors (tractor's parallelism/concurrent_actors_primes, itself the
 * `concurrent.futures.ProcessPoolExecutor` example): start N long-lived workers, hand the
 * numbers out round-robin, and print each result as it arrives. No threads, semaphores or
 * futures: a nursery, portals and a queue.
 *
 *   npx tsx --conditions=harrow-source examples/concurrent-primes.ts [workers=min(4, cores)]
 */
import { availableParallelism } from 'node:os';
import { all, createQueue, each, main, resource, spawn, type Operation, type Stream } from 'effection';
import { isMainModule, openNursery, remote, type Portal, type Remote } from '@harrow/runtime';

export const PRIMES = [
  112272535095293,
  112582705942171,
  112272535095293,
  115280095190773,
  115797848077099,
  1099726899285419,
];

/** Trial division: plain synchronous code, which an actor runs like any other remote function. */
export const isPrime = remote(import.meta, function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  let limit = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= limit; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
});

/** Maps a remote function over values on the pool's workers, yielding `[value, result]` as each finishes. */
export interface WorkerPool {
  map<T, R>(fn: ((value: T) => R) & Remote, values: T[]): Stream<[T, Awaited<R>], void>;
}

/** `size` worker actors that serve this module, for as long as the calling scope lasts. */
export function useWorkerPool(size: number): Operation<WorkerPool> {
  return resource(function* (provide) {
    let nursery = yield* openNursery();
    let workers: Portal[] = yield* all(
      Array.from({ length: size }, (_, i) => nursery.startActor(`worker ${i}`, { enableModules: [import.meta.url] })),
    );
    yield* provide({
      map<T, R>(fn: ((value: T) => R) & Remote, values: T[]): Stream<[T, Awaited<R>], void> {
        return resource(function* (provide) {
          let results = createQueue<[T, Awaited<R>], void>();
          for (let [i, value] of values.entries()) {
            let worker = workers[i % workers.length]!;
            yield* spawn(function* () {
              results.add([value, (yield* worker.run(fn, value)) as Awaited<R>]);
            });
          }
          let remaining = values.length;
          yield* provide({
            *next() {
              if (remaining === 0) return { done: true, value: undefined };
              remaining--;
              return yield* results.next();
            },
          });
        });
      },
    });
    // Leaving the scope cancels the workers: they are daemons.
  });
}

if (isMainModule(import.meta)) await main(function* (args) {
  let workers = Number(args[0] ?? Math.min(4, availableParallelism()));
  let pool = yield* useWorkerPool(workers);
  let start = performance.now();
  for (let [number, prime] of yield* each(pool.map(isPrime, PRIMES))) {
    console.log(`${number} is prime: ${prime}`);
    yield* each.next();
  }
  console.log(`processing took ${Math.round(performance.now() - start)} ms on ${workers} workers`);
});
