import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { moderatorHook, moderatorOf } from '../http/auth.js';
import type { IdentityService } from '../identity.js';
import { failures } from '../http/routes.js';
import { Ok } from '../schemas/http.js';
import { type Moderation, mustModerate } from './moderation.js';
import type { RoomRules } from './room-rules.js';
import {
  AuditPage,
  AuditQuery,
  BanList,
  BanParams,
  BanRequest,
  BanResult,
  BansQuery,
  DeleteResult,
  KickBody,
  MemberList,
  MessageParams,
  ReasonQuery,
  RoomParams,
  SettingsPatch,
  SettingsResult,
} from './schemas.js';

export interface ModerationRouteDeps {
  config: Config;
  identity: IdentityService;
  moderation: Moderation;
  rules: RoomRules;
}

/**
 * The moderation HTTP API (protocol 6.4), for the API key (an admin) or a moderator's JWT, checked
 * before the body is read; each action then does what its socket event does.
 */
export function registerModerationRoutes(fastify: FastifyInstance, { config, identity, moderation, rules }: ModerationRouteDeps) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const onRequest = moderatorHook(config.apiKey, identity);
  /** What every route's schema shares: published under `moderation`, for the API key or a moderator's JWT. */
  const documented = { tags: ['moderation'], security: [{ apiKey: [] }, { userToken: [] }] as Record<string, string[]>[] };

  app.delete(
    '/api/rooms/:room/messages/:seq',
    {
      onRequest,
      schema: {
        ...documented,
        summary: 'Delete a message: a `delete` entry takes the next seq (as `message:delete`).',
        params: MessageParams,
        querystring: ReasonQuery,
        response: { 200: DeleteResult, ...failures },
      },
    },
    async (req) => ({
      message: await moderation.deleteMessage(moderatorOf(req), { ...req.params, ...req.query }),
    }),
  );

  app.post(
    '/api/rooms/:room/kick',
    {
      onRequest,
      schema: {
        ...documented,
        summary: "Remove a user's sockets from the room on every node (as `room:kick`).",
        params: RoomParams,
        body: KickBody,
        response: { 200: Ok, ...failures },
      },
    },
    async (req) => {
      await moderation.kick(moderatorOf(req), { room: req.params.room, ...req.body });
      return { ok: true as const };
    },
  );

  app.get(
    '/api/rooms/:room/settings',
    {
      onRequest,
      schema: {
        ...documented,
        summary: "A room's slow mode and read-only setting.",
        params: RoomParams,
        response: { 200: SettingsResult, ...failures },
      },
    },
    async (req) => {
      mustModerate(moderatorOf(req), req.params.room);
      return { settings: await rules.settings(req.params.room) };
    },
  );

  app.put(
    '/api/rooms/:room/settings',
    {
      onRequest,
      schema: {
        ...documented,
        summary: "Change a room's settings; what is absent stays (as `room:configure`).",
        params: RoomParams,
        body: SettingsPatch,
        response: { 200: SettingsResult, ...failures },
      },
    },
    async (req) => ({
      settings: await moderation.configure(moderatorOf(req), { room: req.params.room, ...req.body }),
    }),
  );

  app.post(
    '/api/bans',
    {
      onRequest,
      schema: {
        ...documented,
        summary: 'Ban a user id or an address from a room or every room, for a time or for good; in force on every node at once.',
        body: BanRequest,
        response: { 201: BanResult, ...failures },
      },
    },
    async (req, reply) => {
      const ban = await moderation.ban(moderatorOf(req), req.body);
      reply.code(201);
      return { ban };
    },
  );

  app.get(
    '/api/bans',
    {
      onRequest,
      schema: {
        ...documented,
        summary: 'The bans in force, newest first.',
        querystring: BansQuery,
        response: { 200: BanList, ...failures },
      },
    },
    async (req) => ({
      bans: moderation.listBans(moderatorOf(req), req.query.room),
    }),
  );

  app.delete(
    '/api/bans/:id',
    { onRequest, schema: { ...documented, summary: 'Lift a ban.', params: BanParams, response: { 200: BanResult, ...failures } } },
    async (req) => ({
      ban: await moderation.lift(moderatorOf(req), req.params.id),
    }),
  );

  app.get(
    '/api/rooms/:room/members',
    {
      onRequest,
      schema: {
        ...documented,
        summary: 'Who is in the room on every node, with the addresses they connect from (admins only).',
        params: RoomParams,
        response: { 200: MemberList, ...failures },
      },
    },
    async (req) => ({
      members: await moderation.members(moderatorOf(req), req.params.room),
    }),
  );

  app.get(
    '/api/audit',
    {
      onRequest,
      schema: {
        ...documented,
        summary: 'The moderation actions, oldest first after `after`.',
        querystring: AuditQuery,
        response: { 200: AuditPage, ...failures },
      },
    },
    (req) => moderation.auditLog(moderatorOf(req), req.query),
  );
}
