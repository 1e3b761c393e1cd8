import { randomBytes } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { DemoStaffToken } from '../schemas/demo.js';
import { failures } from './routes.js';

export interface InboxPageDeps {
  config: Config;
  /** What user tokens are signed with: JWT_SECRET, or in demo mode without it the server's own (app.ts). */
  jwtSecret: string | undefined;
}

/** The demo inbox (docs/inbox.md): the one `/demo` links to. */
export const DEMO_INBOX = 'support';
/** A demo staff token's lifetime: long enough to try the inbox, short enough not to be worth keeping. */
const DEMO_TOKEN_SECONDS = 3600;

/**
 * The staff's inbox page (`/inbox`, issue 14) and, with DEMO=1 only, the route that hands anyone a
 * short-lived staff token of the demo inbox, which `/inbox?demo` signs in with.
 */
export function registerInboxPage(fastify: FastifyInstance, { config, jwtSecret }: InboxPageDeps) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/inbox', (_req, reply) => reply.sendFile('inbox.html'));

  const key = jwtSecret ? new TextEncoder().encode(jwtSecret) : undefined;
  app.get(
    '/api/demo/staff-token',
    {
      schema: {
        summary: `DEMO=1 only (else 404): a 1-hour staff token of the "${DEMO_INBOX}" inbox for anyone who asks, so /inbox?demo can be tried.`,
        tags: ['inbox'],
        response: { 200: DemoStaffToken, ...failures },
      },
    },
    async (_req, reply) => {
      if (!config.demo || !key) throw new AppError('not_found', 'Demo mode is off (DEMO is not set).');
      const now = Math.floor(Date.now() / 1000);
      const exp = now + Math.min(DEMO_TOKEN_SECONDS, config.jwtMaxAgeSeconds);
      // Each visitor of the demo is a staff member of their own, so assigning shows who is who.
      const id = randomBytes(3).toString('hex');
      const token = await new SignJWT({ name: `Demo staff ${id}`, inboxes: [DEMO_INBOX] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`demo-staff-${id}`)
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(key);
      reply.header('cache-control', 'no-store');
      return { token, expiresAt: exp * 1000 };
    },
  );
}
