import { listen, ProtocolError, TransportError, type Listener } from '@harrow/transport';
import { spawn, type Operation } from 'effection';
import type { Actor } from '../actor/actor.ts';
import { serveContext } from './context.ts';
import { Peer } from './peer.ts';
import { claimDialBack } from '../spawn/dial-back.ts';
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
 * A connection's calls are cancelled when it breaks. Over such a connection (a portal found in
 * the registry) the other side may also ask this actor to stop.
 */
export function* serveListener(listener: Listener, actor: Actor): Operation<void> {
  let connections = yield* listener;
  while (true) {
    let next = yield* connections.next();
    if (next.done) return;
    let channel = next.value;
    let peer = new Peer(channel, {
      actor,
      parity: 0,
      serve: serveCall,
      control(message) {
        if (message.type === 'dial-back') {
          // A child of this actor started on another host: the connection is its channel now.
          if (!claimDialBack(message.token, channel, message.pid)) throw new ProtocolError(`dial-back from ${channel.peer} for no spawn of actor '${actor.name}'`);
          peer.detach();
          return;
        }
        if (message.type !== 'cancel-actor') throw new ProtocolError(`unexpected ${message.type} message from ${channel.peer}`);
        actor.log.debug({ canceller: message.canceller }, 'cancel requested through a found portal');
        actor.cancelRequested(message.canceller);
      },
    });
    yield* spawn(() => peer.runUntilBroken(() => new TransportError(`connection from ${channel.peer} closed`)));
  }
}

/** How long a peer has to prove it holds the cookie: `HARROW_HANDSHAKE_TIMEOUT` ms, else the transport's default (5000). */
export function handshakeTimeout(): number | undefined {
  let ms = Number(process.env.HARROW_HANDSHAKE_TIMEOUT);
  return ms > 0 ? ms : undefined;
}

/**
 * Listen on `address` and serve calls there for as long as the current scope lasts; returns the
 * bound address. A TCP or WebSocket peer must first prove it holds the tree's cookie
 * (`HARROW_COOKIE`); one that does not is refused, and logged.
 */
export function* serveAddress(address: string, actor: Actor): Operation<string> {
  let listener = yield* listen(address, {
    cookie: process.env.HARROW_COOKIE,
    handshakeTimeout: handshakeTimeout(),
    onRejected(rejection) {
      actor.log.warn({ peer: rejection.peer, reason: rejection.reason }, 'refused a connection that failed the handshake');
    },
  });
  yield* spawn(() => serveListener(listener, actor));
  return listener.address;
}
