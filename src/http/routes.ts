import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { RoomAccess } from '../access.js';
import type { Config } from '../config.js';
import { apiKeyHook, roomReaderHook } from './auth.js';
import { apiKeyIdentity, cleanName, type IdentityService } from '../identity.js';
import { HistoryResult } from '../schemas/chat.js';
import { Failure } from '../schemas/common.js';
import { HistoryQuery, Ok, PostMessageBody, PostMessageResult, RoomList, RoomParams } from '../schemas/http.js';
import type { Chat } from '../realtime/chat.js';
import type { Presence } from '../realtime/presence.js';
import type { Store } from '../store/store.js';
import { messageText } from '../validation.js';

export interface RouteDeps {
  config: Config;
  store: Store;
  /** The rooms' epoch, as `room:join` gives it. */
  roomEpoch: string;
  presence: Presence;
  identity: IdentityService;
  /** Who may see a room (access.ts). */
  access: RoomAccess;
  chat: Chat;
  isClosing: () => boolean;
  /** What /readyz asks, by name: each throws when its dependency is down. */
  checks: Record<string, () => Promise<void>>;
}

/**
 * Every error answer's body. Response schemas document the routes (the OpenAPI document) without
 * shaping what is sent: app.ts serializes every reply with JSON.stringify.
 */
export const failures = { '4xx': Failure, '5xx': Failure };

/** The HTTP API of the contract (section 5) that the chat needs. */
export function registerRoutes(fastify: FastifyInstance, deps: RouteDeps) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config, store, presence } = deps;

  app.get(
    '/healthz',
    { schema: { summary: 'Liveness: 200 while the process serves.', tags: ['health'], response: { 200: Ok } } },
    async () => ({ ok: true as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 when the store (and Redis, when configured) answer, else 503 saying what is down.',
        tags: ['health'],
        response: { 200: Ok, 503: Failure },
      },
    },
    async (_req, reply) => {
      const down: string[] = [];
      if (deps.isClosing()) down.push('server (shutting down)');
      await Promise.all(Object.entries(deps.checks).map(([name, check]) => check().catch(() => down.push(name))));
      if (down.length > 0) {
        return reply.code(503).send({ ok: false, error: { code: 'unavailable', message: `Down: ${down.join(', ')}.` } });
      }
      return { ok: true as const };
    },
  );

  app.get(
    '/api/rooms',
    {
      schema: {
        summary: 'The public rooms with someone in them, busiest first (up to 100), and the public rooms most recently active (up to 50).',
        tags: ['chat'],
        response: { 200: RoomList, ...failures },
      },
    },
    async () => {
      const [busiest, recent] = await Promise.all([presence.busiest(100), store.recentRooms(50)]);
      const lastSeqs = await store.lastSeqs(busiest.map((r) => r.room));
      return { rooms: busiest.map((r) => ({ ...r, count: r.members, lastSeq: lastSeqs.get(r.room) ?? 0 })), recent };
    },
  );

  app.get(
    '/api/rooms/:room/messages',
    {
      onRequest: roomReaderHook(deps.identity, deps.access),
      schema: {
        summary:
          "A room's messages, oldest first; a private room needs a user token that lists it, a support conversation its visitor's token or guest session, or a staff token.",
        tags: ['chat'],
        // A public room needs no credentials, a private one a user's JWT (or a guest's session, its own conversation).
        security: [{}, { userToken: [] }],
        params: RoomParams,
        querystring: HistoryQuery,
        response: { 200: HistoryResult, ...failures },
      },
    },
    async (req) => {
      const { room } = req.params;
      const { limit, ...range } = req.query;
      const page = await store.history(room, { ...range, limit: Math.min(limit ?? config.historyLimit, config.historyMaxLimit) });
      return { ...page, epoch: deps.roomEpoch };
    },
  );

  app.post(
    '/api/rooms/:room/messages',
    {
      onRequest: apiKeyHook(config.apiKey),
      // Room for the longest text even if every character arrives as a JSON escape pair.
      bodyLimit: 4096 + config.maxMessageLength * 12,
      schema: {
        summary: 'A backend posts into a room; stored and broadcast like any message.',
        tags: ['chat'],
        security: [{ apiKey: [] }],
        params: RoomParams,
        body: PostMessageBody,
        response: { 201: PostMessageResult, ...failures },
      },
    },
    async (req, reply) => {
      const { author, clientId } = req.body;
      const { room } = req.params;
      // The API key may write in any room but a `conv-`/`note-` room no conversation owns. In a
      // conversation it writes as staff, unless it writes as the visitor (a reply that came by e-mail).
      await deps.access.must(apiKeyIdentity, room);
      const visitor = await deps.access.visitorOf(room);
      const staff = visitor !== undefined && author?.id !== visitor ? { staff: true as const } : {};
      const message = await deps.chat.post({
        room,
        text: messageText(req.body.text, config.maxMessageLength),
        author: author
          ? { id: author.id, name: cleanName(author.name) || author.id, kind: 'user', ...staff }
          : { id: 'system', name: 'System', kind: 'system', ...staff },
        ...(clientId === undefined ? {} : { clientId }),
      });
      return reply.code(201).send({ message });
    },
  );
}
