import net from 'node:net';
import { action, resource, type Operation } from 'effection';

/** A raw `node:net` connection to a Unix socket path, destroyed when the current scope ends. */
export function useRawSocket(path: string): Operation<net.Socket> {
  return resource(function* (provide) {
    let socket = yield* action<net.Socket>((resolve, reject) => {
      let socket = net.connect(path);
      let onConnect = () => resolve(socket);
      socket.once('connect', onConnect);
      socket.once('error', reject);
      return () => {
        socket.off('connect', onConnect);
        socket.off('error', reject);
      };
    });
    socket.on('error', () => {});
    try {
      yield* provide(socket);
    } finally {
      socket.destroy();
    }
  });
}
