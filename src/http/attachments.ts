import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  cleanFileName,
  contentDisposition,
  imageBox,
  newAttachmentId,
  sniffType,
  toAttachment,
  type UploadGrant,
  type UploadTokens,
  uploadCredentials,
} from '../attachments.js';
import { addressKey } from '../client-address.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { RoomAccess } from '../access.js';
import type { IdentityService } from '../identity.js';
import type { Limits } from '../limits.js';
import type { Bans } from '../moderation/bans.js';
import type { OriginPolicy } from '../origin.js';
import { AttachmentBytes, AttachmentParams, UploadQuery, UploadResult } from '../schemas/attachments.js';
import { RoomParams } from '../schemas/http.js';
import type { Store } from '../store/store.js';
import { logAs, roomReaderHook } from './auth.js';
import { failures } from './routes.js';

export interface AttachmentRouteDeps {
  config: Config;
  store: Store;
  identity: IdentityService;
  /** Who may see a room (access.ts). */
  access: RoomAccess;
  tokens: UploadTokens;
  limits: Limits;
  bans: Bans;
  origins: OriginPolicy;
}

/** Widget pages on other (allowed) origins upload and fetch files: helmet's same-origin resource policy would block them. */
const crossOrigin = { helmet: { crossOriginResourcePolicy: { policy: 'cross-origin' as const } } };

/** CORS for an allowed origin (the widget on an embedding site): the upload's `Authorization` header needs it. */
function allowOrigin(req: FastifyRequest, reply: FastifyReply, origins: OriginPolicy): void {
  const { origin } = req.headers;
  reply.header('vary', 'Origin');
  if (origin !== undefined && origins.allowed(origin, req.headers.host)) {
    reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', 'Content-Disposition');
  }
}

/** Answers a CORS preflight for an allowed origin: the methods and request headers it may use. */
function preflight(req: FastifyRequest, reply: FastifyReply, origins: OriginPolicy, methods: string, headers: string) {
  allowOrigin(req, reply, origins);
  return reply
    .header('access-control-allow-methods', methods)
    .header('access-control-allow-headers', headers)
    .header('access-control-max-age', '600')
    .code(204)
    .send();
}

/**
 * Attachments over HTTP (issue 13 point 4; never over the socket): `POST` uploads a file's raw
 * bytes with an upload token from `upload:token`, `GET` serves it to whoever may read the room.
 */
export async function registerAttachmentRoutes(fastify: FastifyInstance, deps: AttachmentRouteDeps) {
  const { config, store, tokens, limits, origins } = deps;
  const readerHook = roomReaderHook(deps.identity, deps.access);
  const grants = new WeakMap<FastifyRequest, UploadGrant>();

  // Its own context: here any body is a file's bytes, read up to MAX_UPLOAD_BYTES (Fastify refuses a
  // larger Content-Length before reading, and stops reading a body that grows past it).
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxUploadBytes }, (_req, body, done) => done(null, body));
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();

    app.options('/api/rooms/:room/attachments', { schema: { hide: true } }, (req, reply) =>
      preflight(req, reply, origins, 'POST, GET', 'Authorization, Content-Type'),
    );

    app.post(
      '/api/rooms/:room/attachments',
      {
        config: crossOrigin,
        // Before the body: the token, the room, bans, the size a Content-Length announces, the rate.
        onRequest: async (req, reply) => {
          allowOrigin(req, reply, origins);
          const token = uploadCredentials(req.headers.authorization);
          if (!token) throw new AppError('unauthorized', 'An upload needs `Authorization: Upload <token>` from `upload:token`.');
          const grant = tokens.verify(token);
          logAs(req, reply, grant.user.id);
          const { room } = req.params as { room: string };
          if (grant.room !== room) throw new AppError('forbidden', `This upload token is for ${grant.room}, not ${room}.`);
          deps.bans.check({ user: grant.user, rooms: [], topics: [], admin: false, moderates: [], inboxes: [] }, addressKey(req.ip), room);
          const length = Number(req.headers['content-length']);
          if (length > config.maxUploadBytes) throw new AppError('too_large', `A file may be at most ${config.maxUploadBytes} bytes.`);
          await limits.uploads.consume(grant.user.id, 'You are uploading too many files; wait a little.');
          if (length > 0) await limits.uploadBytes.consume(grant.user.id, 'You have uploaded too much for now; wait a while.', length);
          grants.set(req, grant);
        },
        schema: {
          summary:
            "Upload a file to a room: the raw bytes as the body, `Authorization: Upload <token>` (from the socket's `upload:token`), the name in `?name=`. The type is read from the bytes; the message that shows it is sent with `message:send`'s `attachments`.",
          tags: ['chat'],
          security: [{ uploadToken: [] }],
          params: RoomParams,
          querystring: UploadQuery,
          response: { 201: UploadResult, ...failures },
        },
      },
      async (req, reply) => {
        const grant = grants.get(req) as UploadGrant;
        const data = req.body;
        if (!Buffer.isBuffer(data) || data.length === 0) throw new AppError('bad_request', 'The body must be the file, not empty.');
        // Without a Content-Length (chunked), the bytes are counted once read.
        if (!(Number(req.headers['content-length']) > 0)) {
          await limits.uploadBytes.consume(grant.user.id, 'You have uploaded too much for now; wait a while.', data.length);
        }
        const type = await sniffType(data);
        const file = {
          id: newAttachmentId(),
          room: req.params.room,
          ownerId: grant.user.id,
          name: cleanFileName(req.query.name),
          type,
          size: data.length,
          ...imageBox(data, type),
          createdAt: Date.now(),
        };
        await store.putAttachment(file, data);
        return reply.code(201).send({ attachment: toAttachment(file) });
      },
    );
  });

  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.options('/api/rooms/:room/attachments/:id', { schema: { hide: true } }, (req, reply) =>
    preflight(req, reply, origins, 'GET', 'Authorization'),
  );

  app.get(
    '/api/rooms/:room/attachments/:id',
    {
      config: crossOrigin,
      onRequest: async (req, reply) => {
        allowOrigin(req, reply, origins);
        await readerHook.call(fastify, req, reply);
      },
      schema: {
        summary:
          "A room's file, with its type, `Content-Disposition` (images inline, others as downloads), `nosniff` and a sandboxing CSP; a private room's need a user token that lists it.",
        tags: ['chat'],
        security: [{}, { userToken: [] }],
        params: AttachmentParams,
        response: { 200: AttachmentBytes, ...failures },
      },
    },
    async (req, reply) => {
      const { room, id } = req.params;
      const found = await store.attachmentData(id);
      if (!found || found.file.room !== room) throw new AppError('not_found', `There is no attachment ${id} in ${room}.`);
      const { file, data } = found;
      return (
        reply
          .header('content-type', file.type)
          .header('content-length', String(data.length))
          .header('content-disposition', contentDisposition(file.name, file.type))
          .header('x-content-type-options', 'nosniff')
          // Even if a browser rendered it as a page, it could run nothing and reach nothing.
          .header('content-security-policy', "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox")
          // The bytes of an id never change; a private room's (and a conversation's) stay out of shared caches.
          .header('cache-control', `${req.headers.authorization ? 'private' : 'public'}, max-age=31536000, immutable`)
          .send(data)
      );
    },
  );
}
