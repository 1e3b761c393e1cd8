import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** Throws `unauthorized` unless the request carries the API key (compared in constant time). */
export function requireApiKey(req: FastifyRequest, apiKey: string | undefined): void {
  if (!apiKey) throw new AppError('unauthorized', 'The backend API is off: API_KEY is not set.');
  const given = Buffer.from(bearer(req) ?? '');
  const expected = Buffer.from(apiKey);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('unauthorized', 'A valid API key is required.');
  }
}
