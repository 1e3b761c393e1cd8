import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { ChatNamespace } from '../realtime/chat.js';
import { handler } from '../realtime/handler.js';
import { socketLog } from '../realtime/io.js';
import type { Moderation } from './moderation.js';
import { moderationParsers as parse } from './schemas.js';

/** The `/chat` moderation events (protocol 6.4): each parses its payload, then acts as the socket's identity. */
export function registerModerationEvents(nsp: ChatNamespace, moderation: Moderation, log: FastifyBaseLogger, metrics: Metrics): void {
  nsp.on('connection', (socket) => {
    const { identity } = socket.data;
    const handle = handler(socket, socketLog(log, socket), metrics);

    socket.on(
      'message:delete',
      handle('message:delete', async (payload) => ({ message: await moderation.deleteMessage(identity, parse.delete(payload)) })),
    );

    socket.on(
      'room:kick',
      handle('room:kick', async (payload) => {
        await moderation.kick(identity, parse.kick(payload));
        return {};
      }),
    );

    socket.on(
      'room:configure',
      handle('room:configure', async (payload) => ({ settings: await moderation.configure(identity, parse.configure(payload)) })),
    );
  });
}
