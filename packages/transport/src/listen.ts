import { ensure, resource, until, type Operation, type Stream } from 'effection';
import { toAddress, type Address } from './address.ts';
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
 * ```
 */
export function listen(address: Address | string, options: ChannelOptions = {}): Operation<Listener> {
  return resource(function* (provide) {
    let target = toAddress(address);
    let connections = new Mailbox<Channel>();
    let open = new Set<Channel>();
    let events: ServerEvents = {
      accept(wire) {
        let channel = createChannel(untrackOnClose(wire, () => open.delete(channel)), options);
        open.add(channel);
        connections.push(channel);
      },
      failed(error) {
        connections.fail(error);
      },
    };
    let server = yield* startServer(target, events, options);
    yield* ensure(function* () {
      connections.end();
      connections.clear();
      for (let channel of open) channel.destroy();
      yield* server.stop();
    });
    yield* provide({
      address: server.address,
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
