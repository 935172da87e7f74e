/**
 * API.md §3's echo server: a context dialog with a bidirectional stream.
 *
 *   npx tsx --conditions=harrow-source examples/streaming-echo.ts
 */
import { each, main } from 'effection';
import { isMainModule, openNursery, remote, type Context } from '@harrow/runtime';

export const echo = remote(import.meta, function* echo(ctx: Context<string, string>, greeting: string) {
  yield* ctx.started(greeting.toUpperCase());
  let stream = yield* ctx.openStream();
  for (let message of yield* each(stream)) {
    yield* stream.send(message);
    yield* each.next();
  }
  return 'bye';
});

if (isMainModule(import.meta)) {
  await main(function* () {
    let nursery = yield* openNursery();
    let portal = yield* nursery.startActor('echo-server', { enableModules: [import.meta.url] });
    let { ctx, first } = yield* portal.openContext(echo, 'hi');
    console.log(`first: ${first}`);
    let stream = yield* ctx.openStream();
    for (let word of ['ping', 'pong', 'done']) {
      yield* stream.send(word);
      console.log(`echo: ${(yield* stream.next()).value}`);
    }
    yield* stream.close();
    console.log(`result: ${yield* ctx.result()}`);
  });
}
