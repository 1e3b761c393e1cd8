import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Live } from '../live.js';
import type { LiveResult, Push } from '../protocol.js';
import type { PushService } from '../realtime/push.js';
import { topicPattern } from '../validation.js';
import { apiKeyHook } from './auth.js';
import { roomParams } from './routes.js';

export interface PushRouteDeps {
  config: Config;
  push: PushService;
  live: Live;
  /** Shares the live route's limit across nodes; in memory when absent. */
  rateLimitStore: FastifyRateLimitStoreCtor | undefined;
}

/** Largest `data` of one push, as JSON. */
const maxDataBytes = 64 * 1024;
const maxBatch = 100;
/** The live route takes no body; a page's `{}` fits. */
const liveBodyLimit = 1024;

const pushSchema = {
  type: 'object',
  properties: {
    topic: { type: 'string', pattern: topicPattern },
    event: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    data: {},
  },
  required: ['topic', 'data'],
} as const;

interface PushInput {
  topic: string;
  event?: string;
  data: unknown;
}

/** The push half of the HTTP API: `POST /api/push` and the room page's live data. */
export async function registerPushRoutes(app: FastifyInstance, deps: PushRouteDeps) {
  const { config, push, live } = deps;

  await app.register(rateLimit, {
    global: false,
    ...(deps.rateLimitStore ? { store: deps.rateLimitStore } : {}),
    // A limiter that cannot count (Redis down) lets requests through rather than failing them.
    skipOnError: true,
    // What the builder returns is thrown, so the app's error handler shapes the body.
    errorResponseBuilder: (_req, context) =>
      new AppError('rate_limited', 'Too many requests; try again later.', context.ttl) as unknown as object,
  });

  app.post<{ Body: PushInput | { pushes: PushInput[] } }>(
    '/api/push',
    {
      onRequest: apiKeyHook(config.apiKey),
      bodyLimit: maxBatch * (maxDataBytes + 1024),
      schema: {
        body: {
          anyOf: [
            pushSchema,
            {
              type: 'object',
              properties: { pushes: { type: 'array', items: pushSchema, minItems: 1, maxItems: maxBatch } },
              required: ['pushes'],
            },
          ],
        },
      },
    },
    async (req, reply): Promise<{ pushes: Pick<Push, 'id' | 'seq' | 'topic'>[] }> => {
      const inputs = 'pushes' in req.body ? req.body.pushes : [req.body];
      // Check every push before sending any: a batch is accepted whole or not at all.
      for (const [i, input] of inputs.entries()) {
        if (Buffer.byteLength(JSON.stringify(input.data) ?? '') > maxDataBytes) {
          throw new AppError('too_large', `Push ${i}: data must be at most ${maxDataBytes} bytes as JSON.`);
        }
      }
      const sent: Pick<Push, 'id' | 'seq' | 'topic'>[] = [];
      for (const input of inputs) {
        const { id, seq, topic } = await push.publish(input.topic, input.event ?? 'message', input.data);
        sent.push({ id, seq, topic });
      }
      reply.code(202);
      return { pushes: sent };
    },
  );

  app.post<{ Params: { room: string } }>(
    '/api/rooms/:room/live',
    // The limit is counted in onRequest, before the (tiny) body is read.
    { bodyLimit: liveBodyLimit, schema: { params: roomParams }, config: { rateLimit: { max: 10, timeWindow: 60_000 } } },
    async (req, reply): Promise<LiveResult> => {
      reply.code(202);
      return { ok: true, until: await live.start(req.params.room) };
    },
  );
}
