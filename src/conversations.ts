import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RoomAccess } from './access.js';
import type { Bus } from './bus.js';
import { AppError } from './errors.js';
import { type Identity, isStaff } from './identity.js';
import type { Conversation, Member, Message, OpenConversationRequest } from './protocol.js';
import type { ChatNamespace } from './realtime/chat.js';
import { maxSnoozeMs } from './schemas/inbox.js';
import type { ConversationPatch } from './store/conversations.js';
import type { Store } from './store/store.js';

export interface ConversationsDeps {
  store: Store;
  /** `/chat`: `inbox:update` goes to the staff sockets that listed the inbox, on every node. */
  nsp: ChatNamespace;
  bus: Bus;
  access: RoomAccess;
  log: FastifyBaseLogger;
}

/** The adapter room of the staff sockets that listed an inbox (`inbox:list`): a colon, so never a chat room. */
export const updatesRoom = (inbox: string) => `inbox:${inbox}`;

/** A member as an assignee: the person, without a message's staff mark. */
const person = ({ id, name, kind }: Member): Member => ({ id, name, kind });

/**
 * Support conversations (protocol 6.5): what visitors open and staff change, and what messages and
 * reads do to them. Every change is told to the inbox's listing staff as `inbox:update`, the
 * conversation read back from the store, so every node sends what every other would. Listens
 * to the bus for the messages and reads of conversation rooms.
 */
export function createConversations({ store, nsp, bus, access, log }: ConversationsDeps) {
  /** The conversation as it is now, sent to its inbox's staff. */
  async function announce(id: string): Promise<Conversation> {
    const conversation = await store.conversation(id);
    if (!conversation) throw new AppError('forbidden', `You may not enter conv-${id}.`);
    nsp.to(updatesRoom(conversation.inbox)).emit('inbox:update', { conversation });
    return conversation;
  }

  /**
   * `conversation:open`: the caller's conversation in the inbox that is not closed, made when there
   * is none and `create` allows; `admit` is asked first (it throws when the caller may make no more).
   */
  async function open(
    identity: Identity,
    { inbox, create, email }: OpenConversationRequest,
    admit: () => Promise<void>,
  ): Promise<Conversation | undefined> {
    const { user } = identity;
    const current = await store.currentConversation(inbox, user.id);
    if (!current) {
      if (create === false) return undefined;
      await admit();
      const id = randomBytes(16).toString('base64url');
      const made = await store.openConversation({ id, inbox, visitor: person(user), email, now: Date.now() });
      const { conversation } = made;
      if (!made.created) return email === undefined ? conversation : withEmail(conversation, email);
      access.remember(id, { inbox, visitorId: user.id });
      nsp.to(updatesRoom(inbox)).emit('inbox:update', { conversation });
      bus.emit('conversation.created', { conversation });
      return conversation;
    }
    return email === undefined ? current : withEmail(current, email);
  }

  async function withEmail(conversation: Conversation, email: string): Promise<Conversation> {
    if (conversation.email === email) return conversation;
    const id = conversation.room.slice(5);
    await store.updateConversation(id, { email, updatedAt: Date.now() });
    return announce(id);
  }

  /** A conversation the caller is staff of, by its room; `forbidden` for any other (unknown ones too). */
  async function staffConversation(identity: Identity, room: string): Promise<Conversation> {
    const conversation = await store.conversation(room.slice(5));
    if (!conversation || !isStaff(identity, conversation.inbox)) throw new AppError('forbidden', `You are not staff of ${room}'s inbox.`);
    return conversation;
  }

  async function change(identity: Identity, room: string, patch: Omit<ConversationPatch, 'updatedAt'>): Promise<Conversation> {
    await staffConversation(identity, room);
    const id = room.slice(5);
    await store.updateConversation(id, { ...patch, updatedAt: Date.now() });
    return announce(id);
  }

  /**
   * A new message in a conversation: the visitor's reopens it and ends a snooze; the first staff
   * reply in an unassigned one assigns it to the replier. Either way its staff hear of it.
   */
  async function messaged(message: Message): Promise<void> {
    if (!message.room.startsWith('conv-')) return;
    const id = message.room.slice(5);
    const conversation = await store.conversation(id);
    if (!conversation) return;
    const updatedAt = message.ts;
    let assigned = false;
    if (message.author.id === conversation.visitor.id) {
      const reopened = await store
        .updateConversation(id, { status: 'open', updatedAt, ifNotOpen: true })
        // The visitor opened another one since this was closed: this one stays closed.
        .catch((err: unknown) => (err instanceof AppError && err.code === 'conflict' ? false : Promise.reject(err)));
      if (!reopened) await store.updateConversation(id, { updatedAt });
    } else {
      assigned =
        message.author.staff === true &&
        (await store.updateConversation(id, { assignee: person(message.author), updatedAt, ifUnassigned: true }));
      if (!assigned) await store.updateConversation(id, { updatedAt });
    }
    const now = await announce(id);
    if (assigned) bus.emit('conversation.assigned', { conversation: now });
  }

  /** A read position moved: a staff member's changes the unread count every staff member sees. */
  async function read(room: string, user: Member): Promise<void> {
    if (!room.startsWith('conv-')) return;
    const conversation = await store.conversation(room.slice(5));
    if (conversation && conversation.visitor.id !== user.id) nsp.to(updatesRoom(conversation.inbox)).emit('inbox:update', { conversation });
  }

  bus.on('message.created', ({ message }) => {
    messaged(message).catch((err: unknown) => log.error({ err, room: message.room }, 'conversation update failed'));
  });
  bus.on('room.read', ({ room, user }) => {
    read(room, user).catch((err: unknown) => log.error({ err, room }, 'conversation update failed'));
  });

  return {
    announce,
    open,

    /** The inbox of a conversation the caller is staff of (`forbidden` otherwise). */
    inboxOf: async (identity: Identity, room: string): Promise<string> => (await staffConversation(identity, room)).inbox,

    /** `conversation:assign`, the assignee found already (null: nobody). */
    async assign(identity: Identity, room: string, assignee: Member | null): Promise<Conversation> {
      const conversation = await change(identity, room, { assignee: assignee && person(assignee) });
      bus.emit('conversation.assigned', { conversation });
      return conversation;
    },

    async close(identity: Identity, room: string): Promise<Conversation> {
      const conversation = await change(identity, room, { status: 'closed' });
      bus.emit('conversation.closed', { conversation });
      return conversation;
    },

    /** `conflict` when the visitor has opened another conversation in the inbox since this one was closed. */
    reopen: (identity: Identity, room: string) => change(identity, room, { status: 'open' }),

    /** Until `until` (future, at most 30 days ahead), or without it until the visitor's next message. */
    async snooze(identity: Identity, room: string, until: number | undefined): Promise<Conversation> {
      const now = Date.now();
      if (until !== undefined && (until <= now || until > now + maxSnoozeMs)) {
        throw new AppError('bad_request', 'until must be in the future and at most 30 days ahead.');
      }
      return change(identity, room, { status: 'snoozed', snoozedUntil: until ?? null });
    },
  };
}

export type Conversations = ReturnType<typeof createConversations>;
