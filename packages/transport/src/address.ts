/**
 * Where a channel listens or connects:
 *
 * - `uds:///absolute/path.sock` a Unix domain socket (the default between local actors)
 * - `tcp://host:port` TCP (`host` may be a name, an IPv4 address or `[ipv6]`)
 * - `ws://host:port/path` WebSocket
 *
 * Port `0` asks the operating system for a free port when listening.
 */
export type Address =
  | { kind: 'uds'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'ws'; host: string; port: number; path: string };

/**
 * Thrown by {@link parseAddress} for a string that is not one of the address forms.
 *
 * @example
 * ```ts
 * try {
 *   parseAddress('tcp://localhost');
 * } catch (error) {
 *   error instanceof AddressError; // true: the port is missing
 * }
 * ```
 */
export class AddressError extends TypeError {
  override name = 'AddressError';
}

/**
 * Parse an address string; throws `AddressError` saying what is wrong and what is expected.
 *
 * @example
 * ```ts
 * parseAddress('tcp://127.0.0.1:7357'); // { kind: 'tcp', host: '127.0.0.1', port: 7357 }
 * parseAddress('uds:///tmp/a.sock'); // { kind: 'uds', path: '/tmp/a.sock' }
 * ```
 */
export function parseAddress(text: string): Address {
  if (typeof text !== 'string') throw new AddressError(`an address must be a string, got ${typeof text}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // URL refuses a port above 65535 or a missing host without saying which; say it.
    if (/^(tcp|ws):\/\//i.test(text)) hostAndPort(text);
    throw new AddressError(`"${text}" is not an address; expected uds:///path, tcp://host:port or ws://host:port/path`);
  }
  switch (url.protocol) {
    case 'uds:': {
      if (url.host) throw new AddressError(`"${text}": a uds address has no host; write uds:///absolute/path (three slashes)`);
      let path = decodePath(text, url.pathname);
      if (!path.startsWith('/') || path === '/') throw new AddressError(`"${text}": a uds address needs an absolute socket path`);
      return { kind: 'uds', path };
    }
    case 'tcp:': {
      let { host, port } = hostAndPort(text);
      if (url.pathname && url.pathname !== '/') throw new AddressError(`"${text}": a tcp address has no path`);
      return { kind: 'tcp', host, port };
    }
    case 'ws:': {
      let { host, port } = hostAndPort(text);
      return { kind: 'ws', host, port, path: url.pathname || '/' };
    }
    default:
      throw new AddressError(`"${text}": unknown scheme "${url.protocol}"; expected uds:, tcp: or ws:`);
  }
}

/**
 * The string form of an address, the inverse of {@link parseAddress}.
 *
 * @example
 * ```ts
 * formatAddress({ kind: 'ws', host: '::1', port: 80, path: '/actors' }); // 'ws://[::1]:80/actors'
 * ```
 */
export function formatAddress(address: Address): string {
  switch (address.kind) {
    case 'uds':
      // Per segment: `encodeURI` leaves `#` and `?` as they are, and they would come back as a
      // URL fragment or query, cutting the path short.
      return `uds://${address.path.split('/').map(encodeURIComponent).join('/')}`;
    case 'tcp':
      return `tcp://${formatHost(address.host)}:${address.port}`;
    case 'ws':
      return `ws://${formatHost(address.host)}:${address.port}${address.path}`;
  }
}

/**
 * Accepts either form and returns the parsed one.
 *
 * @example
 * ```ts
 * toAddress('ws://localhost:8080/x'); // { kind: 'ws', host: 'localhost', port: 8080, path: '/x' }
 * ```
 */
export function toAddress(address: Address | string): Address {
  return typeof address === 'string' ? parseAddress(address) : address;
}

/** A percent-decoded uds path; a malformed escape (a lone `%`) is an `AddressError`, not a `URIError`. */
function decodePath(text: string, pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new AddressError(`"${text}": malformed percent-escape in the socket path; write % as %25`);
  }
}

/** Host and port read from the text itself: URL drops a port equal to the scheme default (ws: 80). */
function hostAndPort(text: string): { host: string; port: number } {
  let match = /^[a-z]+:\/\/(\[[^\]]+\]|[^/:?#@]+):(\d+)(?=[/?#]|$)/i.exec(text);
  if (!match) throw new AddressError(`"${text}": expected host:port after the scheme`);
  let port = Number(match[2]);
  if (port > 65535) throw new AddressError(`"${text}": port ${port} is out of range`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
