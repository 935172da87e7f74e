/**
 * The harrow peer: the same service as peers/raw.ts, through `@harrow/transport`: `listen` on the
 * `uds://` address given as argv[2], and per channel a plain `sub.next()` / `channel.send()` loop
 * (no `each()`: it costs several µs per item).
 */
import { main, spawn, type Operation } from 'effection';
import { listen, type Channel } from '@harrow/transport';
import { exitWhenStdinCloses, sayReady } from '../lib/peer-side.ts';
import { message, type Command } from '../lib/payload.ts';

function* serve(channel: Channel): Operation<void> {
  let inbox = yield* channel.messages;
  let first = yield* inbox.next();
  if (first.done) return;
  let command = first.value as Command;
  if (command.op === 'echo') {
    for (;;) {
      let next = yield* inbox.next();
      if (next.done) break;
      yield* channel.send(next.value);
    }
  } else {
    for (let i = 0; i < command.count; i++) yield* channel.send(message(i));
  }
  yield* channel.close();
}

await main(function* () {
  let listener = yield* listen(process.argv[2]!);
  let connections = yield* listener;
  exitWhenStdinCloses();
  sayReady();
  for (;;) {
    let next = yield* connections.next();
    if (next.done) break;
    let channel = next.value;
    yield* spawn(function* () {
      try {
        yield* serve(channel);
      } catch (error) {
        process.stderr.write(`transport peer: ${(error as Error).message}\n`);
        channel.destroy();
      }
    });
  }
});
