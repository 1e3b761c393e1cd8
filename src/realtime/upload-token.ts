import type { FastifyBaseLogger } from 'fastify';
import type { RoomAccess } from '../access.js';
import type { UploadTokens } from '../attachments.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { mayModerate } from '../identity.js';
import type { Metrics } from '../metrics.js';
import type { Bans } from '../moderation/bans.js';
import type { RoomRules } from '../moderation/room-rules.js';
import { UploadTokenRequest } from '../schemas/attachments.js';
import { schemaParser } from '../validation.js';
import type { Chat, ChatNamespace } from './chat.js';
import { handler } from './handler.js';
import { socketLog } from './io.js';

export interface UploadTokenDeps {
  config: Config;
  tokens: UploadTokens;
  rules: RoomRules;
  bans: Bans;
  /** Who may see a room (access.ts): asked again here, though a joined room was asked at the join. */
  access: RoomAccess;
  chat: Pick<Chat, 'observes'>;
  log: FastifyBaseLogger;
  metrics: Metrics;
}

const parse = schemaParser<{ room: string }>(UploadTokenRequest);

/**
 * `upload:token { room }` (issue 13 point 4): a short-lived token to upload one room's files over
 * HTTP with, for a socket that could send there now: joined (not observing), not banned, and the
 * room not read-only unless it moderates it, as `message:send` decides.
 */
export function registerUploadTokens(nsp: ChatNamespace, deps: UploadTokenDeps): void {
  nsp.on('connection', (socket) => {
    const { identity, address } = socket.data;
    const handle = handler(socket, socketLog(deps.log, socket), deps.metrics);

    socket.on(
      'upload:token',
      handle('upload:token', async (payload) => {
        const { room } = parse(payload);
        if (!socket.rooms.has(room)) throw new AppError('forbidden', `Join ${room} before uploading to it.`);
        await deps.access.must(identity, room);
        if (deps.chat.observes(socket.id, room)) throw new AppError('forbidden', `You observe ${room}: join it to upload.`);
        deps.bans.check(identity, address, room);
        if (!mayModerate(identity, room) && (await deps.rules.settings(room)).readOnly) {
          throw new AppError('forbidden', `${room} is read-only: only its moderators may write.`);
        }
        return { ...deps.tokens.sign(identity.user, room), maxBytes: deps.config.maxUploadBytes };
      }),
    );
  });
}
