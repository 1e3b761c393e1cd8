import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { RoomAccess } from '../access.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { type IdentityService, isConversationRoom } from '../identity.js';
import type { Live } from '../live.js';
import type { PushService } from '../realtime/push.js';
import { LiveResult, maxBatch, PushBody, PushSent, RoomParams } from '../schemas/http.js';
import { apiKeyHook, roomReaderHook } from './auth.js';
import { failures } from './routes.js';

export interface PushRouteDeps {
  config: Config;
  push: PushService;
  live: Live;
  identity: IdentityService;
  /** Who may see a room (access.ts): live data goes to a support conversation's topic only at its reader's asking. */
  access: RoomAccess;
  /** Shares the live route's limit across nodes; in memory when absent. */
  rateLimitStore: FastifyRateLimitStoreCtor | undefined;
}

/** Largest `data` of one push, as JSON. */
const maxDataBytes = 64 * 1024;
/** The live route takes no body; a page's `{}` fits. */
const liveBodyLimit = 1024;

/** The push half of the HTTP API: `POST /api/push` and the room page's live data. */
export async function registerPushRoutes(fastify: FastifyInstance, deps: PushRouteDeps) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config, push, live } = deps;
  const readerHook = roomReaderHook(deps.identity, deps.access);

  await app.register(rateLimit, {
    global: false,
    ...(deps.rateLimitStore ? { store: deps.rateLimitStore } : {}),
    // A limiter that cannot count (Redis down) lets requests through rather than failing them.
    skipOnError: true,
    // What the builder returns is thrown, so the app's error handler shapes the body.
    errorResponseBuilder: (_req, context) =>
      new AppError('rate_limited', 'Too many requests; try again later.', context.ttl) as unknown as object,
  });

  app.post(
    '/api/push',
    {
      onRequest: apiKeyHook(config.apiKey),
      bodyLimit: maxBatch * (maxDataBytes + 1024),
      schema: {
        summary: 'A backend pushes to topics: one push, or a batch accepted whole or not at all.',
        tags: ['push'],
        security: [{ apiKey: [] }],
        body: PushBody,
        response: { 202: PushSent, ...failures },
      },
    },
    async (req, reply) => {
      const inputs = 'pushes' in req.body ? req.body.pushes : [req.body];
      // Check every push before sending any: a batch is accepted whole or not at all.
      for (const [i, input] of inputs.entries()) {
        if (Buffer.byteLength(JSON.stringify(input.data) ?? '') > maxDataBytes) {
          throw new AppError('too_large', `Push ${i}: data must be at most ${maxDataBytes} bytes as JSON.`);
        }
      }
      const sent = [];
      for (const input of inputs) {
        const { id, seq, topic } = await push.publish(input.topic, input.event ?? 'message', input.data);
        sent.push({ id, seq, topic });
      }
      return reply.code(202).send({ pushes: sent });
    },
  );

  app.post(
    '/api/rooms/:room/live',
    // The limit is counted in onRequest, before the (tiny) body is read.
    {
      bodyLimit: liveBodyLimit,
      schema: {
        summary:
          "The room page's live data: pushes `live` to `room:<room>` every 2 s for 60 s; a second call extends it. A support conversation's rooms need the credentials that may read them.",
        tags: ['push'],
        security: [{}, { userToken: [] }],
        params: RoomParams,
        response: { 202: LiveResult, ...failures },
      },
      config: { rateLimit: { max: 10, timeWindow: 60_000 } },
      // A stranger must not make pushes appear in someone's conversation (protocol 6.5); other rooms stay open to all.
      onRequest: async (req, reply) => {
        if (isConversationRoom((req.params as { room: string }).room)) await readerHook.call(fastify, req, reply);
      },
    },
    async (req, reply) => reply.code(202).send({ ok: true as const, until: await live.start(req.params.room) }),
  );
}
