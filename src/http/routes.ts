import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { apiKeyHook, bearer } from './auth.js';
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

/** PostgreSQL cannot store NUL in text: such strings are refused here, not failed there. */
const withoutNul = '^[^\\u0000]*$';
/** The largest seq a client may name: beyond it a JSON number is no longer exact. */
const seq = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

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
      onRequest: async (req) => {
        const { room } = req.params;
        if (!room.startsWith('private-')) return;
        const token = bearer(req);
        if (!token) throw new AppError('unauthorized', 'A private room needs a user token.');
        if (!mayJoin(await deps.identity.verifyToken(token), room)) {
          throw new AppError('forbidden', `You may not read ${room}.`);
        }
      },
      schema: {
        params: roomParams,
        querystring: {
          type: 'object',
          properties: { before: seq, after: seq, limit: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (req): Promise<HistoryResult> => {
      const { room } = req.params;
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
      onRequest: apiKeyHook(config.apiKey),
      // Room for the longest text even if every character arrives as a JSON escape pair.
      bodyLimit: 4096 + config.maxMessageLength * 12,
      schema: {
        params: roomParams,
        body: {
          type: 'object',
          properties: {
            text: { type: 'string', minLength: 1 },
            author: {
              type: 'object',
              properties: {
                id: { type: 'string', minLength: 1, maxLength: 128, pattern: withoutNul },
                name: { type: 'string', minLength: 1, maxLength: 40 },
              },
              required: ['id', 'name'],
            },
            clientId: { type: 'string', minLength: 1, maxLength: 64, pattern: withoutNul },
          },
          required: ['text'],
        },
      },
    },
    async (req, reply): Promise<{ message: Message }> => {
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
