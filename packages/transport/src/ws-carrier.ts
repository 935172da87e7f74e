import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { action, type Operation } from 'effection';
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws';
import { formatAddress } from './address.ts';
import type { Server, ServerEvents } from './carrier.ts';
import { TransportError } from './errors.ts';
import { socketWire } from './socket-wire.ts';
import type { Wire } from './wire.ts';

/**
 * Listen for WebSocket connections on `path`. Each WebSocket message carries a chunk of the
 * same length-prefixed frames as a socket (a chunk may hold many frames, a frame may span
 * chunks), so one decoder serves every carrier.
 */
export function* listenWs(host: string, port: number, path: string, events: ServerEvents, maxPayload: number): Operation<Server> {
  let requested = formatAddress({ kind: 'ws', host, port, path });
  let http = createServer();
  let wss = new WebSocketServer({ server: http, path, maxPayload });
  // Connections are named by the address bound (the real port), known once listening.
  let address = requested;
  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    let peer = `${address} (peer ${request.socket.remoteAddress}:${request.socket.remotePort})`;
    events.accept(socketWire(createWebSocketStream(ws), peer));
  });
  let listening = false;
  let failed = (error: Error) => events.failed(new TransportError(`the listener on ${requested} failed: ${error.message}`, { cause: error }));
  // Before listening, the HTTP server's own error fails the listen below; after, either one ends the listener.
  wss.on('error', (error) => listening && failed(error));
  yield* action<void>((resolve, reject) => {
    let failed = (error: Error) => reject(new TransportError(`cannot listen on ${requested}: ${error.message}`, { cause: error }));
    http.once('listening', resolve);
    http.once('error', failed);
    http.listen(port, host);
    return () => {
      http.off('listening', resolve);
      http.off('error', failed);
    };
  });
  listening = true;
  http.on('error', failed);
  address = formatAddress({ kind: 'ws', host, port: (http.address() as AddressInfo).port, path });
  return {
    address,
    *stop() {
      for (let client of wss.clients) client.terminate();
      yield* action<void>((resolve) => {
        wss.close(() => http.close(() => resolve()));
        return () => {};
      });
    },
  };
}

/** Connect to a WebSocket listener. */
export function connectWs(host: string, port: number, path: string, maxPayload: number): Operation<Wire> {
  let address = formatAddress({ kind: 'ws', host, port, path });
  return action<Wire>((resolve, reject) => {
    let ws = new WebSocket(address, { maxPayload });
    let open = false;
    let onOpen = () => {
      open = true;
      ws.off('error', onError);
      resolve(socketWire(createWebSocketStream(ws), address));
    };
    let onError = (error: Error) => reject(new TransportError(`cannot connect to ${address}: ${error.message}`, { cause: error }));
    ws.once('open', onOpen);
    ws.once('error', onError);
    return () => {
      ws.off('open', onOpen);
      ws.off('error', onError);
      if (!open) {
        ws.on('error', () => {}); // terminating a connecting socket reports an error we caused
        ws.terminate();
      }
    };
  });
}
