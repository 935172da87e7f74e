// What effection's `each.next()` costs an item, taken apart (docs/internals.md, "each(stream)").
// No harrow here: a subscription that returns from memory without suspending, read N times in
// each of the ways below, twice (the second round is the one to read). Run: node bench/probes/each-cost.mjs
import { createContext, each, main } from 'effection';

const N = 1_000_000;
const Ctx = createContext('each-cost');

function memorySubscription() {
  let i = 0;
  return { *next() { return i < N ? { done: false, value: i++ } : { done: true, value: undefined }; } };
}

class SharedMethodOperation {
  constructor(subscription) { this.subscription = subscription; }
  *[Symbol.iterator]() { return yield* this.subscription.next(); }
}

function* timed(label, body) {
  let start = performance.now();
  yield* body();
  console.log(`${label.padEnd(58)} ${(((performance.now() - start) * 1000) / N).toFixed(3)} µs an item`);
}

await main(function* () {
  yield* Ctx.set([{}]);
  for (let round = 1; round <= 2; round++) {
    console.log(`round ${round}`);
    yield* timed('a loop of subscription.next()', function* () {
      let sub = memorySubscription();
      while (!(yield* sub.next()).done);
    });
    yield* timed('each(stream) and each.next()', function* () {
      for (let _ of yield* each({ *[Symbol.iterator]() { return memorySubscription(); } })) yield* each.next();
    });
    yield* timed('the context lookup alone: yield* Ctx.expect()', function* () {
      for (let i = 0; i < N; i++) yield* Ctx.expect();
    });
    yield* timed('a new literal { *[Symbol.iterator]() } per call, entered', function* () {
      let sub = memorySubscription();
      for (let i = 0; i < N; i++) yield* { *[Symbol.iterator]() { return yield* sub.next(); } };
    });
    yield* timed('the same literal, created but not entered', function* () {
      let sub = memorySubscription();
      let kept;
      for (let i = 0; i < N; i++) kept = { *[Symbol.iterator]() { return yield* sub.next(); } };
    });
    yield* timed('a class instance with a shared generator method, entered', function* () {
      let sub = memorySubscription();
      for (let i = 0; i < N; i++) yield* new SharedMethodOperation(sub);
    });
  }
});
