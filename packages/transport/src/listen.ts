import { ensure, resource, until, type Operation, type Stream } from 'effection';
import { toAddress, type Address } from './address.ts';
import { handshakeSettings, startHandshake, type AuthOptions, type Handshake } from './authenticate.ts';
import type { Server, ServerEvents } from './carrier.ts';
import { createChannel, type Channel, type ChannelOptions } from './channel.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './framing.ts';
import { Mailbox } from './mailbox.ts';
import { listenTcp, listenUds } from './net-carrier.ts';
import type { Wire } from './wire.ts';

/**
 * A listening endpoint. It is a `Stream` of the channels of incoming connections (one queue:
 * each connection goes to one subscriber), and knows the address it is bound to.
 */
export interface Listener extends Stream<Channel, void> {
  /** The bound address, with the real port when port 0 was asked for. */
  readonly address: string;
  /** How many connections failed the cookie handshake so far (always 0 without a cookie, and on `uds://`). */
  readonly rejected: number;
}

/** A connection turned away at the handshake, as `onRejected` reports it. */
export interface Rejection {
  /** Who it was: the listener's address and the peer's host and port. */
  peer: string;
  /** What went wrong, e.g. `its proof is wrong: …` or `no handshake within 5000 ms (0 of 69 bytes received)`. */
  reason: string;
}

/** What `listen` takes: the channel tuning of every accepted channel, the cookie, and who hears of rejections. */
export interface ListenOptions extends ChannelOptions, AuthOptions {
  /**
   * Called for each connection turned away at the handshake (after it is counted in
   * `rejected`), from the socket's event: log it, do not throw.
   */
  onRejected?: (rejection: Rejection) => void;
}

/**
 * Listen on an address (`uds:///path`, `tcp://host:port` or `ws://host:port/path`) for as long
 * as the current scope lasts. When the scope ends the listener stops, every channel it accepted
 * is closed, and a Unix socket path it created is removed.
 *
 * A connection that fails (a peer that disconnects mid-frame, sends garbage or an oversize
 * header) fails only its own channel; the listener keeps accepting. If the listening socket
 * itself fails, the stream of connections ends with that `TransportError`.
 *
 * With a `cookie`, a TCP or WebSocket connection becomes a channel only once both ends have
 * proved they hold it (an HMAC-SHA256 challenge-response over fresh nonces; the cookie itself
 * never crosses). A peer that fails, stalls past `handshakeTimeout` or skips the handshake is
 * disconnected before any byte of it is decoded, counted in `rejected` and reported to
 * `onRejected`; it never reaches the stream. Handshakes run side by side: a slow one holds up
 * no other. A `uds://` listener ignores the cookie.
 *
 * @example
 * ```ts
 * let listener = yield* listen('uds:///tmp/echo.sock');
 * for (let channel of yield* each(listener)) {
 *   yield* spawn(function* () {
 *     for (let message of yield* each(channel.messages)) {
 *       yield* channel.send(message);
 *       yield* each.next();
 *     }
 *   });
 *   yield* each.next();
 * }
 *
 * // Over TCP, only for peers that hold the same cookie:
 * let guarded = yield* listen('tcp://0.0.0.0:7000', {
 *   cookie: process.env.HARROW_COOKIE,
 *   onRejected: ({ peer, reason }) => logger.warn({ peer, reason }, 'connection rejected'),
 * });
 * ```
 */
export function listen(address: Address | string, options: ListenOptions = {}): Operation<Listener> {
  return resource(function* (provide) {
    let target = toAddress(address);
    let guard = handshakeSettings(options, target.kind);
    let connections = new Mailbox<Channel>();
    let open = new Set<Channel>();
    let handshakes = new Set<Handshake>();
    let rejected = 0;
    let admit = (wire: Wire) => {
      let channel = createChannel(untrackOnClose(wire, () => open.delete(channel)), options);
      open.add(channel);
      connections.push(channel);
    };
    let events: ServerEvents = {
      accept(wire) {
        if (!guard) return admit(wire);
        // Settled already if the wire failed at once; the callbacks then run before `handshake` is set.
        let settled = false;
        let handshake: Handshake | undefined;
        handshake = startHandshake(wire, 'server', guard, {
          authenticated(authenticated) {
            settled = true;
            if (handshake) handshakes.delete(handshake);
            admit(authenticated);
          },
          failed(reason) {
            settled = true;
            if (handshake) handshakes.delete(handshake);
            rejected++;
            options.onRejected?.({ peer: wire.peer, reason });
          },
        });
        if (!settled) handshakes.add(handshake);
      },
      failed(error) {
        connections.fail(error);
      },
    };
    let server = yield* startServer(target, events, options);
    yield* ensure(function* () {
      connections.end();
      connections.clear();
      for (let handshake of handshakes) handshake.cancel();
      handshakes.clear();
      for (let channel of open) channel.destroy();
      yield* server.stop();
    });
    yield* provide({
      address: server.address,
      get rejected() {
        return rejected;
      },
      *[Symbol.iterator]() {
        return connections;
      },
    });
  });
}

function* startServer(address: Address, events: ServerEvents, options: ChannelOptions): Operation<Server> {
  switch (address.kind) {
    case 'uds':
      return yield* listenUds(address.path, events);
    case 'tcp':
      return yield* listenTcp(address.host, address.port, events);
    case 'ws': {
      // `ws` is loaded only when used: most processes never speak WebSocket.
      let { listenWs } = yield* until(import('./ws-carrier.ts'));
      return yield* listenWs(address.host, address.port, address.path, events, wsMaxPayload(options));
    }
  }
}

/** WebSocket messages carry batches of frames, so allow one maximal frame plus its header and a batch. */
export function wsMaxPayload(options: ChannelOptions): number {
  return (options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES) + 1024 * 1024;
}

function untrackOnClose(wire: Wire, onClose: () => void): Wire {
  return {
    ...wire,
    attach(events) {
      wire.attach({
        ...events,
        close() {
          onClose();
          events.close();
        },
      });
    },
  };
}
