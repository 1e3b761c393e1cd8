import type { FastifyBaseLogger } from 'fastify';
import type { Namespace, Socket } from 'socket.io';
import type { RoomAccess } from '../access.js';
import type { Bus } from '../bus.js';
import { AppError } from '../errors.js';
import type { Identity, IdentityService } from '../identity.js';
import type { Push, PushClientToServer, PushServerToClient, SubscribeResult } from '../protocol.js';
import type { Bans } from '../moderation/bans.js';
import type { Metrics } from '../metrics.js';
import type { PushLog } from '../store/push-log.js';
import { pushParsers as parse } from '../validation.js';
import type { SocketData } from './chat.js';
import { handler } from './handler.js';
import { socketLog } from './io.js';

export type PushNamespace = Namespace<PushClientToServer, PushServerToClient, Record<string, never>, SocketData>;
type PushSocket = Socket<PushClientToServer, PushServerToClient, Record<string, never>, SocketData>;

export interface PushDeps {
  pushLog: PushLog;
  bus: Bus;
  identity: IdentityService;
  /** Who may see a room (access.ts), which decides its `room:<room>` topic too. */
  access: RoomAccess;
  /** ROOMS_PER_SOCKET: topics one socket may be subscribed to at once (its own `user:` topic aside). */
  topicsPerSocket: number;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** A room's ban covers its `room:<room>` topic too (protocol 6.4). */
  bans: Bans;
}

/** `retryAfterMs` of a subscribe refused for too many topics: a hint, as only leaving one makes room. */
const topicsRetryMs = 10_000;

/**
 * `user:<id>` belongs to that user alone; `room:<room>` follows the room's own rule; `private-`
 * topics need the token's `topics` claim or admin.
 */
export async function maySubscribe(identity: Identity, topic: string, access: RoomAccess): Promise<boolean> {
  if (topic.startsWith('user:')) return topic === `user:${identity.user.id}`;
  if (topic.startsWith('room:')) return access.may(identity, topic.slice(5));
  if (!topic.startsWith('private-')) return true;
  return identity.admin || identity.topics.includes('*') || identity.topics.includes(topic);
}

/**
 * The `/push` namespace. Returns `publish`, the one way a push is numbered, retained and sent,
 * shared by the HTTP API, live data and the reaction to new chat messages.
 */
export function registerPush(nsp: PushNamespace, deps: PushDeps) {
  const { pushLog, bus, log } = deps;

  async function publish(topic: string, event: string, data: unknown): Promise<Push> {
    const push = await pushLog.append(topic, event, data);
    nsp.to(topic).emit('push:new', push);
    bus.emit('push.sent', { push });
    return push;
  }

  // The preview is the text's first 100 characters; splitting only its first 200 UTF-16 units
  // into code points is enough for that, whatever the message's length.
  bus.on('message.created', ({ message }) => {
    const { room, seq, author } = message;
    // A message of files only is previewed by their names.
    const text = message.text || (message.attachments?.map((a) => a.name).join(', ') ?? '');
    publish(`room:${room}`, 'message', { room, seq, author, preview: [...text.slice(0, 200)].slice(0, 100).join('') }).catch(
      (err: unknown) => log.error({ err, room }, 'message push failed'),
    );
  });

  nsp.on('connection', (socket: PushSocket) => {
    const { identity } = socket.data;
    const handle = handler(socket, socketLog(log, socket), deps.metrics);
    socket.emit('session', deps.identity.sessionEvent(identity));
    void socket.join(`user:${identity.user.id}`);

    socket.on(
      'push:subscribe',
      handle('push:subscribe', async (payload): Promise<SubscribeResult> => {
        const { topic, after } = parse.subscribe(payload);
        if (!(await maySubscribe(identity, topic, deps.access))) throw new AppError('forbidden', `You may not subscribe to ${topic}.`);
        if (topic.startsWith('room:')) deps.bans.check(identity, socket.data.address, topic.slice(5));
        // Its own id and its user topic are rooms of the socket too.
        if (!socket.rooms.has(topic) && socket.rooms.size - 2 >= deps.topicsPerSocket) {
          throw new AppError(
            'rate_limited',
            `A connection may follow ${deps.topicsPerSocket} topics at once; leave one first.`,
            topicsRetryMs,
          );
        }
        // Subscribe before reading what was missed: a push in between arrives twice, never zero
        // times, and clients drop the repeat by seq.
        await socket.join(topic);
        const { missed, lastSeq, truncated, epoch } = await pushLog.since(topic, after);
        return truncated ? { topic, missed, lastSeq, truncated, epoch } : { topic, missed, lastSeq, epoch };
      }),
    );

    socket.on(
      'push:unsubscribe',
      handle('push:unsubscribe', async (payload) => {
        const { topic } = parse.unsubscribe(payload);
        // The user's own topic is not a subscription: it cannot be left.
        if (topic !== `user:${identity.user.id}`) await socket.leave(topic);
        return {};
      }),
    );
  });

  return { publish };
}

export type PushService = ReturnType<typeof registerPush>;
