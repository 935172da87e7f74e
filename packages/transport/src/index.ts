/// <reference types="node" preserve="true" />
/**
 * @harrow/transport: msgpack-over-socket channels.
 *
 * - `codec`: what crosses a process boundary (`encode`, `decode`, `assertEncodable`)
 * - `framing`: u32 length-prefixed frames with a maximum size
 * - `address`: `uds:///path`, `tcp://host:port`, `ws://host:port/path`
 * - `Channel`: `send`/`messages`/`close` over Unix sockets, TCP, WebSocket and MessagePort,
 *   with `listen` and `connect` as effection resources
 * - `cookie`: over TCP and WebSocket, both ends prove they hold a shared secret (HMAC-SHA256
 *   challenge-response) before any message crosses; `AuthenticationError` when they do not
 */
export { encode, decode, assertEncodable, MAX_DEPTH } from './codec.ts';
export { FrameDecoder, frameAll, frameHeader, HEADER_BYTES, DEFAULT_MAX_FRAME_BYTES } from './framing.ts';
export { parseAddress, formatAddress, toAddress, AddressError, type Address } from './address.ts';
export { createChannel, type Channel, type ChannelOptions } from './channel.ts';
export { listen, type Listener, type ListenOptions, type Rejection } from './listen.ts';
export { connect, usePortChannel, type ConnectOptions } from './connect.ts';
export type { AuthOptions } from './authenticate.ts';
export { socketWire } from './socket-wire.ts';
export { portWire } from './port-wire.ts';
export type { Wire, WireEvents } from './wire.ts';
export { TransportError, ProtocolError, AuthenticationError } from './errors.ts';
export { Mailbox } from './mailbox.ts';
