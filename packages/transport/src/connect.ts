import { ensure, resource, until, type Operation } from 'effection';
import type { MessagePort } from 'node:worker_threads';
import { toAddress, type Address } from './address.ts';
import { authenticate, handshakeSettings, type AuthOptions } from './authenticate.ts';
import { createChannel, type Channel, type ChannelOptions } from './channel.ts';
import { wsMaxPayload } from './listen.ts';
import { connectTcp, connectUds } from './net-carrier.ts';
import { portWire } from './port-wire.ts';
import type { Wire } from './wire.ts';

/** What `connect` takes: the channel's tuning and the cookie. */
export interface ConnectOptions extends ChannelOptions, AuthOptions {}

/**
 * Connect to an address for as long as the current scope lasts; the channel is closed when the
 * scope ends. A refused or unreachable address is a `TransportError` naming it.
 *
 * With a `cookie`, a TCP or WebSocket connection returns only once both ends have proved they
 * hold the same one (see `listen`); a peer that refuses our proof, proves itself wrongly, does not
 * speak the handshake or does not finish it within `handshakeTimeout` is an `AuthenticationError`
 * naming the address, and the connection is closed. A `uds://` address ignores the cookie.
 *
 * @example
 * ```ts
 * let channel = yield* connect('tcp://127.0.0.1:7000');
 * yield* channel.send({ hello: 'world' });
 * let reply = yield* (yield* channel.messages).next();
 *
 * let guarded = yield* connect('tcp://10.0.0.2:7000', { cookie: process.env.HARROW_COOKIE });
 * ```
 */
export function connect(address: Address | string, options: ConnectOptions = {}): Operation<Channel> {
  return useChannel(function* () {
    let target = toAddress(address);
    let settings = handshakeSettings(options, target.kind);
    let wire = yield* openWire(target, options);
    return settings ? yield* authenticate(wire, 'client', settings) : wire;
  }, options);
}

function* openWire(target: Address, options: ChannelOptions): Operation<Wire> {
  switch (target.kind) {
    case 'uds':
      return yield* connectUds(target.path);
    case 'tcp':
      return yield* connectTcp(target.host, target.port);
    case 'ws': {
      let { connectWs } = yield* until(import('./ws-carrier.ts'));
      return yield* connectWs(target.host, target.port, target.path, wsMaxPayload(options));
    }
  }
}

/**
 * A channel over one end of a `MessageChannel` (between threads) for as long as the current
 * scope lasts. Closing it closes the port, which the other end sees as the end of its messages.
 *
 * @example
 * ```ts
 * let { port1, port2 } = new MessageChannel();
 * let channel = yield* usePortChannel(port1);
 * yield* channel.send('to the other thread');
 * ```
 */
export function usePortChannel(port: MessagePort, options: ChannelOptions = {}): Operation<Channel> {
  return useChannel(function* () {
    return portWire(port);
  }, options);
}

function useChannel(open: () => Operation<Wire>, options: ChannelOptions): Operation<Channel> {
  return resource(function* (provide) {
    let channel = createChannel(yield* open(), options);
    yield* ensure(() => channel.close());
    yield* provide(channel);
  });
}
