import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import { addressKey } from '../client-address.js';
import { AppError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { Metrics } from '../metrics.js';
import type { ChatNamespace } from './chat.js';
import { connectError } from './io.js';
import type { PushNamespace } from './push.js';

type Connection = Socket['conn'];

/** A connection refused for one held open too many: when to try again (one may close by then). */
const openRetryMs = 5000;
/** How long a refused connection stays open so the client hears why (its namespace connects). */
const refusedCloseMs = 1000;
/** A refused address is logged once this often at most. */
const warnEveryMs = 60_000;

interface Verdict {
  /** The client's address as limits count it (an IPv6 address's /64). */
  address: string;
  refusal: AppError | undefined;
}

export interface AdmissionOptions {
  limits: Limits;
  /** CONNECTIONS_PER_ADDRESS: open connections per address on this node. */
  maxOpen: number;
  /** The client's address by the TRUST_PROXY rule. */
  addressOf: (req: IncomingMessage) => string;
  log: FastifyBaseLogger;
  metrics: Metrics;
}

/**
 * Connections per client address, judged once per Engine.IO connection (its `/chat` and `/push`
 * sockets share it) when it opens: at most `maxOpen` open on this node, and the connection limit
 * a minute on all nodes together. The handshake itself is never refused, because an HTTP 403 there
 * reaches socket.io-client as a bare "xhr poll error"; the refusal is told on each namespace the
 * client connects to, as `connect_error` with `data: { code: "rate_limited", retryAfterMs }`, and
 * the connection is closed a second later (socket.io-client closes it itself on hearing it).
 */
export function createAdmission(io: Server, options: AdmissionOptions) {
  const { limits, maxOpen, addressOf, log, metrics } = options;
  const open = new Map<string, number>();
  const verdicts = new WeakMap<Connection, Promise<Verdict>>();
  const warned = new Map<string, number>();

  function warn(address: string, reason: string): void {
    const now = Date.now();
    if ((warned.get(address) ?? 0) > now) return;
    if (warned.size > 10_000) warned.clear();
    warned.set(address, now + warnEveryMs);
    log.warn({ address }, `connections refused: ${reason} (all clients look alike behind a proxy unless TRUST_PROXY says it is one)`);
  }

  async function judge(address: string, count: number): Promise<AppError | undefined> {
    if (count > maxOpen) {
      warn(address, `more than ${maxOpen} open on this node (CONNECTIONS_PER_ADDRESS)`);
      return new AppError('rate_limited', 'Too many connections from your address.', openRetryMs);
    }
    const retryAfterMs = await limits.connections.take(address);
    if (retryAfterMs === 0) return undefined;
    warn(address, 'too many new ones a minute (CONNECTION_RATE_PER_ADDRESS)');
    return new AppError('rate_limited', 'Too many new connections from your address.', retryAfterMs);
  }

  io.engine.on('connection', (conn: Connection) => {
    const address = addressKey(addressOf(conn.request));
    const count = (open.get(address) ?? 0) + 1;
    open.set(address, count);
    conn.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    const verdict = judge(address, count).then((refusal) => {
      if (refusal) setTimeout(() => conn.close(), refusedCloseMs).unref();
      return { address, refusal };
    });
    verdicts.set(conn, verdict);
  });

  return {
    /** Refuses a namespace connect on a connection judged over a limit; runs before identity. */
    use(nsp: ChatNamespace | PushNamespace): void {
      (nsp as ChatNamespace).use((socket, next) => {
        const verdict = verdicts.get(socket.conn);
        if (!verdict) {
          metrics.handshakeRefused('unavailable');
          return next(connectError(new AppError('unavailable', 'The connection was not admitted.')));
        }
        void verdict.then(({ address, refusal }) => {
          if (refusal) {
            metrics.handshakeRefused(refusal.code);
            return next(connectError(refusal));
          }
          socket.data.address = address;
          next();
        });
      });
    },
  };
}
