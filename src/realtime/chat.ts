import type { FastifyBaseLogger } from 'fastify';
import type { Namespace, Socket } from 'socket.io';
import type { Bus } from '../bus.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { type Identity, type IdentityService, mayJoin } from '../identity.js';
import type {
  ChatClientToServer,
  ChatServerToClient,
  Member,
  Message,
  TypingRequest,
} from '../protocol.js';
import { createTokenBucket } from '../rate-limit.js';
import type { Store } from '../store/store.js';
import { createChatParsers, messageText } from '../validation.js';
import { handler } from './handler.js';
import { createJoinPages } from './join-page.js';
import type { Departure, Presence } from './presence.js';
import { createPresenceUpdates } from './presence-updates.js';

export interface SocketData {
  identity: Identity;
}

export type ChatNamespace = Namespace<ChatClientToServer, ChatServerToClient, Record<string, never>, SocketData>;
type ChatSocket = Socket<ChatClientToServer, ChatServerToClient, Record<string, never>, SocketData>;

export interface ChatDeps {
  config: Config;
  store: Store;
  presence: Presence;
  identity: IdentityService;
  bus: Bus;
  log: FastifyBaseLogger;
  /** True once the node is shutting down (draining). */
  isClosing: () => boolean;
}

/** A typing flag with no follow-up is cleared after this long. */
const typingTtlMs = 5000;

/**
 * The `/chat` namespace. Returns `post`, the one way a message enters a room, which the HTTP API
 * shares so a backend's message is stored and broadcast exactly like a socket's.
 */
export function registerChat(nsp: ChatNamespace, deps: ChatDeps) {
  const { config, store, presence, bus, log } = deps;
  const parse = createChatParsers(config.maxMessageLength);
  const joinPage = createJoinPages(store);

  async function post(input: { room: string; text: string; author: Member; clientId?: string }) {
    const result = await store.append(input);
    if (result.created) {
      nsp.to(input.room).emit('message:new', result.message);
      bus.emit('message.created', { message: result.message });
    }
    return result.message;
  }

  const presenceUpdates = createPresenceUpdates((event) => nsp.to(event.room).emit('presence:update', event), bus);

  function announceLeft({ room, member, count }: Departure): void {
    presenceUpdates.left(room, member, count);
  }

  function limitOf(limit: number | undefined): number {
    return Math.min(limit ?? config.historyLimit, config.historyMaxLimit);
  }

  nsp.on('connection', (socket: ChatSocket) => {
    const { identity } = socket.data;
    const { user } = identity;
    const sendBucket = createTokenBucket(config.messageRatePerSec, config.messageRateBurst);
    const typingTimers = new Map<string, NodeJS.Timeout>();

    socket.emit('session', { user, session: deps.identity.sessionFor(user) });

    const handle = handler(socket.id, log);

    function mustAccess(room: string): void {
      if (!mayJoin(identity, room)) throw new AppError('forbidden', `You may not join ${room}.`);
    }

    function setTyping(room: string, typing: boolean): void {
      clearTimeout(typingTimers.get(room));
      typingTimers.delete(room);
      if (typing) typingTimers.set(room, setTimeout(() => setTyping(room, false), typingTtlMs));
      socket.to(room).emit('typing:update', { room, user, typing });
    }

    function leave(room: string, disconnecting = false): void {
      if (typingTimers.has(room)) setTyping(room, false);
      void socket.leave(room);
      // A draining node keeps the presence of the sockets it sends away and hands it over when
      // it closes (presence.close()): their users come back on another node meanwhile, so the
      // room sees nobody leave and join again, and the count never dips.
      if (disconnecting && deps.isClosing()) return;
      presence.remove(room, user.id, socket.id).then(
        (change) => change?.left && presenceUpdates.left(room, change.left, change.count),
        (err: unknown) => log.warn({ err, room }, 'presence update failed'),
      );
    }

    /** Counts the socket in the room; best effort: a Redis outage must not keep anyone from the room's history. */
    async function enter(room: string): Promise<Member[]> {
      try {
        const change = await presence.add(room, user, socket.id);
        if (change.joined) presenceUpdates.joined(room, user, change.count);
        return change.members;
      } catch (err) {
        log.warn({ err, room }, 'presence update failed');
        return [user];
      }
    }

    socket.on(
      'room:join',
      handle('room:join', async (payload) => {
        const req = parse.join(payload);
        mustAccess(req.room);
        // Join before reading history: a message stored in between arrives twice, never zero times,
        // and clients merge by seq.
        await socket.join(req.room);
        const [members, page] = await Promise.all([enter(req.room), joinPage(req.room, req.after, limitOf(req.limit))]);
        return { room: req.room, messages: page.messages, members, lastSeq: page.lastSeq, hasMore: page.hasMore };
      }),
    );

    socket.on(
      'room:leave',
      handle('room:leave', (payload) => {
        const { room } = parse.leave(payload);
        if (socket.rooms.has(room)) leave(room);
        return {};
      }),
    );

    socket.on(
      'message:send',
      handle('message:send', async (payload): Promise<{ message: Message }> => {
        const req = parse.send(payload);
        const text = messageText(req.text, config.maxMessageLength);
        if (!socket.rooms.has(req.room)) throw new AppError('forbidden', `Join ${req.room} before sending to it.`);
        const retryAfterMs = sendBucket.take();
        if (retryAfterMs > 0) throw new AppError('rate_limited', 'You are sending too fast.', retryAfterMs);
        if (typingTimers.has(req.room)) setTyping(req.room, false);
        return { message: await post({ room: req.room, text, author: user, clientId: req.clientId }) };
      }),
    );

    socket.on(
      'message:history',
      handle('message:history', async (payload) => {
        const req = parse.history(payload);
        mustAccess(req.room);
        const { room, limit, ...range } = req;
        return store.history(room, { ...range, limit: limitOf(limit) });
      }),
    );

    socket.on('typing:update', (payload: unknown) => {
      let req: TypingRequest;
      try {
        req = parse.typing(payload);
      } catch {
        return; // No ack to answer: dropped, as the contract says.
      }
      if (socket.rooms.has(req.room)) setTyping(req.room, req.typing);
    });

    socket.on('disconnecting', () => {
      for (const room of socket.rooms) if (room !== socket.id) leave(room, true);
    });
  });

  /** Sends the presence updates still gathered; before the node's Redis connection closes. */
  const flushPresence = () => presenceUpdates.flush();

  return { post, announceLeft, flushPresence };
}

export type Chat = ReturnType<typeof registerChat>;
