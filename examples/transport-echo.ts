/**
 * The transport on its own: an echo server on a Unix socket and a client that sends a few
 * values of every kind the codec carries and prints what comes back.
 *
 *   npx tsx --conditions=harrow-source examples/transport-echo.ts
 */
import { each, ensure, main, spawn } from 'effection';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, listen, type Channel } from '@harrow/transport';

function* echo(channel: Channel) {
  for (let message of yield* each(channel.messages)) {
    yield* channel.send(message);
    yield* each.next();
  }
}

await main(function* () {
  let dir = mkdtempSync(join(tmpdir(), 'harrow-echo-'));
  yield* ensure(() => rmSync(dir, { recursive: true, force: true }));
  let path = join(dir, 'echo.sock');
  let listener = yield* listen(`uds://${path}`);
  yield* spawn(function* () {
    for (let channel of yield* each(listener)) {
      yield* spawn(() => echo(channel));
      yield* each.next();
    }
  });

  let channel = yield* connect(listener.address);
  let replies = yield* channel.messages;
  let values = [42, 'hello', { nested: [1, 2, 3] }, new Map([['k', 1]]), new Set([1, 2]), new Date(0), new Uint8Array([1, 2, 3]), 2n ** 100n];
  for (let value of values) {
    yield* channel.send(value);
    let reply = yield* replies.next();
    console.log('echo:', reply.value);
  }
  console.log(`listened on ${listener.address}`);
});
