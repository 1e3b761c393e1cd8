import type { FastifyBaseLogger } from 'fastify';
import type { RoomAccess } from '../access.js';
import type { Namespace, Socket } from 'socket.io';
import type { Bus } from '../bus.js';
import type { Config } from '../config.js';
import { resolveAttachments } from '../attachments.js';
import { AppError } from '../errors.js';
import { type Identity, type IdentityService, isConversationRoom, mayModerate } from '../identity.js';
import type { Limits } from '../limits.js';
import type { Metrics } from '../metrics.js';
import type { Bans } from '../moderation/bans.js';
import type { ModerationServerEvents } from '../moderation/moderation.js';
import type { RoomRules } from '../moderation/room-rules.js';
import type { Attachment, ChatClientToServer, ChatServerToClient, Member, Message, TypingRequest } from '../protocol.js';
import type { AppendResult, Store } from '../store/store.js';
import { chatParsers as parse, type MessageText, messageText } from '../validation.js';
import { createConversation } from './conversation.js';
import { handler } from './handler.js';
import { socketLog } from './io.js';
import { createJoinPages } from './join-page.js';
import { createLateCommits } from './late-commits.js';
import type { Departure, Presence } from './presence.js';
import { createPresenceUpdates } from './presence-updates.js';
import { createReads } from './reads.js';

export interface SocketData {
  identity: Identity;
  /** The client's address as per-address limits count it (set by admission.ts). */
  address: string;
}

export type ChatNamespace = Namespace<ChatClientToServer, ChatServerToClient, ModerationServerEvents, SocketData>;
type ChatSocket = Socket<ChatClientToServer, ChatServerToClient, ModerationServerEvents, SocketData>;

export interface ChatDeps {
  config: Config;
  store: Store;
  /** The rooms' epoch: one per database, so it changes exactly when their numbering restarts. */
  roomEpoch: string;
  presence: Presence;
  identity: IdentityService;
  /** Who may see a room (access.ts): every way into one asks it. */
  access: RoomAccess;
  bus: Bus;
  limits: Limits;
  /** Slow mode and read-only rooms (protocol 6.4). */
  rules: RoomRules;
  /** Bans in force (protocol 6.4): a banned socket may not join or send. */
  bans: Bans;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** True once the node is shutting down (draining). */
  isClosing: () => boolean;
}

/** The chat rooms a socket is in: not its own id, nor an inbox's staff rooms (protocol 6.5; a colon in their names). */
function roomsOf(socket: ChatSocket): number {
  let count = 0;
  for (const room of socket.rooms) if (room !== socket.id && !room.includes(':')) count++;
  return count;
}

/** A typing flag with no follow-up is cleared after this long. */
const typingTtlMs = 5000;
/** `retryAfterMs` of a join refused for too many rooms: a hint, as only leaving one makes room. */
const roomsRetryMs = 10_000;
/** `retryAfterMs` of a history read refused for too many at once: about one read's time. */
const readsRetryMs = 250;

/**
 * The `/chat` namespace. Returns `post`, the one way a message enters a room, which the HTTP API
 * shares so a backend's message is stored and broadcast exactly like a socket's, once, also when
 * the store committed a send it answered with an error (see late-commits.ts).
 */
export function registerChat(nsp: ChatNamespace, deps: ChatDeps) {
  const { config, store, roomEpoch, presence, bus, limits } = deps;
  const lateCommits = createLateCommits();
  /** Each socket's `leave`, for a moderator's removal (moderation.ts). */
  const leavers = new Map<string, (room: string) => void>();
  /** Each socket's observed rooms, for events registered elsewhere (attachments' `upload:token`). */
  const observed = new Map<string, Set<string>>();
  const joinPage = createJoinPages(store);
  const conversation = createConversation({ nsp, store, config, limits, rules: deps.rules, bus, access: deps.access });
  const reads = createReads({
    store,
    limit: limits.reads,
    broadcast: (event) => nsp.to(event.room).emit('room:read', event),
    moved: (event) => bus.emit('room.read', event),
  });

  function announce(message: Message): void {
    nsp.to(message.room).emit('message:new', message);
    bus.emit('message.created', { message });
  }

  /** Takes the text only as `messageText` made it, so what is acked is what is stored and broadcast. */
  async function post(input: {
    room: string;
    text: MessageText;
    author: Member;
    clientId?: string;
    replyTo?: number;
    attachments?: Attachment[];
  }) {
    if (input.clientId === undefined) {
      const result = await store.append(input);
      if (result.created) announce(result.message);
      return result.message;
    }
    const attempt = lateCommits.begin(input.room, input.author.id, input.clientId);
    let result: AppendResult;
    try {
      result = await store.append({ ...input, ts: attempt.ts });
    } catch (err) {
      // Anything but a refusal may have committed after all (a stalled database, a lost answer).
      const stored = lateCommits.failed(attempt, !(err instanceof AppError) || err.status >= 500);
      if (stored) announce(stored);
      throw err;
    }
    if (lateCommits.answered(attempt, result)) announce(result.message);
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
    const { identity, address } = socket.data;
    const { user } = identity;
    const typingTimers = new Map<string, NodeJS.Timeout>();
    /** Rooms with a `typing: true` waiting for its limit, and whether the user still types there. */
    const typingAsked = new Map<string, boolean>();
    /** Rooms that had no message when this socket joined them: its first send there may create them. */
    const emptyAtJoin = new Set<string>();
    /** Rooms this socket observes (a moderator's `observe: true` join): in them, not in their presence. */
    const observing = new Set<string>();
    let historyReads = 0;
    observed.set(socket.id, observing);

    socket.emit('session', deps.identity.sessionEvent(identity));

    const log = socketLog(deps.log, socket);
    const handle = handler(socket, log, deps.metrics);

    const mustAccess = (room: string) => deps.access.must(identity, room);

    function setTyping(room: string, typing: boolean): void {
      clearTimeout(typingTimers.get(room));
      typingTimers.delete(room);
      if (typing)
        typingTimers.set(
          room,
          setTimeout(() => setTyping(room, false), typingTtlMs),
        );
      socket.to(room).emit('typing:update', { room, user, typing });
    }

    /** Typing flags are relayed at most once per TYPING_INTERVAL_SECONDS per user and room; the rest are dropped. */
    function askTyping(room: string, typing: boolean): void {
      if (typingAsked.has(room)) {
        typingAsked.set(room, typing);
        return;
      }
      if (!typing) {
        // Only a flag that was relayed needs clearing: at most one `false` per `true` goes out.
        if (typingTimers.has(room)) setTyping(room, false);
        return;
      }
      typingAsked.set(room, true);
      void limits.typing.take(`${room}:${user.id}`).then((wait) => {
        const still = typingAsked.get(room);
        typingAsked.delete(room);
        if (!socket.connected || !socket.rooms.has(room)) return;
        if (still && wait === 0) setTyping(room, true);
        else if (!still && typingTimers.has(room)) setTyping(room, false);
      });
    }

    function leave(room: string, disconnecting = false): void {
      emptyAtJoin.delete(room);
      if (observing.delete(room)) {
        void socket.leave(room);
        return;
      }
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
        await mustAccess(req.room);
        deps.bans.check(identity, address, req.room);
        if (req.observe && !mayModerate(identity, req.room)) throw new AppError('forbidden', `You do not moderate ${req.room}.`);
        await limits.history.consume(user.id, 'You are reading history too fast.');
        // Counted and joined in one go (no await between), so joins at once cannot pass the limit together.
        if (!socket.rooms.has(req.room) && roomsOf(socket) >= config.roomsPerSocket) {
          throw new AppError(
            'rate_limited',
            `A connection may be in ${config.roomsPerSocket} rooms at once; leave one first.`,
            roomsRetryMs,
          );
        }
        // Join before reading history: a message stored in between arrives twice, never zero times,
        // and clients merge by seq.
        if (req.observe && socket.rooms.has(req.room) && !observing.has(req.room)) {
          throw new AppError('bad_request', `You are in ${req.room}: leave it before observing it.`);
        }
        await socket.join(req.room);
        if (req.observe) observing.add(req.room);
        else observing.delete(req.room);
        const [members, page, settings] = await Promise.all([
          req.observe ? presence.members(req.room).catch(() => []) : enter(req.room),
          joinPage(req.room, req.after, limitOf(req.limit)),
          deps.rules.settings(req.room),
        ]);
        if (page.lastSeq === 0) emptyAtJoin.add(req.room);
        else emptyAtJoin.delete(req.room);
        // An observer is in no presence, so among no one's reads.
        const { lastRead, reads: positions } = await reads.forJoin(req.room, user.id, members);
        return {
          room: req.room,
          messages: page.messages,
          members,
          lastSeq: page.lastSeq,
          hasMore: page.hasMore,
          epoch: roomEpoch,
          settings,
          editWindowSeconds: config.editWindowSeconds,
          maxMessageLength: config.maxMessageLength,
          lastRead,
          reads: positions,
        };
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
        const text = messageText(req.text, config.maxMessageLength, req.attachments !== undefined);
        if (!socket.rooms.has(req.room)) throw new AppError('forbidden', `Join ${req.room} before sending to it.`);
        deps.bans.check(identity, address, req.room);
        if (observing.has(req.room)) throw new AppError('forbidden', `You observe ${req.room}: join it to send.`);
        // A room's moderators are held by none of its limits (protocol 6.4).
        if (!mayModerate(identity, req.room)) {
          await limits.messages.consume(user.id, 'You are sending too fast.');
          await deps.rules.admitSend(identity, req.room);
        }
        if (req.replyTo !== undefined) await conversation.mustBeMessage(req.room, req.replyTo);
        // Someone else may have written first since the join: the point comes back when seq is not 1.
        // A conversation's rooms were paid for when it was opened (realtime/inbox.ts).
        const creates = emptyAtJoin.has(req.room) && !isConversationRoom(req.room);
        if (creates) await limits.newRooms.consume(address, 'Too many new rooms from your address; write in an existing one.');
        const attachments = req.attachments && (await resolveAttachments(store, user.id, req.room, req.attachments));
        if (typingTimers.has(req.room)) setTyping(req.room, false);
        // In a support conversation, staff's messages carry the mark (protocol 6.5), from the token, never the client.
        const staff = await deps.access.isStaffIn(identity, req.room);
        const message = await post({
          room: req.room,
          text,
          author: staff ? { ...user, staff } : user,
          clientId: req.clientId,
          replyTo: req.replyTo,
          ...(attachments && { attachments }),
        });
        if (creates) {
          emptyAtJoin.delete(req.room);
          if (message.seq !== 1) void limits.newRooms.giveBack(address);
        }
        return { message };
      }),
    );

    socket.on(
      'message:edit',
      handle('message:edit', async (payload) => {
        const req = parse.edit(payload);
        deps.bans.check(identity, address, req.room);
        return { message: await conversation.edit(identity, req) };
      }),
    );

    socket.on(
      'message:react',
      handle('message:react', async (payload) => {
        const req = parse.react(payload);
        if (!socket.rooms.has(req.room)) throw new AppError('forbidden', `Join ${req.room} before reacting in it.`);
        deps.bans.check(identity, address, req.room);
        if (observing.has(req.room)) throw new AppError('forbidden', `You observe ${req.room}: join it to react.`);
        return { message: await conversation.react(identity, req) };
      }),
    );

    socket.on(
      'message:history',
      handle('message:history', async (payload) => {
        const req = parse.history(payload);
        await mustAccess(req.room);
        if (historyReads >= config.historyReadsPerSocket) {
          throw new AppError('rate_limited', 'Too many history reads at once; wait for their answers.', readsRetryMs);
        }
        historyReads++;
        try {
          await limits.history.consume(user.id, 'You are reading history too fast.');
          const { room, limit, ...range } = req;
          return { ...(await store.history(room, { ...range, limit: limitOf(limit) })), epoch: roomEpoch };
        } finally {
          historyReads--;
        }
      }),
    );

    socket.on(
      'room:read',
      handle('room:read', async (payload) => {
        const req = parse.read(payload);
        if (!socket.rooms.has(req.room)) throw new AppError('forbidden', `Join ${req.room} before marking it read.`);
        if (observing.has(req.room)) throw new AppError('forbidden', `You observe ${req.room}: your reads are not recorded.`);
        await reads.read(user, req.room, req.seq);
        return {};
      }),
    );

    socket.on('typing:update', (payload: unknown) => {
      let req: TypingRequest;
      try {
        req = parse.typing(payload);
      } catch {
        return; // Never answered, with or without an ack (protocol 6.1): a bad one is dropped.
      }
      if (socket.rooms.has(req.room) && !observing.has(req.room)) askTyping(req.room, req.typing);
    });

    leavers.set(socket.id, leave);
    socket.on('disconnecting', () => {
      leavers.delete(socket.id);
      observed.delete(socket.id);
      for (const room of socket.rooms) if (room !== socket.id) leave(room, true);
    });
  });

  /** Sends the presence updates still gathered; before the node's Redis connection closes. */
  const flushPresence = () => presenceUpdates.flush();

  /** One of this node's sockets leaves a room as by `room:leave` (a moderator removed it). */
  const leaveFor = (socketId: string, room: string) => leavers.get(socketId)?.(room);

  /** Whether one of this node's sockets observes the room (a moderator's `observe: true` join). */
  const observes = (socketId: string, room: string) => observed.get(socketId)?.has(room) ?? false;

  return { post, announceLeft, flushPresence, leaveFor, observes };
}

export type Chat = ReturnType<typeof registerChat>;
