import { AppError } from './errors.js';
import { type Identity, isConversationRoom, isStaff, mayJoin } from './identity.js';
import type { Store } from './store/store.js';

/** What never changes about a conversation, so it can be kept: its inbox and its visitor. */
interface Owner {
  inbox: string;
  visitorId: string;
}

/** Conversations whose owner a node keeps in memory (a few hundred bytes each). */
const maxKept = 10_000;

/**
 * Who may see a room: the one place that decides, used by every way into a room (socket join,
 * history, typing and reads through the join, message changes, HTTP history, files and uploads,
 * `room:<room>` push topics, moderation).
 *
 * - `private-` rooms: the token's `rooms` claim (or `*`), or admin (identity.ts `mayJoin`).
 * - `conv-<id>` (protocol 6.5): its visitor (same user id), staff of its inbox, admins.
 * - `note-<id>`: staff of its inbox, admins.
 * - A `conv-`/`note-` room no conversation owns: refused, as someone else's is, so that whether a
 *   conversation exists is not revealed. Admins too: nobody makes such a room by writing in it.
 * - Every other room: anyone.
 */
export function createRoomAccess(store: Store) {
  const owners = new Map<string, Owner>();

  /** The conversation that owns a `conv-`/`note-` room; unknown ones are asked again each time (another node may make them). */
  async function ownerOf(room: string): Promise<Owner | undefined> {
    const id = room.slice(5);
    if (!/^[A-Za-z0-9_-]{22}$/.test(id)) return undefined;
    const kept = owners.get(id);
    if (kept) return kept;
    const conversation = await store.conversation(id);
    if (!conversation) return undefined;
    const owner = { inbox: conversation.inbox, visitorId: conversation.visitor.id };
    if (owners.size >= maxKept) owners.delete(owners.keys().next().value as string);
    owners.set(id, owner);
    return owner;
  }

  async function may(identity: Identity, room: string): Promise<boolean> {
    if (!isConversationRoom(room)) return mayJoin(identity, room);
    const owner = await ownerOf(room);
    if (!owner) return false;
    if (isStaff(identity, owner.inbox)) return true;
    return room.startsWith('conv-') && identity.user.id === owner.visitorId;
  }

  /** Throws `forbidden` unless `may`. */
  async function must(identity: Identity, room: string): Promise<void> {
    if (!(await may(identity, room))) throw new AppError('forbidden', `You may not enter ${room}.`);
  }

  /** Whether what `identity` writes in `room` carries the staff mark: staff of the conversation's inbox (admins too). */
  async function isStaffIn(identity: Identity, room: string): Promise<boolean> {
    if (!isConversationRoom(room)) return false;
    const owner = await ownerOf(room);
    return owner !== undefined && isStaff(identity, owner.inbox);
  }

  /** The visitor of the conversation that owns a `conv-`/`note-` room; undefined for any other room. */
  async function visitorOf(room: string): Promise<string | undefined> {
    return isConversationRoom(room) ? (await ownerOf(room))?.visitorId : undefined;
  }

  /** A conversation just made: its owner is known without asking the store. */
  function remember(id: string, owner: Owner): void {
    owners.set(id, owner);
  }

  return { may, must, isStaffIn, visitorOf, remember };
}

export type RoomAccess = ReturnType<typeof createRoomAccess>;
