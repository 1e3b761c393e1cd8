import type { FastifyBaseLogger } from 'fastify';
import { type Conversations, updatesRoom } from '../conversations.js';
import { AppError } from '../errors.js';
import { type Identity, isStaff } from '../identity.js';
import type { Limits } from '../limits.js';
import type { Metrics } from '../metrics.js';
import type { Member } from '../protocol.js';
import type { Store } from '../store/store.js';
import { isRoomName, inboxParsers as parse } from '../validation.js';
import type { ChatNamespace } from './chat.js';
import { handler } from './handler.js';
import { socketLog } from './io.js';

export interface InboxDeps {
  store: Store;
  conversations: Conversations;
  limits: Limits;
  log: FastifyBaseLogger;
  metrics: Metrics;
}

/**
 * Adapter rooms (a colon in each, so never a chat room) that every socket of a staff member is in
 * from its connection: one per inbox of its `inboxes` claim (`*` too), and one of admins. Asked
 * across nodes for whether staff are online and whom a conversation may be assigned to.
 */
const claimRoom = (inbox: string) => `inbox-staff:${inbox}`;
const adminsRoom = 'inbox-staff:admins';

function mustBeStaff(identity: Identity, inbox: string): void {
  if (!isStaff(identity, inbox)) throw new AppError('forbidden', `You are not staff of the inbox ${inbox}.`);
}

/** The `/chat` events of support conversations (protocol 6.5). */
export function registerInbox(nsp: ChatNamespace, deps: InboxDeps): void {
  const { store, conversations } = deps;

  /**
   * A staff member of the inbox by its claim (admins-only do not count) is connected, on any node.
   * Best effort: when the nodes cannot all be asked (one is gone, Redis is down), "no", which
   * only offers the visitor the e-mail field.
   */
  async function staffOnline(inbox: string): Promise<boolean> {
    try {
      return (await nsp.in([claimRoom(inbox), claimRoom('*')]).fetchSockets()).length > 0;
    } catch (err) {
      deps.log.warn({ err, inbox }, 'could not ask the nodes whether staff are online');
      return false;
    }
  }

  /** A staff member of the inbox connected now, on any node (admins are staff of every inbox). */
  async function connectedStaff(inbox: string, userId: string): Promise<Member | undefined> {
    const sockets = await nsp.in([claimRoom(inbox), claimRoom('*'), adminsRoom]).fetchSockets();
    const found = sockets.find((s) => s.data.identity.user.id === userId);
    if (!found) return undefined;
    const { id, name, kind } = found.data.identity.user;
    return { id, name, kind };
  }

  nsp.on('connection', (socket) => {
    const { identity } = socket.data;
    const rooms = identity.inboxes.filter((inbox) => inbox === '*' || isRoomName(inbox)).map(claimRoom);
    if (identity.admin) rooms.push(adminsRoom);
    if (rooms.length > 0) void socket.join(rooms);
    const handle = handler(socket, socketLog(deps.log, socket), deps.metrics);

    socket.on(
      'conversation:open',
      handle('conversation:open', async (payload) => {
        const req = parse.open(payload);
        // A conversation is a new room (two): it counts against NEW_ROOMS_PER_ADDRESS as a room's first message does.
        const admit = () => deps.limits.newRooms.consume(socket.data.address, 'Too many new conversations from your address; try later.');
        const [conversation, online] = await Promise.all([conversations.open(identity, req, admit), staffOnline(req.inbox)]);
        return conversation ? { conversation, staffOnline: online } : { staffOnline: online };
      }),
    );

    socket.on(
      'inbox:list',
      handle('inbox:list', async (payload) => {
        const { inbox, status = 'open', limit = 50, before } = parse.list(payload);
        mustBeStaff(identity, inbox);
        // Subscribed before reading: a change in between arrives as an update too, never not at all.
        await socket.join(updatesRoom(inbox));
        return store.conversations({ inbox, status, userId: identity.user.id, before, limit, now: Date.now() });
      }),
    );

    socket.on(
      'conversation:assign',
      handle('conversation:assign', async (payload) => {
        // Here `user: null` means "nobody", not an absent field (protocol 6.5).
        const nobody = (payload as { user?: unknown } | null)?.user === null;
        const req = parse.assign(payload);
        const inbox = await conversations.inboxOf(identity, req.room);
        let assignee: Member | null = null;
        if (!nobody) {
          const { id, name, kind } = identity.user;
          const found = !req.user || req.user === id ? { id, name, kind } : await connectedStaff(inbox, req.user);
          if (!found) throw new AppError('not_found', `${req.user} is no staff member of ${inbox} connected now.`);
          assignee = found;
        }
        return { conversation: await conversations.assign(identity, req.room, assignee) };
      }),
    );

    socket.on(
      'conversation:close',
      handle('conversation:close', async (payload) => ({ conversation: await conversations.close(identity, parse.room(payload).room) })),
    );

    socket.on(
      'conversation:reopen',
      handle('conversation:reopen', async (payload) => ({ conversation: await conversations.reopen(identity, parse.room(payload).room) })),
    );

    socket.on(
      'conversation:snooze',
      handle('conversation:snooze', async (payload) => {
        const { room, until } = parse.snooze(payload);
        return { conversation: await conversations.snooze(identity, room, until) };
      }),
    );
  });
}
