import { randomBytes } from 'node:crypto';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyRequest } from 'fastify';
import type { Config } from './config.js';
import { createRoomAccess } from './access.js';
import { createConversations } from './conversations.js';
import { createBus } from './bus.js';
import { createClientAddress } from './client-address.js';
import { AppError } from './errors.js';
import { createUploadTokens, unsentFileTtlMs } from './attachments.js';
import { registerAdmin } from './http/admin.js';
import { registerAttachmentRoutes } from './http/attachments.js';
import { useBoundedJsonParser } from './http/body.js';
import { registerDocs } from './http/docs.js';
import { registerInboxPage } from './http/inbox-page.js';
import { registerMetricsRoute } from './http/metrics.js';
import { loadProblemPage } from './http/problem-page.js';
import { registerPushRoutes } from './http/push.js';
import { registerRoutes } from './http/routes.js';
import { registerWidget } from './http/widget.js';
import { createIdentity } from './identity.js';
import { createLimits } from './limits.js';
import { createBans } from './moderation/bans.js';
import { createModeration } from './moderation/moderation.js';
import { createRoomRules } from './moderation/room-rules.js';
import { registerModerationEvents } from './moderation/events.js';
import { registerModerationRoutes } from './moderation/routes.js';
import { createLive, createMemoryLiveClock, createRedisLiveClock } from './live.js';
import { createMetrics } from './metrics.js';
import { createOriginPolicy, validHost } from './origin.js';
import { publicDir, webBuildDir } from './paths.js';
import { createAdmission } from './realtime/admission.js';
import { type ChatNamespace, registerChat } from './realtime/chat.js';
import { drain } from './realtime/drain.js';
import { registerInbox } from './realtime/inbox.js';
import { createIo, logConnections, useIdentity } from './realtime/io.js';
import { createMessageRate } from './realtime/message-rate.js';
import { createOverview } from './realtime/overview.js';
import { createMemoryPresence } from './realtime/presence.js';
import { type PushNamespace, registerPush } from './realtime/push.js';
import { createRedisPresence } from './realtime/redis-presence.js';
import { registerUploadTokens } from './realtime/upload-token.js';
import { connectRedis, redisRateLimitStore } from './redis.js';
import { createReservedNames } from './reserved-names.js';
import { roomPattern } from './schemas/common.js';
import { openPostgresStore } from './store/postgres.js';
import { createMemoryPushLog } from './store/push-log.js';
import { createRedisPushLog } from './store/redis-push-log.js';
import { openSqliteStore } from './store/sqlite.js';
import { startWebhooks } from './webhooks.js';

const roomName = new RegExp(roomPattern);

/**
 * Where state lives: embedded (SQLite, in-process presence and pushes) for one node; PostgreSQL
 * and Redis, shared by every node, when DATABASE_URL and REDIS_URL say so.
 */
async function openState(config: Config, nodeId: string, log: FastifyBaseLogger) {
  const store = config.databaseUrl
    ? await openPostgresStore({ url: config.databaseUrl, log })
    : openSqliteStore({ path: config.databasePath, log });
  const retention = {
    count: config.pushRetentionCount,
    maxAgeMs: config.pushRetentionSeconds * 1000,
    maxBytes: config.pushRetentionBytes,
  };
  if (!config.redisUrl) {
    return { store, presence: createMemoryPresence(), pushLog: createMemoryPushLog(retention), redis: undefined };
  }
  if (!config.databaseUrl) {
    log.warn('REDIS_URL is set but DATABASE_URL is not: each node keeps its own SQLite history, which is unsafe with more than one node');
  }
  const redis = await connectRedis({
    url: config.redisUrl,
    tlsInsecure: config.redisTlsInsecure,
    sharded: config.redisSharded,
    prefix: config.redisPrefix,
    nodeId,
    log,
  });
  return {
    store,
    presence: createRedisPresence({
      redis: redis.client,
      prefix: config.redisPrefix,
      nodeId,
      heartbeatMs: config.nodeHeartbeatMs,
      log,
    }),
    pushLog: createRedisPushLog(redis.client, config.redisPrefix, retention),
    redis,
  };
}

export interface AppOptions {
  /** The longest the drain at shutdown may take, in ms. Default DRAIN_MS (15000). */
  drainMs?: number;
}

/** Bodies of routes that set no limit of their own. */
const defaultBodyLimit = 64 * 1024;

/** A browser's page request (GET, asking for HTML), outside `/api/`: answered with a page, not JSON. */
function wantsPage(req: FastifyRequest): boolean {
  return req.method === 'GET' && !req.url.startsWith('/api/') && (req.headers.accept ?? '').includes('text/html');
}

/**
 * Builds roomcast (Fastify, Socket.IO, store) without listening: `server.ts` and the tests both
 * call it. `close()` drains clients so they reconnect elsewhere, then stops everything.
 */
export async function buildApp(config: Config, options: AppOptions = {}) {
  const { trustProxy } = config;
  const app = Fastify({
    logger: { level: config.logLevel },
    // Off by default: otherwise any client names its own address in X-Forwarded-For. Fastify 5
    // trusts nothing for a bare number, so a hop count trusts the nearest `n` addresses itself.
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    bodyLimit: defaultBodyLimit,
    // Let close() finish without waiting out keep-alive sockets (fastify#7044).
    forceCloseConnections: true,
  });
  let closing: Promise<void> | undefined;
  const isClosing = () => closing !== undefined;

  const nodeId = `${config.nodeName}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const bus = createBus(app.log);
  const metrics = createMetrics(bus);
  const state = await openState(config, nodeId, app.log);
  const { presence, pushLog, redis } = state;
  const store = metrics.timeStore(state.store);
  // Kept with the database, so it changes exactly when the rooms' numbering starts again.
  const roomEpoch = await store.secret('room-epoch');
  // Demo mode without JWT_SECRET: the demo staff tokens are signed with a random secret only the
  // servers know (kept in the database, so every node accepts them), never with a guessable one.
  const jwtSecret = config.jwtSecret ?? (config.demo ? await store.secret('demo-jwt') : undefined);
  const identity = createIdentity({
    jwtSecret,
    jwtMaxAgeSeconds: config.jwtMaxAgeSeconds,
    allowGuests: config.allowGuests,
    sessionSecret: config.sessionSecret ?? (await store.secret('session')),
    reservedNames: createReservedNames({
      configured: config.reservedNames,
      redis: redis?.client,
      prefix: config.redisPrefix,
      log: app.log,
    }),
  });
  const limits = createLimits(config, redis?.client, app.log, metrics);
  if (!jwtSecret) app.log.info('JWT_SECRET is not set: user tokens are refused, only guests can chat');
  if (config.demo) app.log.warn('DEMO is on: GET /api/demo/staff-token makes anyone staff of the support inbox');
  if (!config.apiKey) app.log.info('API_KEY is not set: the backend HTTP API (POST routes) is off');
  if (!config.allowGuests && !config.jwtSecret) app.log.warn('ALLOW_GUESTS is off and JWT_SECRET is not set: nobody can connect');

  const io = createIo(app.server, config, app.log, metrics, isClosing);
  if (redis) io.adapter(redis.adapter);
  // Socket.IO types one Server for all namespaces; each namespace narrows to its own contract.
  const chatNsp = io.of('/chat') as unknown as ChatNamespace;
  const pushNsp = io.of('/push') as unknown as PushNamespace;
  // Limits first: a refused connection costs no token check.
  const admission = createAdmission(io, {
    limits,
    maxOpen: config.connectionsPerAddress,
    addressOf: createClientAddress(config.trustProxy),
    log: app.log,
    metrics,
  });
  for (const nsp of [chatNsp, pushNsp]) {
    admission.use(nsp);
    useIdentity(nsp, identity, app.log, metrics);
    logConnections(nsp, app.log);
  }
  const access = createRoomAccess(store);
  const rules = createRoomRules(store, limits);
  const bans = createBans(store, app.log);
  await bans.load();
  const chat = registerChat(chatNsp, {
    config,
    store,
    roomEpoch,
    presence,
    identity,
    access,
    bus,
    limits,
    rules,
    bans,
    log: app.log,
    metrics,
    isClosing,
  });
  presence.onDeparture(chat.announceLeft);
  registerInbox(chatNsp, {
    store,
    conversations: createConversations({ store, nsp: chatNsp, bus, access, log: app.log }),
    limits,
    log: app.log,
    metrics,
  });
  const moderation = createModeration({
    nsp: chatNsp,
    push: pushNsp,
    store,
    access,
    presence,
    rules,
    bans,
    bus,
    log: app.log,
    leave: chat.leaveFor,
    clustered: redis !== undefined,
  });
  registerModerationEvents(chatNsp, moderation, app.log, metrics);
  const uploadTokens = createUploadTokens(await store.secret('upload-token'));
  // Files uploaded and never sent go after a day; every node sweeps, deleting twice is harmless.
  const sweeper = setInterval(() => {
    store.sweepAttachments(Date.now() - unsentFileTtlMs).catch((err: unknown) => app.log.warn({ err }, 'attachment sweep failed'));
  }, 3600_000).unref();
  registerUploadTokens(chatNsp, { config, tokens: uploadTokens, rules, bans, access, chat, log: app.log, metrics });
  // After a Redis outage, clients catch up by cursor on what the outage kept from them: every
  // node's clients when our publishes were lost, our own clients when we missed the others'.
  redis?.onRecovered((connection) => {
    const [chatTargets, pushTargets] = connection === 'commands' ? [chatNsp, pushNsp] : [chatNsp.local, pushNsp.local];
    app.log.info({ connection }, 'asking clients to catch up on broadcasts lost to the Redis outage');
    chatTargets.emit('sync:hint', {});
    pushTargets.emit('sync:hint', {});
  });
  const messageRate = createMessageRate();
  bus.on('message.created', ({ message }) => messageRate.count(message.room));
  const push = registerPush(pushNsp, {
    pushLog,
    bus,
    identity,
    access,
    topicsPerSocket: config.roomsPerSocket,
    log: app.log,
    metrics,
    bans,
  });
  const live = createLive({
    clock: redis ? createRedisLiveClock(redis.client, config.redisPrefix, nodeId, config.liveIntervalMs) : createMemoryLiveClock(),
    publish: push.publish,
    hasSubscribers: async (topic) => {
      if (!redis) return (pushNsp.adapter.rooms.get(topic)?.size ?? 0) > 0;
      // Once per tick, not per message: the cluster-wide query is affordable here.
      return (
        (
          await pushNsp
            .in(topic)
            .fetchSockets()
            .catch(() => [1])
        ).length > 0
      );
    },
    connections: () => io.engine.clientsCount,
    nodeName: config.nodeName,
    intervalMs: config.liveIntervalMs,
    durationMs: config.liveDurationMs,
    log: app.log,
  });
  const webhooks =
    config.webhookUrl && config.webhookSecret
      ? startWebhooks({
          url: config.webhookUrl,
          secret: config.webhookSecret,
          events: config.webhookEvents,
          maxAttempts: config.webhookMaxAttempts,
          queueSize: config.webhookQueueSize,
          timeoutMs: config.webhookTimeoutMs,
          bus,
          log: app.log,
        })
      : undefined;
  metrics.observe({
    namespaces: { '/chat': chatNsp, '/push': pushNsp },
    chatRooms: chatNsp.adapter,
    redisUp: redis ? () => redis.client.isReady && redis.sub.isReady : undefined,
    webhookQueueDepth: () => webhooks?.depth() ?? 0,
  });

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (err.validation) error = new AppError('bad_request', err.message);
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') error = new AppError('too_large', 'The body is too large.');
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      error = new AppError('bad_request', err.message);
    } else {
      req.log.error({ err }, 'request failed');
      error = new AppError('internal', 'Something went wrong on the server.');
    }
    // Refused before its body arrived (a bad key, a body too large): close rather than read the
    // rest, which may be megabytes. Fastify says `Connection: close` after its own body errors
    // too; destroying the socket once the answer is written also stops Node reading on meanwhile.
    if (!req.raw.complete) {
      reply.header('connection', 'close');
      reply.raw.once('finish', () => req.raw.socket?.destroy());
    }
    return reply.code(error.status).send({ ok: false, error: error.toBody() });
  });
  // People who follow a bad link get a page; programs (the API, anything not asking for HTML) JSON.
  const problemPage = await loadProblemPage();
  app.setNotFoundHandler((req, reply) =>
    wantsPage(req)
      ? problemPage(reply, 'not-found')
      : reply.code(404).send({ ok: false, error: { code: 'not_found', message: `No route for ${req.method} ${req.url}.` } }),
  );

  // The Host header is checked before anything uses it, so a malformed one is refused, never reflected.
  app.addHook('onRequest', async (req) => {
    const { host } = req.headers;
    if (host !== undefined && !validHost(host)) throw new AppError('bad_request', 'The Host header is not a valid host[:port].');
  });
  useBoundedJsonParser(app);
  // Response schemas are there to be published (OpenAPI), not to shape answers: Fastify's own
  // serializer would drop any field they do not name, so every reply is JSON.stringify'd as if
  // the route had none, and tests/schemas.test.ts checks the real answers against the document.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await registerDocs(app);
  const origins = createOriginPolicy(config);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", (req) => origins.webSocketSources(req.headers.host)],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    },
  });
  await app.register(fastifyStatic, { root: publicDir, prefix: '/' });
  await app.register(fastifyStatic, { root: webBuildDir, prefix: '/assets/', decorateReply: false });
  await registerWidget(app, { config });
  app.get<{ Params: { room: string } }>('/rooms/:room', (req, reply) =>
    roomName.test(req.params.room)
      ? reply.sendFile('room.html')
      : wantsPage(req)
        ? problemPage(reply, 'bad-room')
        : reply.code(404).send({ ok: false, error: { code: 'not_found', message: 'No such room name.' } }),
  );
  const checks: Record<string, () => Promise<void>> = { store: store.check };
  if (redis) checks.redis = redis.check;
  registerRoutes(app, { config, store, roomEpoch, presence, identity, access, chat, isClosing, checks });
  await registerAttachmentRoutes(app, { config, store, identity, access, tokens: uploadTokens, limits, bans, origins });
  registerMetricsRoute(app, { token: config.metricsToken, metrics });
  const overview = createOverview({
    chat: chatNsp,
    push: pushNsp,
    presence,
    store,
    rate: messageRate,
    nodeName: config.nodeName,
    clustered: redis !== undefined,
    log: app.log,
  });
  registerAdmin(app, { config, identity, overview });
  registerInboxPage(app, { config, jwtSecret });
  registerModerationRoutes(app, { config, identity, moderation, rules });
  await registerPushRoutes(app, {
    config,
    push,
    live,
    identity,
    access,
    rateLimitStore: redis ? redisRateLimitStore(redis.client, config.redisPrefix) : undefined,
  });

  async function shutdown(): Promise<void> {
    if (io.engine.clientsCount > 0) {
      await drain([chatNsp, pushNsp], { perSecond: config.drainRate, maxMs: options.drainMs ?? config.drainMs });
    }
    live.close();
    bans.close();
    clearInterval(sweeper);
    webhooks?.close();
    io.engine.close();
    await app.close();
    await presence.close();
    chat.flushPresence();
    await Promise.all([store.close(), pushLog.close()]);
    await redis?.close();
  }

  return {
    app,
    io,
    store,
    live,
    /** Idempotent: a second SIGTERM waits for the same shutdown. */
    close: () => (closing ??= shutdown()),
  };
}

export type App = Awaited<ReturnType<typeof buildApp>>;
