import { TransportError, type Listener } from '@harrow/transport';
import { spawn, type Operation } from 'effection';
import type { Actor } from '../actor/actor.ts';
import { serveContext } from './context.ts';
import { Peer } from './peer.ts';
import type { Message } from './protocol.ts';
import { fail, serveRun } from './run.ts';
import { serveStream } from './stream-source.ts';

type CallMessage = Extract<Message, { type: 'call' }>;

/**
 * Serve a call from the other side: check that this actor allows it, then hand it to the
 * callee's side of its kind of dialog. The check comes first, so a refused call imports and
 * runs nothing.
 */
export function serveCall(peer: Peer, message: CallMessage): void {
  let fn: Function;
  try {
    fn = peer.actor.resolveRemote(message.module, message.fn);
  } catch (error) {
    fail(peer, message.cid, error);
    return;
  }
  switch (message.kind) {
    case 'run':
      return serveRun(peer, message.cid, fn, message.args);
    case 'stream':
      return serveStream(peer, message.cid, fn, message.args);
    case 'context':
      return serveContext(peer, message.cid, fn, message.args);
  }
}

/**
 * Serve calls on every connection a listener accepts, each connection for as long as it lasts.
 * A connection's calls are cancelled when it breaks.
 */
export function* serveListener(listener: Listener, actor: Actor): Operation<void> {
  let connections = yield* listener;
  while (true) {
    let next = yield* connections.next();
    if (next.done) return;
    let channel = next.value;
    let peer = new Peer(channel, { actor, parity: 0, serve: serveCall });
    yield* spawn(function* servePeer() {
      let error = yield* peer.run();
      peer.break(error ?? new TransportError(`connection from ${channel.peer} closed`));
    });
  }
}
