import type { Attachment, ErrorBody, ErrorCode, Message } from '../src/protocol.js';
import { uuidv7 } from './uuid7.js';
import { backoffDelay, type SessionStorageLike, toChatError } from './socket-link.js';

/** A message the user sent that the server has not acknowledged yet. */
export interface OutboxEntry {
  /** Made when the user pressed Send, kept through every retry, reconnect and reload. */
  clientId: string;
  text: string;
  /** The seq of the message this one answers (protocol 6.3). */
  replyTo?: number;
  /** When the user pressed Send, ms since the epoch. */
  createdAt: number;
  /** `sending` until acknowledged; `failed` when the server refused it for good. */
  state: 'sending' | 'failed';
  /** Why it failed. */
  error?: ErrorBody;
  /** Files uploaded before Send (issue 13 point 4): kept, so a send that waits sends them too. */
  attachments?: Attachment[];
}

export interface OutboxOptions {
  storage: SessionStorageLike | undefined;
  /** The server's origin and the room: with the user's id they make the storage keys. */
  server: string;
  room: string;
  /** Sends one entry; resolves with the stored message, rejects with a `ChatError`. */
  send(entry: OutboxEntry): Promise<Message>;
  /** Whether a send may go now (joined on a live connection). */
  canSend(): boolean;
  /** An entry was acknowledged: the stored message. */
  acked(message: Message): void;
  /** Entries or the draft changed. */
  changed(): void;
}

/**
 * Refusals that retrying cannot fix (`not_found`: the message it answers is not in the room): the
 * entry fails, with the reason, until the user retries it.
 */
const REFUSALS: readonly ErrorCode[] = ['bad_request', 'forbidden', 'too_large', 'not_found'];

/**
 * The messages a user sent to one room that the server has not acknowledged, and the draft: kept
 * in storage per server, room and user, so that a reload, a closed tab or a lost network loses
 * nothing. Entries are sent one at a time in the order typed, each with the clientId it got when
 * the user pressed Send, so a repeat after an unknown outcome is stored once. A rate limit waits
 * `retryAfterMs`, an outage backs off; only a refusal that retrying cannot fix marks an entry
 * failed. An entry leaves storage only when acknowledged, or when the user deletes it.
 */
export class Outbox {
  entries: OutboxEntry[] = [];
  draft = '';

  private user: string | undefined;
  private sending = false;
  /** Bumped by `pause()`: the failure of a send made on an older connection is not ours to handle. */
  private generation = 0;
  private failures = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private readonly waiters = new Map<string, { resolve(message: Message): void; reject(error: Error): void }>();

  constructor(private readonly options: OutboxOptions) {
    // Until the server says who we are: the user this page was last time, so a reload shows the
    // outbox and the draft at once, even offline.
    this.load(read<string>(options.storage, this.lastUserKey));
  }

  /**
   * The server said who we are: that user's outbox and draft. What was typed before anyone was
   * known (a first visit) moves along; another user's stays stored for them.
   */
  identify(user: string): void {
    if (user === this.user) return;
    const anonymous = this.user === undefined;
    const typed = anonymous ? this.entries : [];
    const draft = anonymous ? this.draft : '';
    if (anonymous) {
      remove(this.options.storage, this.key('outbox'));
      remove(this.options.storage, this.key('draft'));
    }
    this.load(user);
    write(this.options.storage, this.lastUserKey, user);
    for (const entry of typed) this.save(entry);
    if (draft && !this.draft) this.setDraft(draft);
    this.options.changed();
    void this.flush();
  }

  /** Queues a message; resolves when it is acknowledged, rejects when it fails. */
  add(
    text: string,
    { replyTo, attachments }: { replyTo?: number | undefined; attachments?: Attachment[] | undefined } = {},
  ): Promise<Message> {
    const entry: OutboxEntry = { clientId: uuidv7(), text, createdAt: Date.now(), state: 'sending', ...(attachments && { attachments }) };
    if (replyTo !== undefined) entry.replyTo = replyTo;
    const delivered = new Promise<Message>((resolve, reject) => this.waiters.set(entry.clientId, { resolve, reject }));
    this.save(entry);
    this.options.changed();
    void this.flush();
    return delivered;
  }

  /** Sends a failed entry again, with its clientId. */
  retry(clientId: string): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (entry?.state !== 'failed') return;
    this.save({ ...entry, state: 'sending', error: undefined });
    this.options.changed();
    void this.flush();
  }

  /** Drops an entry the user no longer wants sent (a failed one). */
  delete(clientId: string): void {
    this.settle(clientId);
    this.options.changed();
  }

  /** The server holds this message (acknowledged, or seen in the room): it leaves the outbox. */
  settle(clientId: string, message?: Message): void {
    this.update((entries) => entries.filter((e) => e.clientId !== clientId));
    const waiter = this.waiters.get(clientId);
    this.waiters.delete(clientId);
    if (message) waiter?.resolve(message);
    else waiter?.reject(new Error('The message was deleted before it was sent.'));
  }

  setDraft(text: string): void {
    this.draft = text;
    if (text) write(this.options.storage, this.key('draft'), text);
    else remove(this.options.storage, this.key('draft'));
  }

  /** Another tab changed the stored outbox: take its entries, keep ours. */
  reload(): void {
    const stored = read<OutboxEntry[]>(this.options.storage, this.key('outbox')) ?? [];
    const known = new Set(stored.map((e) => e.clientId));
    this.entries = [...stored, ...this.entries.filter((e) => !known.has(e.clientId))].sort(byCreation);
    this.draft = read<string>(this.options.storage, this.key('draft')) ?? this.draft;
    this.options.changed();
    void this.flush();
  }

  /** Whether `key` (from a `storage` event) is this outbox's. */
  owns(key: string | null): boolean {
    return key === this.key('outbox') || key === this.key('draft');
  }

  /** The connection is gone: a send under way will be retried on the next one. */
  pause(): void {
    this.generation++;
    this.sending = false;
    clearTimeout(this.retryTimer);
  }

  /** Sends what waits, in order, one at a time, while it may. */
  async flush(): Promise<void> {
    // Not before the server said who we are: the entries may belong to another user.
    if (this.sending || !this.options.canSend() || this.user === undefined) return;
    const entry = this.entries.find((e) => e.state === 'sending');
    if (!entry) return;
    const generation = this.generation;
    this.sending = true;
    let message: Message;
    try {
      message = await this.options.send(entry);
    } catch (err) {
      if (generation !== this.generation) return;
      this.sending = false;
      const error = toChatError(err);
      if (REFUSALS.includes(error.code)) {
        this.save({ ...entry, state: 'failed', error: { code: error.code, message: error.message } });
        this.waiters.get(entry.clientId)?.reject(error);
        this.waiters.delete(entry.clientId);
        this.options.changed();
        void this.flush();
      } else {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => void this.flush(), error.retryAfterMs ?? backoffDelay(this.failures++));
      }
      return;
    }
    // An acknowledgement is good news whichever connection it came on.
    if (generation === this.generation) this.sending = false;
    this.failures = 0;
    this.settle(entry.clientId, message);
    this.options.acked(message);
    this.options.changed();
    void this.flush();
  }

  close(): void {
    this.pause();
  }

  /** The user this page was last time, per server. */
  private get lastUserKey(): string {
    return `roomcast:user:${this.options.server}`;
  }

  /** Per server, room and user; the user is empty before the server first said who we are. */
  private key(kind: 'outbox' | 'draft'): string {
    const { server, room } = this.options;
    return `roomcast:${kind}:${server}|${room}|${this.user ?? ''}`;
  }

  private load(user: string | undefined): void {
    this.user = user;
    this.entries = read<OutboxEntry[]>(this.options.storage, this.key('outbox')) ?? [];
    this.draft = read<string>(this.options.storage, this.key('draft')) ?? '';
  }

  /** Adds or replaces an entry, in memory and in storage (read just before, so another tab's entries stay). */
  private save(entry: OutboxEntry): void {
    this.update((entries) => {
      const i = entries.findIndex((e) => e.clientId === entry.clientId);
      return i >= 0 ? entries.map((e, j) => (j === i ? entry : e)) : [...entries, entry].sort(byCreation);
    });
  }

  private update(change: (entries: OutboxEntry[]) => OutboxEntry[]): void {
    this.entries = change(this.entries);
    const key = this.key('outbox');
    const stored = change(read<OutboxEntry[]>(this.options.storage, key) ?? []);
    if (stored.length > 0) write(this.options.storage, key, stored);
    else remove(this.options.storage, key);
  }
}

function byCreation(a: OutboxEntry, b: OutboxEntry): number {
  return a.createdAt - b.createdAt || (a.clientId < b.clientId ? -1 : 1);
}

function read<T>(storage: SessionStorageLike | undefined, key: string): T | undefined {
  try {
    const json = storage?.getItem(key);
    return json ? (JSON.parse(json) as T) : undefined;
  } catch {
    return undefined; // blocked, or not ours: start empty
  }
}

function write(storage: SessionStorageLike | undefined, key: string, value: unknown): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // Full or blocked: the outbox lasts as long as the page.
  }
}

function remove(storage: SessionStorageLike | undefined, key: string): void {
  try {
    storage?.removeItem(key);
  } catch {
    // Blocked: nothing was written either.
  }
}
