import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { IdentityService } from '../identity.js';
import type { Overview } from '../realtime/overview.js';
import { AdminOverview } from '../schemas/http.js';
import { moderatorHook, moderatorOf } from './auth.js';
import { failures } from './routes.js';

export interface AdminDeps {
  config: Config;
  identity: IdentityService;
  overview: Overview;
}

/** The admin console (docs/console.md): its page, and the overview it polls (protocol 6.4). */
export function registerAdmin(fastify: FastifyInstance, deps: AdminDeps) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/admin', (_req, reply) => reply.sendFile('admin.html'));

  app.get(
    '/api/admin/overview',
    {
      // The moderators' check (the API key, or a JWT that moderates some room), then admins only.
      onRequest: [
        moderatorHook(deps.config.apiKey, deps.identity),
        async (req) => {
          if (!moderatorOf(req).admin) throw new AppError('forbidden', 'The overview is for admins only.');
        },
      ],
      schema: {
        summary: "Every node's connections and rooms, and the rooms' members and messages per minute (admins only).",
        tags: ['moderation'],
        security: [{ apiKey: [] }, { userToken: [] }],
        response: { 200: AdminOverview, ...failures },
      },
    },
    () => deps.overview.gather(),
  );
}
