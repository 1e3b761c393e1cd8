import type { RoomAccess } from '../access.js';
import type { Bus } from '../bus.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { type Identity, mayModerate } from '../identity.js';
import type { Limits } from '../limits.js';
import type { RoomRules } from '../moderation/room-rules.js';
import type { EditRequest, Message, ReactRequest } from '../protocol.js';
import type { Change, ChangeKind, Store } from '../store/store.js';
import { messageText } from '../validation.js';
import type { ChatNamespace } from './chat.js';

export interface ConversationDeps {
  nsp: ChatNamespace;
  store: Store;
  config: Config;
  limits: Limits;
  rules: RoomRules;
  bus: Bus;
  access: RoomAccess;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** One emoji: a pictograph with its variation selector, skin tone or tag sequence, ZWJ-joined to more; a flag; a keycap. */
const emojiPattern =
  /^(?:\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}\u{E0020}-\u{E007F}]*(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)*|\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3)$/u;
const namePattern = /^:[a-z0-9_+-]{1,32}:$/;

/** A reaction's emoji (protocol 6.3): exactly one emoji grapheme, or a `:name:` of 1..32 of a-z 0-9 _ + -. */
export function isReaction(emoji: string): boolean {
  if (namePattern.test(emoji)) return true;
  const [first, second] = segmenter.segment(emoji);
  return first !== undefined && second === undefined && emojiPattern.test(emoji);
}

/**
 * Edits, reactions and replies (protocol 6.3). Each change is a change entry of the room's one
 * stream (the store applies it to its target and gives it the next seq in one transaction),
 * broadcast as `message:new` like any message, so resync brings it to clients that missed it.
 */
export function createConversation({ nsp, store, config, limits, rules, bus, access }: ConversationDeps) {
  /** The message `seq` of the room as it is now; `not_found` when it is none, a change entry, or deleted (unless `deletedToo`). */
  async function messageAt(room: string, seq: number, deletedToo = false): Promise<Message> {
    const [found] = (await store.history(room, { after: seq - 1, before: seq + 1, limit: 1 })).messages;
    if (!found || found.type !== undefined || (found.deleted && !deletedToo)) {
      throw new AppError('not_found', `${room} has no message ${seq}.`);
    }
    return found;
  }

  /** Moderators are held by no limit; others count against their message rate, and a read-only room refuses them. */
  async function admit(who: Identity, room: string): Promise<void> {
    if (mayModerate(who, room)) return;
    if ((await rules.settings(room)).readOnly) throw new AppError('forbidden', `${room} is read-only: only its moderators may write.`);
    await limits.messages.consume(who.user.id, 'You are sending too fast.');
  }

  /** Stores the change and broadcasts its entry when one was stored. */
  async function apply(who: Identity, room: string, seq: number, kind: ChangeKind): Promise<Message> {
    const result = await store.change({ room, seq, author: who.user, ...kind } as Change);
    if (!result) throw new AppError('not_found', `${room} has no message ${seq}.`);
    if (result.created) {
      nsp.to(room).emit('message:new', result.message);
      if (kind.type === 'edit') bus.emit('message.edited', { message: result.message });
    }
    return result.message;
  }

  /** `message:edit`: its author within EDIT_WINDOW_SECONDS of sending it, or a moderator of the room at any time. */
  async function edit(who: Identity, { room, seq, text }: EditRequest): Promise<Message> {
    const cleaned = messageText(text, config.maxMessageLength);
    const moderator = mayModerate(who, room);
    if (!moderator) await access.must(who, room);
    const target = await messageAt(room, seq);
    if (!moderator) {
      if (target.author.id !== who.user.id)
        throw new AppError('forbidden', 'Only its author or a moderator of the room may edit a message.');
      if (Date.now() - target.ts >= config.editWindowSeconds * 1000) {
        throw new AppError('forbidden', `A message may be edited for ${config.editWindowSeconds} s after it was sent.`);
      }
    }
    await admit(who, room);
    return apply(who, room, seq, { type: 'edit', text: cleaned });
  }

  /**
   * `message:react`: the user's reaction on or off. When it already is so, nothing is stored or
   * broadcast and the answer is the message as it is now (no `type`).
   */
  async function react(who: Identity, { room, seq, emoji, on }: ReactRequest): Promise<Message> {
    if (!isReaction(emoji))
      throw new AppError('bad_request', 'emoji must be one emoji or a :name: of at most 32 characters a-z 0-9 _ + -.');
    await messageAt(room, seq);
    await admit(who, room);
    return apply(who, room, seq, { type: 'reaction', emoji, on });
  }

  /** A send's `replyTo` must name a message of the room (a deleted one too), not a change entry. */
  async function mustBeMessage(room: string, seq: number): Promise<void> {
    await messageAt(room, seq, true);
  }

  return { edit, react, mustBeMessage };
}

export type Conversation = ReturnType<typeof createConversation>;
