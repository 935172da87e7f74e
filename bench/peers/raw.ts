/**
 * The raw peer: a `node:net` server on the Unix socket path given as argv[2], with plain
 * msgpackr and 4-byte length prefixes (bench/lib/raw-wire.ts) and no effection. The first frame
 * of each connection is a `Command` (bench/lib/payload.ts).
 */
import net from 'node:net';
import { once } from 'node:events';
import { exitWhenStdinCloses, sayReady } from '../lib/peer-side.ts';
import { message, type Command } from '../lib/payload.ts';
import { FrameBatch, FrameReader, frame } from '../lib/raw-wire.ts';

let path = process.argv[2]!;

let server = net.createServer((socket) => {
  let command: Command | undefined;
  let reader = new FrameReader((value) => {
    if (command === undefined) {
      command = value as Command;
      if (command.op === 'stream') {
        stream(socket, command.count, command.batched ?? false).catch((error: Error) => {
          process.stderr.write(`raw peer: stream failed: ${error.message}\n`);
          socket.destroy();
        });
      }
    } else if (command.op === 'echo') {
      socket.write(frame(value));
    }
  });
  socket.on('data', (chunk) => reader.push(chunk));
  socket.on('error', () => {});
});

/** Send `count` messages, then end the connection, honouring `write()`'s backpressure. */
async function stream(socket: net.Socket, count: number, batched: boolean): Promise<void> {
  if (batched) {
    let batch = new FrameBatch();
    for (let i = 0; i < count; i++) {
      let full = batch.add(message(i));
      if (full && !socket.write(full)) await once(socket, 'drain');
    }
    if (batch.bytes > 0) socket.write(batch.take());
  } else {
    for (let i = 0; i < count; i++) {
      if (!socket.write(frame(message(i)))) await once(socket, 'drain');
    }
  }
  socket.end();
}

server.listen(path, () => {
  exitWhenStdinCloses();
  sayReady();
});
