/**
 * A 4-stage pipeline of actors: each stage is an actor that starts the next one and streams
 * what it receives, transformed, to it. The last stage sums what reaches it; the sum comes back
 * up as each stage's result. Backpressure is end to end: a slow last stage slows the source.
 * The stages read with `next()` rather than `each()`: on a hot path `each()` costs a few
 * microseconds per item (an effect to find its iteration context).
 *
 *   npx tsx --conditions=harrow-source examples/streaming-pipeline.ts [count]
 */
import { each, main } from 'effection';
import { currentActor, isMainModule, openNursery, remote, type Context } from '@harrow/runtime';

/** What stage `n` (of 4, counting down) does to each number. */
function transform(n: number, value: number): number {
  return n % 2 === 0 ? value * 2 : value + 1;
}

export const stage = remote(import.meta, function* stage(ctx: Context<never, number, string>, remaining: number): Generator<any, number, any> {
  let me = `${currentActor().name} (pid ${process.pid})`;
  if (remaining === 1) {
    yield* ctx.started(me);
    let input = yield* ctx.openStream();
    let sum = 0;
    for (let next = yield* input.next(); !next.done; next = yield* input.next()) sum += transform(remaining, next.value);
    return sum;
  }
  let nursery = yield* openNursery({ spare: false });
  let next = yield* nursery.startActor(`stage-${5 - remaining + 1}`, { enableModules: [import.meta.url] });
  // In its own body `stage` is the function expression, whose type lacks the remote() mark;
  // remote() of a function it already marked returns that function, typed as marked.
  let { ctx: downstream, first } = yield* next.openContext(remote(import.meta, stage), remaining - 1);
  // Started once the rest of the chain is up, so the caller times the streaming, not the spawning.
  yield* ctx.started(`${me} → ${first}`);
  let input = yield* ctx.openStream();
  let output = yield* downstream.openStream();
  for (let item = yield* input.next(); !item.done; item = yield* input.next()) {
    yield* output.send(transform(remaining, item.value));
  }
  yield* output.close();
  return yield* downstream.result();
});

if (isMainModule(import.meta)) {
  await main(function* () {
    let count = Number(process.argv[2] ?? 100_000);
    let nursery = yield* openNursery();
    let first = yield* nursery.startActor('stage-1', { enableModules: [import.meta.url] });
    let { ctx, first: chain } = yield* first.openContext(stage, 4);
    console.log(`root → ${chain}`);
    let source = yield* ctx.openStream();
    let started = performance.now();
    for (let i = 0; i < count; i++) yield* source.send(i);
    yield* source.close();
    let sum = yield* ctx.result();
    let seconds = (performance.now() - started) / 1000;
    let expected = 0;
    for (let i = 0; i < count; i++) expected += transform(1, transform(2, transform(3, transform(4, i))));
    console.log(`sum ${sum} (expected ${expected}); ${Math.round(count / seconds)} msgs/s through 4 actors`);
  });
}
