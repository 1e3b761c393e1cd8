import { msg, str } from '@lit/localize';
import { html, type TemplateResult } from 'lit';
import type { JoinResult, Member, Message, ReadEvent } from '../src/protocol.js';

/** `roomcast-unread` detail. */
export interface UnreadDetail {
  count: number;
}

/** The shortest time between two `room:read` this client sends (the server tells the room once a second anyway). */
const SEND_GAP_MS = 1000;
/** Names "Seen by" lists before "+n". */
const SEEN_NAMES = 3;

/**
 * The read positions of one room (protocol 6.3): the user's own, which the server keeps for all
 * their devices, and the other members'. Unread are the messages of others (not deleted) after
 * the user's position; reading sends the position on, at most once a second and only forward.
 */
export class ReadState {
  /** Every message up to this seq is read, on one of the user's devices (or was there on their first visit). */
  lastRead = 0;
  /** The other members' positions, with who they are (for "Seen by"). */
  readonly others = new Map<string, { user: Member; seq: number }>();
  /** The first unread message when the room was entered: "New messages" stands before it until a reload. */
  divider?: number;
  /** The position the server has, as far as this client knows. */
  private sent = 0;
  private sentAt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private entered = false;
  /** The room's last seq on a first visit: read as far as counts go, never sent as read. */
  private floor = 0;
  /** The numbering the positions count in (protocol 6.2): another one makes them meaningless. */
  private epoch?: string;

  /**
   * `news()` says whether what the room held before the user's first visit is news to them: in a
   * support conversation a staff member opening it has not read the visitor's messages, and
   * reading them must clear the inbox's unread count (protocol 6.5). Elsewhere it is not.
   */
  constructor(
    private readonly send: (seq: number) => Promise<unknown>,
    private readonly changed: () => void,
    private readonly news: () => boolean = () => false,
  ) {}

  /** Every join's answer; the first sets the divider. */
  joined({ lastRead = 0, reads = {}, members, messages, lastSeq, epoch }: JoinResult, me: string | undefined): void {
    // The room's numbering restarted (a new database): positions of the old one say nothing about
    // the new seqs, so this join counts as a first visit.
    if (this.epoch !== undefined && epoch !== this.epoch) {
      this.entered = false;
      this.lastRead = 0;
      this.others.clear();
      this.divider = undefined;
      this.floor = 0;
    }
    this.epoch = epoch;
    if (!this.entered) {
      this.entered = true;
      this.divider = lastRead > 0 ? messages.find((m) => m.seq > lastRead && counts(m, me))?.seq : undefined;
      // Never read here: what was there before this first visit is not news (and not sent as read).
      if (lastRead === 0 && !this.news()) this.floor = lastSeq;
    }
    this.sent = Math.max(lastRead, this.floor);
    this.lastRead = Math.max(this.lastRead, this.sent);
    for (const user of members) {
      const seq = reads[user.id];
      if (seq !== undefined && user.id !== me) this.others.set(user.id, { user, seq: Math.max(seq, this.others.get(user.id)?.seq ?? 0) });
    }
    // Read here while the server could not be told (offline): tell it now.
    this.flush();
    this.changed();
  }

  /** A `room:read` of the room: another member's, or the user's own from another device. */
  heard({ user, seq }: ReadEvent, me: string | undefined): void {
    if (user.id === me) {
      this.sent = Math.max(this.sent, seq);
      if (seq <= this.lastRead) return;
      this.lastRead = seq;
    } else if (seq > (this.others.get(user.id)?.seq ?? 0)) {
      this.others.set(user.id, { user, seq });
    } else return;
    this.changed();
  }

  /** The user has seen every message up to `seq`. */
  see(seq: number): void {
    if (seq <= this.lastRead) return;
    this.lastRead = seq;
    this.changed();
    this.flush();
  }

  /** The messages that count as unread; `messages` in seq order, read from the newest back to the position. */
  unread(messages: readonly Message[], me: string | undefined): number {
    let n = 0;
    for (let i = messages.length - 1; i >= 0 && (messages[i] as Message).seq > this.lastRead; i--) {
      if (counts(messages[i] as Message, me)) n++;
    }
    return n;
  }

  /** "Seen by …" under the newest message (not their own) each other member has read, by that message's seq. */
  seen(messages: readonly Message[], me: string | undefined): Map<number, string> {
    const by = new Map<number, Member[]>();
    for (const { user, seq } of this.others.values()) {
      if (user.id === me) continue;
      const at = findLast(messages, (m) => m.seq <= seq && m.author.id !== user.id)?.seq;
      if (at !== undefined) by.set(at, [...(by.get(at) ?? []), user]);
    }
    return new Map([...by].map(([seq, users]) => [seq, seenLine(users)]));
  }

  private flush(): void {
    if (this.timer || this.lastRead <= this.sent) return;
    const wait = this.sentAt + SEND_GAP_MS - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
      return;
    }
    this.sent = this.lastRead;
    this.sentAt = Date.now();
    // Not connected or refused: the next join says what the server has, and this client sends again.
    this.send(this.lastRead).catch(() => undefined);
  }
}

/** Someone else's message, not deleted (change entries never reach the list). */
function counts(m: Message, me: string | undefined): boolean {
  return m.author.id !== me && !m.deleted;
}

function findLast<T>(items: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return items[i];
  return undefined;
}

function seenLine(users: readonly Member[]): string {
  const names = users
    .slice(0, SEEN_NAMES)
    .map((u) => u.name)
    .join(', ');
  const more = users.length - SEEN_NAMES;
  return more > 0 ? msg(str`Seen by ${names} +${more}`, { id: 'seen-by-more' }) : msg(str`Seen by ${names}`, { id: 'seen-by' });
}

/** The "New messages" line before the first message unread on entry. */
export function renderDivider(): TemplateResult {
  return html`<div part="unread-divider" class="unread-divider" role="separator">
    <span>${msg('New messages', { id: 'new-messages-divider' })}</span>
  </div>`;
}

/** The "Seen by …" line under a message. */
export function renderSeen(line: string): TemplateResult {
  return html`<p part="seen-by" class="seen-by">${line}</p>`;
}
