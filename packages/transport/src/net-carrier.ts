import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { action, type Operation } from 'effection';
import { formatAddress } from './address.ts';
import type { Server, ServerEvents } from './carrier.ts';
import { TransportError } from './errors.ts';
import { socketWire } from './socket-wire.ts';
import type { Wire } from './wire.ts';

/**
 * Listen on a Unix domain socket. A socket file left behind by a dead process is removed
 * (nothing answers a connection to it); a live one is an "address in use" error.
 */
export function* listenUds(path: string, events: ServerEvents): Operation<Server> {
  let address = formatAddress({ kind: 'uds', path });
  if (existsSync(path)) {
    if (yield* answers(path)) throw new TransportError(`cannot listen on ${address}: another process is listening there`);
    unlinkSync(path);
  }
  return yield* serve(address, (server) => server.listen(path), events, () => address);
}

/** Listen on TCP; port 0 picks a free port, reported in the server's address. */
export function* listenTcp(host: string, port: number, events: ServerEvents): Operation<Server> {
  let requested = formatAddress({ kind: 'tcp', host, port });
  return yield* serve(requested, (server) => server.listen(port, host), events, (server) => {
    let bound = server.address() as net.AddressInfo;
    return formatAddress({ kind: 'tcp', host, port: bound.port });
  });
}

/** Connect to a Unix domain socket. */
export function connectUds(path: string): Operation<Wire> {
  let address = formatAddress({ kind: 'uds', path });
  return connectSocket(address, () => net.connect(path));
}

/** Connect over TCP, with Nagle's algorithm off (frames are already batched per tick). */
export function connectTcp(host: string, port: number): Operation<Wire> {
  let address = formatAddress({ kind: 'tcp', host, port });
  return connectSocket(address, () => net.connect({ host, port, noDelay: true }));
}

function* serve(
  requested: string,
  start: (server: net.Server) => void,
  events: ServerEvents,
  boundAddress: (server: net.Server) => string,
): Operation<Server> {
  // Connections are named by the address bound (the real port), known once listening.
  let address = requested;
  let server = net.createServer({ noDelay: true }, (socket) => {
    events.accept(socketWire(socket, `${address} (peer ${socket.remoteAddress ?? 'local'}:${socket.remotePort ?? ''})`));
  });
  yield* action<void>((resolve, reject) => {
    let failed = (error: Error) => reject(new TransportError(`cannot listen on ${requested}: ${error.message}`, { cause: error }));
    server.once('listening', resolve);
    server.once('error', failed);
    start(server);
    return () => {
      server.off('listening', resolve);
      server.off('error', failed);
    };
  });
  // A listening server that still emits 'error' is broken (the accepted sockets report their own
  // errors): its listener ends with it, and says why.
  server.on('error', (error) => events.failed(new TransportError(`the listener on ${requested} failed: ${error.message}`, { cause: error })));
  address = boundAddress(server);
  return {
    address,
    *stop() {
      yield* action<void>((resolve) => {
        server.close(() => resolve());
        return () => {};
      });
    },
  };
}

function connectSocket(address: string, open: () => net.Socket): Operation<Wire> {
  return action<Wire>((resolve, reject) => {
    let socket = open();
    let connected = false;
    let onConnect = () => {
      connected = true;
      socket.off('error', onError);
      resolve(socketWire(socket, address));
    };
    let onError = (error: Error) => reject(new TransportError(`cannot connect to ${address}: ${error.message}`, { cause: error }));
    socket.once('connect', onConnect);
    socket.once('error', onError);
    return () => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (!connected) socket.destroy();
    };
  });
}

/** Whether something accepts connections on a Unix socket path. */
function answers(path: string): Operation<boolean> {
  return action<boolean>((resolve) => {
    let socket = net.connect(path);
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
    return () => socket.destroy();
  });
}
