import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { buildAsyncApi } from '../asyncapi.js';
import { projectRoot } from '../paths.js';

const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };

/**
 * `GET /api/openapi.json` (OpenAPI 3.1, gathered by @fastify/swagger from the routes' own schemas)
 * and `GET /api/asyncapi.json` (AsyncAPI 3, src/asyncapi.ts). Registered before the routes, so
 * @fastify/swagger sees them all; routes without tags (pages, assets, the widget script) stay out.
 */
export async function registerDocs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'roomcast',
        version,
        description:
          'The HTTP API of roomcast. Every error answers `{ ok: false, error: { code, message } }` with the matching status. The socket side (namespaces /chat and /push) is described by /api/asyncapi.json.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              "`Authorization: Bearer <API_KEY>`, the backend's key (the scheme name is case-insensitive). Without API_KEY set these routes answer 401.",
          },
          userToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: "`Authorization: Bearer <JWT>`, a user token signed with JWT_SECRET (HS256), as a socket's `auth.token`.",
          },
          uploadToken: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              "`Authorization: Upload <token>`: a short-lived upload token from `/chat`'s `upload:token` (names the user and the room, lives 5 minutes).",
          },
        },
      },
    },
    hideUntagged: true,
  });

  const asyncapi = buildAsyncApi(version);
  const documents = { tags: ['docs'], response: { 200: { type: 'object', additionalProperties: true } } };
  app.get('/api/openapi.json', { schema: { ...documents, summary: 'This document: the HTTP API as OpenAPI 3.1.' } }, async () =>
    app.swagger(),
  );
  app.get(
    '/api/asyncapi.json',
    { schema: { ...documents, summary: 'The Socket.IO namespaces /chat and /push as AsyncAPI 3.' } },
    async () => asyncapi,
  );
}
