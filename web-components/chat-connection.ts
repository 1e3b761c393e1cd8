import type { ReactiveControllerHost } from 'lit';
import type { Socket } from 'socket.io-client';
import type { FileAccess } from './attachments.js';
import type {
  Attachment,
  ChatClientToServer,
  ChatServerToClient,
  Conversation,
  HistoryResult,
  JoinRequest,
  JoinResult,
  Member,
  Message,
  OpenConversationResult,
  PresenceEvent,
  SendResult,
  UploadTokenResult,
} from '../src/protocol.js';
import type { RoomRemovedEvent, RoomSettings } from '../src/moderation/schemas.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { KeptChanges, stampPage } from './room-changes.js';
import { ReadState } from './read-state.js';
import { SeqStream, type StreamPage } from './seq-stream.js';
import { SocketController } from './socket-controller.js';
import { ChatError, isFatal, type SocketLink, type SocketOptions, toChatError } from './socket-link.js';
import { Typing } from './typing.js';

export type ChatSocket = Socket<ChatServerToClient, ChatClientToServer>;

export interface ChatConnectionOptions extends SocketOptions {
  /** The room; empty with `inbox`, whose conversation's room it becomes. */
  room: string;
  /**
   * Support mode (protocol 6.5): the user's own conversation in this inbox. An open one is joined
   * on connecting; without one the connection is ready with no room, and the first send opens it.
   */
  inbox?: string | undefined;
  /** Join as an observing moderator (protocol 6.4): the room's broadcasts, without being in its presence or sending. */
  observe?: boolean;
  /** Called once for each message that arrives live or while catching up, not for loaded history. */
  onMessage?: (message: Message) => void;
}

/** What the log shows: a stored message, or one of the user's still in the outbox. */
export type LogItem = { message: Message; pending?: undefined } | { message?: undefined; pending: OutboxEntry };

/** A support conversation's room or its staff notes (protocol 6.5): everything in it is news on a first visit. */
export const isSupportRoom = (room: string): boolean => /^(conv|note)-/.test(room);
const HISTORY_PAGE = 50;
const CATCH_UP_PAGE = 200;

/**
 * Owns one room's socket on the `/chat` namespace and exposes its state for rendering: the
 * messages (one `SeqStream` keeps them gap-free and in order across reconnects), the user's
 * outbox (what they sent that the server has not acknowledged, kept across reloads), the draft,
 * members and typing. Works in a Lit element (connects in `hostConnected`) and in Node with a plain
 * host object (call `connect()` and `close()` yourself).
 */
export class ChatConnection extends SocketController<ChatSocket> {
  /** The room; in support mode empty until the conversation exists. */
  room: string;
  /** Support mode: the user's conversation, as `conversation:open` last said. */
  conversation?: Conversation;
  /** Support mode: whether a staff member of the inbox is connected, as `conversation:open` last said. */
  staffOnline?: boolean;
  /** Support mode: the e-mail address to give with the conversation (`setEmail`). */
  email?: string;
  /** Sorted by `seq`, no duplicates; may hold the user's own acknowledged ones ahead of a hole. */
  messages: Message[] = [];
  members: Member[] = [];
  memberCount = 0;
  /** Older history exists on the server. */
  hasMore = false;
  loadingOlder = false;
  /** A moderator removed the user from the room (kicked, banned): nothing resyncs until `rejoin()`. */
  removed?: RoomRemovedEvent;
  /** The room's slow mode and read-only setting, as the server last said. */
  settings: RoomSettings = { slowModeSeconds: 0, readOnly: false };
  /** How long after sending an author may edit a message (protocol 6.3), as the join ack says; undefined when it does not. */
  editWindowSeconds: number | undefined;
  /** The server's MAX_MESSAGE_LENGTH, from the join ack (0 until joined, or from an older server). */
  maxLength = 0;
  /** The token's moderation roles, from `session`. */
  roles: { admin?: true; moderates?: string[] } = {};
  readonly outbox: Outbox;
  readonly typing: Typing;
  /** Read positions: the user's (`lastRead`, on all their devices), the others' ("Seen by"), the divider. */
  readonly reads: ReadState;

  private readonly options: ChatConnectionOptions;
  private readonly stream: SeqStream<Message>;
  /** Whether `room:join` was acknowledged on the current connection. */
  private joined = false;
  /** Support mode: connected, and the user has no conversation yet (ready, with no room). */
  private roomless = false;
  private opening = false;
  private stopWatchingStorage?: () => void;
  /** When the server acknowledged the user's latest message. */
  private lastSentAt = 0;
  /** The oldest seq held, change entries included (a page may hold only entries). */
  private oldest = Number.POSITIVE_INFINITY;
  /** Change entries whose target is older than what is loaded. */
  private readonly kept = new KeptChanges();

  constructor(host: ReactiveControllerHost, options: ChatConnectionOptions) {
    super(host, '/chat', options);
    this.options = options;
    this.room = options.room;
    this.typing = new Typing({
      emit: (typing) => {
        if (!this.joined || !this.link) return false;
        this.link.socket.volatile.emit('typing:update', { room: this.room, typing });
        return true;
      },
      changed: () => this.changed(),
    });
    this.reads = new ReadState(
      (seq) => this.ask((s) => s.emitWithAck('room:read', { room: this.room, seq })),
      () => this.changed(),
      () => isSupportRoom(this.room),
    );
    this.stream = new SeqStream<Message>({
      fetch: (after) => this.fetch(after),
      deliver: (messages, initial) => this.add(messages, !initial),
      restarted: () => {
        // Another database: what we hold is gone from the server; start again at its newest page.
        this.messages = [];
        this.oldest = Number.POSITIVE_INFINITY;
        this.kept.clear();
        this.hasMore = false;
        this.changed();
        return undefined;
      },
      lost: () => undefined, // a room's log keeps everything: nothing is ever skipped
      failed: (error) => this.fail(error),
      confirmed: () => {
        this.joined = true;
        this.markReady();
        void this.outbox.flush();
      },
    });
    this.outbox = new Outbox({
      storage: options.storage,
      server: new URL(options.url).origin,
      // Support mode: one thread per inbox, so what waits for a conversation keeps across reloads.
      room: options.inbox ? `inbox:${options.inbox}` : options.room,
      send: (entry) => this.deliverEntry(entry),
      canSend: () => this.joined && this.connected,
      acked: (message) => {
        this.add([message], true);
        this.stream.receive(message);
      },
      changed: () => this.changed(),
    });
    host.addController(this);
  }

  /** Every message up to this seq is held (0 before the first join). */
  get lastSeq(): number {
    return this.stream.cursor ?? 0;
  }

  /** Messages from others, not deleted, after the user's read position (on any of their devices). */
  get unread(): number {
    return this.reads.unread(this.messages, this.user?.id);
  }

  /** The user sees the newest messages now (the list at its end, the page visible): they count as read. */
  markRead(): void {
    if (!this.options.observe && this.joined) this.reads.see(this.lastSeq);
  }

  /** The user moderates this room: its settings do not hold them. */
  get moderator(): boolean {
    const { admin, moderates = [] } = this.roles;
    return admin === true || moderates.includes('*') || moderates.includes(this.room);
  }

  /** Only moderators may write here, and the user is not one. */
  get readOnly(): boolean {
    return this.settings.readOnly && !this.moderator;
  }

  /** In slow mode, when the user may send again (ms since the epoch); 0 when they may now. */
  get nextSendAt(): number {
    const { slowModeSeconds } = this.settings;
    if (slowModeSeconds === 0 || this.moderator || this.lastSentAt === 0) return 0;
    const at = this.lastSentAt + slowModeSeconds * 1000;
    return at > Date.now() ? at : 0;
  }

  /** The log in display order: stored messages by seq, then the outbox in the order typed. */
  get log(): LogItem[] {
    const pending = this.outbox.entries.map((entry) => ({ pending: entry }));
    return [...this.messages.map((message) => ({ message })), ...pending];
  }

  override connect(): Promise<void> {
    this.stopWatchingStorage ??= this.watchStorage();
    return super.connect();
  }

  override close(): void {
    this.typing.clear();
    this.outbox.close();
    this.stopWatchingStorage?.();
    this.stopWatchingStorage = undefined;
    super.close();
  }

  /**
   * Sends a message: it shows at once as "sending", goes out as soon as the room is joined (now,
   * or after a reconnect or a reload) and resolves with the stored message; rejects if refused for
   * good (it then shows as failed, with Retry and Delete).
   */
  send(text: string, { replyTo, attachments }: { replyTo?: number; attachments?: Attachment[] | undefined } = {}): Promise<Message> {
    this.typing.set(false);
    const sent = this.outbox.add(text, { replyTo, attachments });
    void this.openConversation();
    return sent;
  }

  /**
   * Support mode: the e-mail address staff may answer at (protocol 6.5). Given with the
   * conversation when the first send opens it, or now to the one there is.
   */
  async setEmail(email: string): Promise<void> {
    this.email = email;
    this.changed();
    if (!this.room) return;
    try {
      await this.askConversation(false);
    } catch (err) {
      this.email = undefined;
      this.setError(err);
    }
  }

  /** Where this room's files are (the server's origin) and the user token a private room's need. */
  get files(): FileAccess {
    return { server: new URL(this.options.url).origin, token: this.options.token };
  }

  /** A token to upload files to this room with (issue 13 point 4); needs the room joined. */
  uploadToken(): Promise<UploadTokenResult> {
    return this.ask<UploadTokenResult>((s) => s.emitWithAck('upload:token', { room: this.room }));
  }

  /** Gives a message a new text (protocol 6.3); resolves with the `edit` entry, rejects with a `ChatError`. */
  edit(seq: number, text: string): Promise<Message> {
    return this.change(this.ask<SendResult>((s) => s.emitWithAck('message:edit', { room: this.room, seq, text })));
  }

  /**
   * Turns the user's reaction `emoji` on a message on or off; resolves with the `reaction` entry, or
   * with the message as it is when it already was so (nothing stored); rejects with a `ChatError`.
   */
  react(seq: number, emoji: string, on: boolean): Promise<Message> {
    return this.change(this.ask<SendResult>((s) => s.emitWithAck('message:react', { room: this.room, seq, emoji, on })));
  }

  /** Deletes a message (its author or a moderator); resolves with the `delete` entry, rejects with a `ChatError`. */
  remove(seq: number): Promise<Message> {
    return this.change(this.ask<SendResult>((s) => s.emitWithAck('message:delete', { room: this.room, seq })));
  }

  /** Loads the page of history before the oldest message (or change entry) held. */
  async loadOlder(): Promise<void> {
    const { oldest } = this;
    if (oldest === Number.POSITIVE_INFINITY || !this.hasMore || this.loadingOlder) return;
    this.loadingOlder = true;
    this.changed();
    try {
      const res = await this.ask<HistoryResult>((s) =>
        s.emitWithAck('message:history', { room: this.room, before: oldest, limit: HISTORY_PAGE }),
      );
      if (res.epoch !== this.stream.epoch) return; // the room restarted meanwhile: the stream resyncs it
      stampPage(res.messages);
      this.hasMore = res.hasMore;
      this.add(res.messages, false);
    } finally {
      this.loadingOlder = false;
      this.changed();
    }
  }

  /** After a kick: joins the room again (a ban's refusal then says until when). */
  rejoin(): Promise<void> {
    this.removed = undefined;
    return this.connect();
  }

  /** Call on every keystroke with `true`, and with `false` when the draft is sent or cleared. */
  setTyping(typing: boolean): void {
    this.typing.set(typing);
  }

  protected listen(socket: ChatSocket): void {
    socket.on('message:new', (message) => {
      if (message.room !== this.room) return;
      this.typing.stop(message.author.id);
      this.stream.receive(message);
    });
    // This node may have missed other nodes' messages: nothing tells how many, so ask.
    socket.on('sync:hint', () => this.stream.hint());
    socket.on('presence:update', (event) => this.presence(event));
    socket.on('room:read', (event) => event.room === this.room && this.reads.heard(event, this.user?.id));
    socket.on('session', ({ admin, moderates }) => {
      this.roles = { ...(admin ? { admin } : {}), ...(moderates ? { moderates } : {}) };
      this.changed();
    });
    socket.on('room:settings', ({ room, slowModeSeconds, readOnly }) => {
      if (room !== this.room) return;
      this.settings = { slowModeSeconds, readOnly };
      this.changed();
    });
    socket.on('room:removed', (event) => {
      if (event.room !== this.room) return;
      this.removed = event;
      this.fail(new ChatError('forbidden', removedNotice(event)));
    });
    socket.on('typing:update', ({ room, user, typing }) => {
      if (room !== this.room || user.id === this.user?.id) return;
      if (typing) this.typing.start(user);
      else this.typing.stop(user.id);
    });
  }

  protected resume(_link: SocketLink<ChatSocket>): void {
    if (this.room) this.stream.resume();
    else void this.openConversation();
  }

  protected isReady(): boolean {
    return this.joined || this.roomless;
  }

  protected override dropped(): void {
    this.joined = false;
    this.roomless = false;
    this.stream.pause();
    this.outbox.pause();
    this.typing.clear();
  }

  protected override identified(user: Member): void {
    this.outbox.identify(user.id);
  }

  /**
   * Support mode without a room yet: asks for the user's open conversation in the inbox, and
   * creates it when something waits to be sent (not before: idle visitors make none). Once there
   * is one, joins its room, and the outbox sends.
   */
  private async openConversation(): Promise<void> {
    if (!this.options.inbox || this.room || this.opening || !this.link?.socket.connected) return;
    const create = this.outbox.entries.length > 0;
    const generation = this.generation;
    this.opening = true;
    try {
      await this.askConversation(create);
      if (generation !== this.generation) return;
      this.room = this.conversation?.room ?? '';
      this.roomless = !this.room;
      if (this.room) this.stream.resume();
      else this.markReady();
    } catch (err) {
      const error = toChatError(err);
      if (generation !== this.generation) return;
      if (isFatal(error)) this.fail(error);
      else this.setError(error);
    } finally {
      this.opening = false;
    }
    // Sent while asking without creating: ask again, creating.
    if (!this.room && !create && this.outbox.entries.length > 0) void this.openConversation();
  }

  /** `conversation:open` in the inbox, with the e-mail address when there is one. */
  private async askConversation(create: boolean): Promise<void> {
    const { inbox = '' } = this.options;
    const { email } = this;
    const res = await this.ask<OpenConversationResult>((s) =>
      s.emitWithAck('conversation:open', { inbox, create, ...(email ? { email } : {}) }),
    );
    this.staffOnline = res.staffOnline;
    this.conversation = res.conversation;
    this.changed();
  }

  /**
   * The stream's requests: the first on a connection joins the room (with `after` = the cursor
   * once there is one), later ones read history after the cursor.
   */
  private async fetch(after: number | undefined): Promise<StreamPage<Message>> {
    const generation = this.generation;
    if (!this.joined) {
      const req: JoinRequest = after === undefined ? { room: this.room } : { room: this.room, after };
      if (this.options.observe) req.observe = true;
      const res = await this.ask<JoinResult>((s) => s.emitWithAck('room:join', req));
      stampPage(res.messages);
      if (generation === this.generation) {
        // A server older than protocol 6.4 has no settings: none hold.
        this.settings = res.settings ?? { slowModeSeconds: 0, readOnly: false };
        this.editWindowSeconds = res.editWindowSeconds;
        this.maxLength = res.maxMessageLength ?? 0;
        this.members = uniqueById(res.members);
        this.memberCount = this.members.length;
        // A first join's page is the newest: older history may exist before it.
        if (after === undefined) this.hasMore = res.hasMore;
        this.reads.joined(res, this.user?.id);
      }
      return { epoch: res.epoch, entries: res.messages, lastSeq: res.lastSeq, more: after !== undefined && res.hasMore };
    }
    const res = await this.ask<HistoryResult>((s) =>
      s.emitWithAck('message:history', after === undefined ? { room: this.room } : { room: this.room, after, limit: CATCH_UP_PAGE }),
    );
    stampPage(res.messages);
    if (after === undefined && generation === this.generation) this.hasMore = res.hasMore;
    const last = res.messages.at(-1)?.seq ?? after ?? 0;
    return { epoch: res.epoch, entries: res.messages, lastSeq: last, more: after !== undefined && res.hasMore };
  }

  private deliverEntry({ text, clientId, replyTo, attachments }: OutboxEntry): Promise<Message> {
    const ids = attachments?.map((a) => a.id);
    const req = { room: this.room, text, clientId, ...(replyTo !== undefined && { replyTo }), ...(ids && { attachments: ids }) };
    return this.ask<SendResult>((s) => s.emitWithAck('message:send', req)).then((res) => res.message);
  }

  /** A change acknowledged: its entry takes its place in the stream at once, as the broadcast would. */
  private async change(request: Promise<SendResult>): Promise<Message> {
    const { message } = await request;
    if (message.type !== undefined) this.stream.receive(message);
    return message;
  }

  /** Puts messages in their seq places; each new one leaves the outbox, and is announced when `notify`. */
  private add(incoming: readonly Message[], notify: boolean): void {
    const bySeq = new Map(this.messages.map((m) => [m.seq, m]));
    const added: Message[] = [];
    let changed = false;
    for (const message of incoming) {
      if (message.room !== this.room || bySeq.has(message.seq)) continue;
      this.oldest = Math.min(this.oldest, message.seq);
      // A change entry is applied, not shown; one of a type this client does not know is ignored.
      if (message.type !== undefined) {
        changed = this.kept.apply(bySeq, message) || changed;
        continue;
      }
      bySeq.set(message.seq, message);
      this.kept.held(bySeq, message.seq);
      added.push(message);
      if (message.clientId !== undefined && message.author.id === this.user?.id) {
        // Live, not loaded: the user's message was stored just now (slow mode counts from it).
        if (notify) this.lastSentAt = Date.now();
        this.outbox.settle(message.clientId, message);
      }
    }
    if (added.length === 0 && !changed) return;
    this.messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    this.changed();
    if (notify && this.options.onMessage) {
      for (const message of added.sort((a, b) => a.seq - b.seq)) this.options.onMessage(message);
    }
  }

  private presence({ room, joined, left, joins, leaves, count }: PresenceEvent): void {
    if (room !== this.room) return;
    for (const member of joins ?? (joined ? [joined] : [])) {
      if (!this.members.some((m) => m.id === member.id)) this.members = [...this.members, member];
    }
    for (const member of leaves ?? (left ? [left] : [])) {
      // Joined and left within one window: gone, unless they are still counted in.
      this.members = this.members.filter((m) => m.id !== member.id);
      this.typing.stop(member.id);
    }
    this.memberCount = count;
    this.changed();
  }

  /** Another tab of this page's origin changed the outbox or the draft: take it in. */
  private watchStorage(): (() => void) | undefined {
    if (typeof window === 'undefined') return undefined;
    const onStorage = (event: StorageEvent) => {
      if (this.outbox.owns(event.key)) this.outbox.reload();
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }
}

/** What the room says to a user a moderator removed. */
export function removedNotice({ reason, message, until }: RoomRemovedEvent): string {
  const why = message ? `: ${message}` : '.';
  if (reason === 'kicked') return `You were removed from this room by a moderator${why}`;
  const end = until === undefined ? 'for good' : `until ${new Date(until).toLocaleString()}`;
  return `You were banned from this room ${end} by a moderator${why}`;
}

function uniqueById(members: readonly Member[]): Member[] {
  return [...new Map(members.map((m) => [m.id, m])).values()];
}
