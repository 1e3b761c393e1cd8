import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { moderatorHook, moderatorOf } from '../http/auth.js';
import type { IdentityService } from '../identity.js';
import type { Message } from '../protocol.js';
import { type Moderation, mustModerate } from './moderation.js';
import type { RoomRules } from './room-rules.js';
import {
  AuditQuery,
  BanParams,
  BanRequest,
  BansQuery,
  KickBody,
  MessageParams,
  ReasonQuery,
  RoomParams,
  SettingsPatch,
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

  app.delete(
    '/api/rooms/:room/messages/:seq',
    { onRequest, schema: { params: MessageParams, querystring: ReasonQuery } },
    async (req): Promise<{ message: Message }> => ({
      message: await moderation.deleteMessage(moderatorOf(req), { ...req.params, ...req.query }),
    }),
  );

  app.post('/api/rooms/:room/kick', { onRequest, schema: { params: RoomParams, body: KickBody } }, async (req) => {
    await moderation.kick(moderatorOf(req), { room: req.params.room, ...req.body });
    return { ok: true as const };
  });

  app.get('/api/rooms/:room/settings', { onRequest, schema: { params: RoomParams } }, async (req) => {
    mustModerate(moderatorOf(req), req.params.room);
    return { settings: await rules.settings(req.params.room) };
  });

  app.put('/api/rooms/:room/settings', { onRequest, schema: { params: RoomParams, body: SettingsPatch } }, async (req) => ({
    settings: await moderation.configure(moderatorOf(req), { room: req.params.room, ...req.body }),
  }));

  app.post('/api/bans', { onRequest, schema: { body: BanRequest } }, async (req, reply) => {
    const ban = await moderation.ban(moderatorOf(req), req.body);
    reply.code(201);
    return { ban };
  });

  app.get('/api/bans', { onRequest, schema: { querystring: BansQuery } }, async (req) => ({
    bans: moderation.listBans(moderatorOf(req), req.query.room),
  }));

  app.delete('/api/bans/:id', { onRequest, schema: { params: BanParams } }, async (req) => ({
    ban: await moderation.lift(moderatorOf(req), req.params.id),
  }));

  app.get('/api/rooms/:room/members', { onRequest, schema: { params: RoomParams } }, async (req) => ({
    members: await moderation.members(moderatorOf(req), req.params.room),
  }));

  app.get('/api/audit', { onRequest, schema: { querystring: AuditQuery } }, (req) => moderation.auditLog(moderatorOf(req), req.query));
}
