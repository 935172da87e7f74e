/**
 * tractor's `multi_daemon_subactors`, in TypeScript: two daemons in crash mode. One streams to
 * the root and re-enters a breakpoint after every item; the other raises a ReferenceError,
 * which opens a post-mortem REPL first. The root's terminal serves them one at a time, in the
 * order they paused; when the ReferenceError goes on up (`c` in its post-mortem), the nursery
 * fails, the paused streamer leaves the debugger with a line saying why, and the program ends
 * with the ReferenceError.
 *
 *   node --conditions=harrow-source --import tsx examples/multi-daemon-subactors.ts
 */
import { each, main, spawn } from 'effection';
import { isMainModule, openNursery, remote, type Context } from '@harrow/runtime';
import { breakpoint } from '@harrow/debugger';

export const breakpointForever = remote(import.meta, function* breakpointForever(ctx: Context<string, never>) {
  yield* ctx.started('streaming');
  let stream = yield* ctx.openStream();
  while (true) {
    yield* stream.send('yo');
    yield* breakpoint();
  }
});

export const nameError = remote(import.meta, function* nameError() {
  // @ts-expect-error: the mistake this example is about
  return doggypants;
});

if (isMainModule(import.meta)) {
  await main(function* () {
    let nursery = yield* openNursery({ debugMode: true });
    let streamer = yield* nursery.startActor('bp_forever', { enableModules: [import.meta.url] });
    let failing = yield* nursery.startActor('name_error', { enableModules: [import.meta.url] });
    let { ctx } = yield* streamer.openContext(breakpointForever);
    let stream = yield* ctx.openStream();
    yield* spawn(function* () {
      for (let item of yield* each(stream)) {
        console.log(`root got: ${item}`);
        yield* each.next();
      }
    });
    yield* failing.run(nameError);
  });
}
