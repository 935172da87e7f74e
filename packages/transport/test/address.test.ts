import { describe, expect, it } from 'vitest';
import { AddressError, formatAddress, parseAddress, toAddress, type Address } from '../src/index.ts';

describe('parseAddress', () => {
  it('parses each valid form', () => {
    expect(parseAddress('uds:///tmp/harrow/a.sock')).toEqual({ kind: 'uds', path: '/tmp/harrow/a.sock' });
    expect(parseAddress('tcp://127.0.0.1:7000')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 7000 });
    expect(parseAddress('tcp://localhost:1')).toEqual({ kind: 'tcp', host: 'localhost', port: 1 });
    expect(parseAddress('tcp://example.com:65535')).toEqual({ kind: 'tcp', host: 'example.com', port: 65535 });
    expect(parseAddress('ws://127.0.0.1:8080/harrow')).toEqual({ kind: 'ws', host: '127.0.0.1', port: 8080, path: '/harrow' });
    expect(parseAddress('ws://host:8080/a/b')).toEqual({ kind: 'ws', host: 'host', port: 8080, path: '/a/b' });
    expect(parseAddress('ws://host:8080')).toEqual({ kind: 'ws', host: 'host', port: 8080, path: '/' });
  });

  it('keeps a port equal to the scheme default (URL would drop ws port 80)', () => {
    expect(parseAddress('ws://host:80/x')).toEqual({ kind: 'ws', host: 'host', port: 80, path: '/x' });
  });

  it('parses port 0 (any free port)', () => {
    expect(parseAddress('tcp://127.0.0.1:0')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(parseAddress('ws://127.0.0.1:0/p')).toEqual({ kind: 'ws', host: '127.0.0.1', port: 0, path: '/p' });
  });

  it('parses IPv6 hosts in brackets, without the brackets', () => {
    expect(parseAddress('tcp://[::1]:7000')).toEqual({ kind: 'tcp', host: '::1', port: 7000 });
    expect(parseAddress('ws://[::1]:0/p')).toEqual({ kind: 'ws', host: '::1', port: 0, path: '/p' });
    expect(parseAddress('tcp://[2001:db8::ff00:42:8329]:443')).toEqual({ kind: 'tcp', host: '2001:db8::ff00:42:8329', port: 443 });
  });

  it('decodes percent-escapes in a socket path', () => {
    expect(parseAddress('uds:///tmp/a%20b.sock')).toEqual({ kind: 'uds', path: '/tmp/a b.sock' });
    expect(parseAddress('uds:///tmp/%C3%A9%23.sock')).toEqual({ kind: 'uds', path: '/tmp/é#.sock' });
  });

  let bad: [string, unknown, RegExp][] = [
    ['an empty string', '', /is not an address; expected uds:\/\/\/path, tcp:\/\/host:port or ws:\/\/host:port\/path/],
    ['a bare word', 'localhost', /"localhost" is not an address/],
    ['a path without scheme', '/tmp/a.sock', /is not an address/],
    ['an unknown scheme', 'http://localhost:80', /unknown scheme "http:"; expected uds:, tcp: or ws:/],
    ['a uds address with a host', 'uds://tmp/a.sock', /a uds address has no host; write uds:\/\/\/absolute\/path \(three slashes\)/],
    ['a uds address without path', 'uds:///', /a uds address needs an absolute socket path/],
    ['a relative uds path', 'uds:a.sock', /a uds address needs an absolute socket path/],
    ['a malformed escape in a uds path', 'uds:///tmp/100%.sock', /malformed percent-escape in the socket path/],
    ['a tcp address without port', 'tcp://localhost', /expected host:port after the scheme/],
    ['a tcp address without host', 'tcp://:7000', /expected host:port after the scheme/],
    ['a tcp port that is not a number', 'tcp://localhost:http', /expected host:port after the scheme/],
    ['a tcp port out of range', 'tcp://localhost:65536', /port 65536 is out of range/],
    ['a ws port out of range', 'ws://localhost:99999/x', /port 99999 is out of range/],
    ['a bad IPv6 host', 'tcp://[::1:7000', /is not an address|expected host:port/],
    ['a tcp address with a path', 'tcp://localhost:7000/x', /a tcp address has no path/],
    ['a tcp address with credentials', 'tcp://user@localhost:7000', /expected host:port after the scheme/],
    ['a ws address without port', 'ws://localhost/x', /expected host:port after the scheme/],
    ['leading whitespace', ' tcp://localhost:1', /expected host:port after the scheme/],
    ['a number', 7000, /an address must be a string, got number/],
  ];
  for (let [name, text, message] of bad) {
    it(`rejects ${name} with an AddressError`, () => {
      let error: unknown;
      try {
        parseAddress(text as string);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(AddressError);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).name).toBe('AddressError');
      expect((error as Error).message).toMatch(message);
      if (typeof text === 'string' && text) expect((error as Error).message).toContain(JSON.stringify(text));
    });
  }
});

describe('formatAddress', () => {
  it('formats each form', () => {
    expect(formatAddress({ kind: 'uds', path: '/tmp/a.sock' })).toBe('uds:///tmp/a.sock');
    expect(formatAddress({ kind: 'tcp', host: '127.0.0.1', port: 0 })).toBe('tcp://127.0.0.1:0');
    expect(formatAddress({ kind: 'tcp', host: '::1', port: 80 })).toBe('tcp://[::1]:80');
    expect(formatAddress({ kind: 'ws', host: 'h', port: 80, path: '/x' })).toBe('ws://h:80/x');
    expect(formatAddress({ kind: 'ws', host: 'fe80::1', port: 1, path: '/' })).toBe('ws://[fe80::1]:1/');
  });

  it('is the inverse of parseAddress, for socket paths with any characters', () => {
    let addresses: Address[] = [
      { kind: 'uds', path: '/tmp/plain.sock' },
      { kind: 'uds', path: '/tmp/with space.sock' },
      { kind: 'uds', path: '/tmp/hash#tag.sock' },
      { kind: 'uds', path: '/tmp/what?.sock' },
      { kind: 'uds', path: '/tmp/100%.sock' },
      { kind: 'uds', path: '/tmp/été/ü.sock' },
      { kind: 'uds', path: '/tmp/back\\slash;semi,comma&amp=eq+plus' },
      { kind: 'tcp', host: 'localhost', port: 7000 },
      { kind: 'tcp', host: '::1', port: 0 },
      { kind: 'ws', host: '10.0.0.1', port: 80, path: '/deep/path' },
      { kind: 'ws', host: '::1', port: 9, path: '/' },
    ];
    for (let address of addresses) expect(parseAddress(formatAddress(address))).toEqual(address);
    for (let text of ['uds:///tmp/a.sock', 'tcp://[::1]:7000', 'ws://h:1/p']) expect(formatAddress(parseAddress(text))).toBe(text);
  });

  it('toAddress accepts either form', () => {
    let parsed: Address = { kind: 'tcp', host: 'h', port: 1 };
    expect(toAddress(parsed)).toBe(parsed);
    expect(toAddress('tcp://h:1')).toEqual(parsed);
    expect(() => toAddress('nope')).toThrow(AddressError);
  });
});
