import { connect, TransportError, type ConnectOptions } from '@harrow/transport';
import { resource, spawn, type Operation } from 'effection';
import type { Actor } from '../actor/actor.ts';
import { Peer } from './peer.ts';
import { handshakeTimeout, serveCall } from './serve.ts';

/**
 * A connection from `actor` to another actor's address, as a `Peer` that calls can be made
 * over, for as long as the current scope lasts (a portal found in the registry, an actor's link
 * to its registry). Calls from the other side are served as on any connection. When the
 * connection ends, calls in flight fail with `brokenWith(error)`, a `TransportError` by default.
 */
export function openConnection(
  address: string,
  actor: Actor,
  options: ConnectOptions & { brokenWith?: (error: Error) => Error } = {},
): Operation<Peer> {
  return resource(function* (provide) {
    let channel = yield* connect(address, { cookie: process.env.HARROW_COOKIE, handshakeTimeout: handshakeTimeout(), ...options });
    let peer = new Peer(channel, { actor, parity: 1, serve: serveCall });
    yield* spawn(() => peer.runUntilBroken(() => new TransportError(`the connection to ${address} was closed by the other side`), options.brokenWith));
    yield* provide(peer);
  });
}
