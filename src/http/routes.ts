import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { bearer, requireApiKey } from './auth.js';
import { cleanName, type IdentityService, mayJoin } from '../identity.js';
import type { HistoryResult, Message, RoomSummary } from '../protocol.js';
import type { Chat } from '../realtime/chat.js';
import type { Presence } from '../realtime/presence.js';
import type { Store } from '../store/store.js';
import { messageText, roomPattern } from '../validation.js';

export interface RouteDeps {
  config: Config;
  store: Store;
  /** The rooms' epoch, as `room:join` gives it. */
  roomEpoch: string;
  presence: Presence;
  identity: IdentityService;
  chat: Chat;
  isClosing: () => boolean;
  /** What /readyz asks, by name: each throws when its dependency is down. */
  checks: Record<string, () => Promise<void>>;
}

export const roomParams = {
  type: 'object',
  properties: { room: { type: 'string', pattern: roomPattern } },
  required: ['room'],
} as const;

/** The HTTP API of the contract (section 5) that the chat needs. */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { config, store, presence } = deps;

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_req, reply) => {
    const down: string[] = [];
    if (deps.isClosing()) down.push('server (shutting down)');
    await Promise.all(Object.entries(deps.checks).map(([name, check]) => check().catch(() => down.push(name))));
    if (down.length > 0) {
      return reply.code(503).send({ ok: false, error: { code: 'unavailable', message: `Down: ${down.join(', ')}.` } });
    }
    return { ok: true };
  });

  app.get('/api/rooms', async (): Promise<{ rooms: RoomSummary[] }> => {
    const busiest = await presence.busiest(100);
    const lastSeqs = await store.lastSeqs(busiest.map((r) => r.room));
    return { rooms: busiest.map((r) => ({ ...r, count: r.members, lastSeq: lastSeqs.get(r.room) ?? 0 })) };
  });

  app.get<{ Params: { room: string }; Querystring: { before?: number; after?: number; limit?: number } }>(
    '/api/rooms/:room/messages',
    {
      schema: {
        params: roomParams,
        querystring: {
          type: 'object',
          properties: {
            before: { type: 'integer', minimum: 0 },
            after: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (req): Promise<HistoryResult> => {
      const { room } = req.params;
      if (room.startsWith('private-')) {
        const token = bearer(req);
        if (!token) throw new AppError('unauthorized', 'A private room needs a user token.');
        if (!mayJoin(await deps.identity.verifyToken(token), room)) {
          throw new AppError('forbidden', `You may not read ${room}.`);
        }
      }
      const { limit, ...range } = req.query;
      const page = await store.history(room, { ...range, limit: Math.min(limit ?? config.historyLimit, config.historyMaxLimit) });
      return { ...page, epoch: deps.roomEpoch };
    },
  );

  app.post<{
    Params: { room: string };
    Body: { text: string; author?: { id: string; name: string }; clientId?: string };
  }>(
    '/api/rooms/:room/messages',
    {
      schema: {
        params: roomParams,
        body: {
          type: 'object',
          properties: {
            text: { type: 'string', minLength: 1 },
            author: {
              type: 'object',
              properties: {
                id: { type: 'string', minLength: 1, maxLength: 128 },
                name: { type: 'string', minLength: 1, maxLength: 40 },
              },
              required: ['id', 'name'],
            },
            clientId: { type: 'string', minLength: 1, maxLength: 64 },
          },
          required: ['text'],
        },
      },
    },
    async (req, reply): Promise<{ message: Message }> => {
      requireApiKey(req, config.apiKey);
      const { author, clientId } = req.body;
      const message = await deps.chat.post({
        room: req.params.room,
        text: messageText(req.body.text, config.maxMessageLength),
        author: author ? { id: author.id, name: cleanName(author.name) || author.id, kind: 'user' } : { id: 'system', name: 'System', kind: 'system' },
        ...(clientId === undefined ? {} : { clientId }),
      });
      reply.code(201);
      return { message };
    },
  );
}
