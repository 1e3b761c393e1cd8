import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import proxyaddr from '@fastify/proxy-addr';
import type { TrustProxy } from './config.js';

/**
 * The address a request comes from, by the rule Fastify applies to `request.ip` (the same
 * proxy-addr, the same TRUST_PROXY): the peer's own address when no proxy is trusted, else
 * X-Forwarded-For read from the right, past the trusted proxies. Socket.IO's `handshake.address`
 * is always the peer, which behind a proxy is the proxy itself.
 */
export function createClientAddress(trust: TrustProxy): (req: IncomingMessage) => string {
  if (trust === false) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trusted = typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : proxyaddr.compile(trust);
  return (req) => proxyaddr(req, trusted);
}

/**
 * What per-address limits count by: an IPv4 address (also when written IPv4-mapped, `::ffff:1.2.3.4`),
 * or an IPv6 address's /64, since one subscriber commonly holds a whole /64 and could otherwise
 * take a fresh address for every connection.
 */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, '').toLowerCase();
  if (plain.startsWith('::ffff:') && plain.includes('.')) return plain.slice(7);
  if (!isIPv6(plain)) return plain;
  const [head = '', tail] = plain.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
