import { BlockList, isIPv4 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { bearerIs } from './auth.js';

export interface MetricsRouteDeps {
  /** METRICS_TOKEN; unset: loopback clients only. */
  token: string | undefined;
  metrics: Metrics;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Loopback, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) included. */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return loopback.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}

/**
 * With a token, its bearer alone. Without one, the TCP peer must be on loopback (not merely say
 * so) and so must the client's address as TRUST_PROXY reads it: a proxy on the same machine
 * forwards the world's requests from loopback, and they must not read metrics through it.
 */
function allowed(req: FastifyRequest, token: string | undefined): void {
  if (token) {
    if (!bearerIs(req, token)) throw new AppError('unauthorized', 'A valid metrics token is required.');
    return;
  }
  if (!isLoopback(req.socket.remoteAddress) || !isLoopback(req.ip)) {
    throw new AppError('forbidden', 'Metrics are served to loopback clients only unless METRICS_TOKEN is set.');
  }
}

/** `GET /metrics`: this node's metrics in Prometheus text format; Prometheus scrapes every node. */
export function registerMetricsRoute(app: FastifyInstance, deps: MetricsRouteDeps) {
  const { token, metrics } = deps;
  app.get('/metrics', { onRequest: async (req) => allowed(req, token) }, async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store');
    return metrics.registry.metrics();
  });
}
