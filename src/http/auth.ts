import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AppError } from '../errors.js';
import type { RoomAccess } from '../access.js';
import { apiKeyIdentity, type Identity, type IdentityService, isConversationRoom, isModerator } from '../identity.js';

/** The credentials of `Authorization: Bearer <credentials>`; the scheme is case-insensitive (RFC 9110). */
export function bearer(req: FastifyRequest): string | undefined {
  const match = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** True when the request's bearer credentials are `expected`, compared in constant time. */
export function bearerIs(req: FastifyRequest, expected: string): boolean {
  const given = Buffer.from(bearer(req) ?? '');
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Throws `unauthorized` unless the request carries the API key. */
function requireApiKey(req: FastifyRequest, apiKey: string | undefined): void {
  if (!apiKey) throw new AppError('unauthorized', 'The backend API is off: API_KEY is not set.');
  if (!bearerIs(req, apiKey)) throw new AppError('unauthorized', 'A valid API key is required.');
}

/**
 * The API key check as a route's `onRequest` hook: it runs before Fastify reads the body, so a
 * request without the key costs no parsing or validation, whatever it carries.
 */
export function apiKeyHook(apiKey: string | undefined): onRequestAsyncHookHandler {
  return async (req) => requireApiKey(req, apiKey);
}

/** From here on the request's log lines, the one saying it was answered included, name its user. */
export function logAs(req: FastifyRequest, reply: FastifyReply, user: string): void {
  req.log = req.log.child({ user });
  reply.log = req.log;
}

const moderators = new WeakMap<FastifyRequest, Identity>();

/**
 * The moderation routes' `onRequest` hook (protocol 6.4), before the body is read like the API key's:
 * the API key acts as an admin; a user JWT must moderate some room (`admin` or `moderates`), else
 * `forbidden`; without either, `unauthorized`. Each route then checks the room with `mayModerate`.
 */
export function moderatorHook(apiKey: string | undefined, identity: IdentityService): onRequestAsyncHookHandler {
  return async (req, reply) => {
    const credentials = bearer(req);
    if (credentials === undefined) throw new AppError('unauthorized', 'The API key or a moderator token is required.');
    const who = apiKey && bearerIs(req, apiKey) ? apiKeyIdentity : await identity.verifyToken(credentials);
    logAs(req, reply, who.user.id);
    if (!isModerator(who)) throw new AppError('forbidden', 'This token moderates no room.');
    moderators.set(req, who);
  };
}

/** Who a request that passed `moderatorHook` acts as. */
export function moderatorOf(req: FastifyRequest): Identity {
  const who = moderators.get(req);
  if (!who) throw new Error('moderatorOf() on a route without moderatorHook');
  return who;
}

/**
 * The `onRequest` hook of the routes that read a room (its messages, its files): a public room
 * needs nothing; a private room a user JWT, a support conversation's rooms a JWT or a guest's
 * `session` (protocol 6.5) as bearer credentials, which access.ts then decides on.
 */
export function roomReaderHook(identity: IdentityService, access: RoomAccess): onRequestAsyncHookHandler {
  return async (req, reply) => {
    const { room } = req.params as { room: string };
    const conversation = isConversationRoom(room);
    if (!conversation && !room.startsWith('private-')) return;
    const credentials = bearer(req);
    if (!credentials) throw new AppError('unauthorized', `${room} needs a user token${conversation ? " or the guest's session" : ''}.`);
    const who = conversation ? await identity.fromBearer(credentials) : await identity.verifyToken(credentials);
    logAs(req, reply, who.user.id);
    if (!(await access.may(who, room))) throw new AppError('forbidden', `You may not read ${room}.`);
  };
}
