import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { Server } from 'socket.io';
import type { Config } from '../config.js';
import { type AppError, toAppError } from '../errors.js';
import type { IdentityService } from '../identity.js';
import type { Metrics } from '../metrics.js';
import { createOriginPolicy } from '../origin.js';
import type { ChatNamespace, SocketData } from './chat.js';
import type { PushNamespace } from './push.js';

/**
 * Socket.IO on Fastify's HTTP server. Engine.IO answers /socket.io before any Fastify hook runs,
 * so origin checks, limits and identity live here, not in Fastify plugins.
 */
export function createIo(server: HttpServer, config: Config, log: FastifyBaseLogger, metrics: Metrics, isClosing: () => boolean) {
  const origins = createOriginPolicy(config);
  const io = new Server(server, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: config.maxHttpBufferSize,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    // Reflects allowed origins in CORS headers for long-polling; allowRequest below is the real gate.
    cors: { origin: (origin, cb) => cb(null, origins.allowed(origin, undefined)) },
    allowRequest: (req: IncomingMessage, cb) => {
      if (isClosing()) {
        metrics.handshakeRefused('unavailable');
        return cb('server is shutting down', false);
      }
      const origin = req.headers.origin;
      if (origins.allowed(origin, req.headers.host)) return cb(null, true);
      metrics.handshakeRefused('forbidden');
      log.warn({ origin }, 'socket refused: origin not in ALLOWED_ORIGINS');
      cb(`origin ${origin} is not allowed`, false);
    },
  });
  io.engine.on('connection_error', (err: { code: number; message: string }) => {
    log.debug({ code: err.code, reason: err.message }, 'engine.io connection error');
  });
  return io;
}

/** A refusal as a namespace middleware passes it on: the client's `connect_error`, with `data: { code, message }`. */
export function connectError(err: AppError): Error {
  return Object.assign(new Error(err.code), { data: err.toBody() });
}

/**
 * Identifies every socket of a namespace at the handshake; refusals reach `connect_error`, are
 * counted by code and logged without what the client sent (its token).
 */
export function useIdentity(nsp: ChatNamespace | PushNamespace, identity: IdentityService, log: FastifyBaseLogger, metrics: Metrics) {
  (nsp as ChatNamespace).use((socket, next) => {
    identity.identify(socket.handshake.auth).then(
      (result) => {
        socket.data.identity = result;
        next();
      },
      (err: unknown) => {
        const appError = toAppError(err);
        if (appError !== err) log.error({ err, socket: socket.id }, 'handshake failed');
        else log.info({ socket: socket.id, nsp: nsp.name, code: appError.code }, 'socket refused');
        metrics.handshakeRefused(appError.code);
        next(connectError(appError));
      },
    );
  });
}

/** A socket's logger: every line it writes carries the socket's and its user's ids. */
export function socketLog(log: FastifyBaseLogger, socket: { id: string; data: SocketData }): FastifyBaseLogger {
  return log.child({ socket: socket.id, user: socket.data.identity.user.id });
}

/** One line when a socket of the namespace connects and one when it goes, with why. */
export function logConnections(nsp: ChatNamespace | PushNamespace, log: FastifyBaseLogger): void {
  (nsp as ChatNamespace).on('connection', (socket) => {
    const lines = socketLog(log, socket);
    lines.info({ nsp: nsp.name, kind: socket.data.identity.user.kind, address: socket.data.address }, 'socket connected');
    socket.once('disconnect', (reason) => lines.info({ reason }, 'socket disconnected'));
  });
}
