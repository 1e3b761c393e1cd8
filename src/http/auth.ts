import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AppError } from '../errors.js';

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
