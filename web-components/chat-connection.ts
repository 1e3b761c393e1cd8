import type { ReactiveControllerHost } from 'lit';
import type { Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import type {
  ChatClientToServer,
  ChatServerToClient,
  HistoryResult,
  JoinRequest,
  JoinResult,
  Member,
  Message,
  SendResult,
} from '../src/protocol.js';
import { isFatal, RETRY_MS, SocketController, type SocketOptions, toChatError } from './socket-controller.js';

export type ChatSocket = Socket<ChatServerToClient, ChatClientToServer>;

export interface ChatConnectionOptions extends SocketOptions {
  room: string;
  /** Called once for each message that arrives live or while catching up, not for loaded history. */
  onMessage?: (message: Message) => void;
}

const HISTORY_PAGE = 50;
const CATCH_UP_PAGE = 200;
const TYPING_THROTTLE_MS = 2_000;
const TYPING_IDLE_MS = 3_000;
const TYPING_EXPIRY_MS = 6_000;

/**
 * Owns one room's socket on the `/chat` namespace and exposes its state for rendering.
 * Works in a Lit element (connects in `hostConnected`) and in Node with a plain host object
 * (call `connect()` and `close()` yourself).
 */
export class ChatConnection extends SocketController<ChatSocket> {
  readonly room: string;
  /** Sorted by `seq`, no duplicates. */
  messages: Message[] = [];
  members: Member[] = [];
  memberCount = 0;
  /** Other people typing right now. */
  typing: Member[] = [];
  /** Every message from the oldest held up to this seq is held. */
  lastSeq = 0;
  /** Older history exists on the server. */
  hasMore = false;
  loadingOlder = false;

  private readonly options: ChatConnectionOptions;
  private joined = false;
  /** The newest seq known to exist, from the join result or a received message. */
  private newestSeq = 0;
  private catchingUp = false;
  /** The server hinted that broadcasts may have been missed: ask for what follows `lastSeq`. */
  private hinted = false;
  private joinRetryTimer?: ReturnType<typeof setTimeout>;
  private typingSentAt = 0;
  private typingIdleTimer?: ReturnType<typeof setTimeout>;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(host: ReactiveControllerHost, options: ChatConnectionOptions) {
    super(host, '/chat', options);
    this.options = options;
    this.room = options.room;
    host.addController(this);
  }

  /** Opens the socket and joins the room; resolves once joined, rejects when refused. */
  connect(): Promise<void> {
    if (this.link) return this.link.ready;
    const { socket, ready } = this.openLink(this.messages.length > 0);
    socket.on('message:new', (message) => {
      if (message.room !== this.room) return;
      this.stopTyping(message.author.id);
      this.newestSeq = Math.max(this.newestSeq, message.seq);
      this.merge([message], true);
      if (this.joined && message.seq > this.lastSeq) void this.catchUp();
    });
    socket.on('sync:hint', () => {
      // This node may have missed other nodes' messages: nothing tells how many, so ask.
      this.hinted = true;
      void this.catchUp();
    });
    socket.on('presence:update', ({ room, joined, left, count }) => {
      if (room !== this.room) return;
      if (joined && !this.members.some((m) => m.id === joined.id)) this.members = [...this.members, joined];
      if (left) {
        this.members = this.members.filter((m) => m.id !== left.id);
        this.stopTyping(left.id);
      }
      this.memberCount = count;
      this.changed();
    });
    socket.on('typing:update', ({ room, user, typing }) => {
      if (room !== this.room || user.id === this.user?.id) return;
      if (typing) this.startTyping(user);
      else this.stopTyping(user.id);
    });
    return ready;
  }

  override close(): void {
    clearTimeout(this.joinRetryTimer);
    clearTimeout(this.typingIdleTimer);
    this.typingSentAt = 0;
    this.clearTyping();
    this.joined = false;
    super.close();
  }

  protected resume(): void {
    void this.join();
  }

  protected override dropped(): void {
    this.joined = false;
    this.clearTyping();
  }

  /** Sends a message; resolves with the stored message, rejects with a `ChatError`. */
  async send(text: string): Promise<Message> {
    // Time-ordered (UUIDv7): the store's idempotency index then grows at one end, like its log.
    const clientId = uuidv7();
    const { message } = await this.ask<SendResult>((s) =>
      s.emitWithAck('message:send', { room: this.room, text, clientId }),
    );
    this.newestSeq = Math.max(this.newestSeq, message.seq);
    this.merge([message], true);
    void this.catchUp();
    return message;
  }

  /** Loads the page of history before the oldest message held. */
  async loadOlder(): Promise<void> {
    const oldest = this.messages[0];
    if (!oldest || !this.hasMore || this.loadingOlder) return;
    this.loadingOlder = true;
    this.changed();
    try {
      const res = await this.ask<HistoryResult>((s) =>
        s.emitWithAck('message:history', { room: this.room, before: oldest.seq, limit: HISTORY_PAGE }),
      );
      this.hasMore = res.hasMore;
      this.merge(res.messages, false);
    } finally {
      this.loadingOlder = false;
      this.changed();
    }
  }

  /** Call on every keystroke with `true` and with `false` when the draft is sent or cleared. */
  setTyping(typing: boolean): void {
    clearTimeout(this.typingIdleTimer);
    if (typing) {
      if (Date.now() - this.typingSentAt >= TYPING_THROTTLE_MS && this.emitTyping(true)) {
        this.typingSentAt = Date.now();
      }
      this.typingIdleTimer = setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
    } else if (this.typingSentAt > 0) {
      this.typingSentAt = 0;
      this.emitTyping(false);
    }
  }

  private async join(): Promise<void> {
    const epoch = this.epoch;
    const resume = this.messages.length > 0;
    const req: JoinRequest = resume ? { room: this.room, after: this.lastSeq } : { room: this.room };
    let res: JoinResult;
    try {
      res = await this.ask<JoinResult>((s) => s.emitWithAck('room:join', req));
    } catch (err) {
      if (epoch !== this.epoch) return;
      const error = toChatError(err);
      this.error = { code: error.code, message: error.message };
      if (isFatal(error)) {
        this.fail(error);
      } else {
        this.changed();
        this.joinRetryTimer = setTimeout(() => {
          if (epoch === this.epoch && this.link?.socket.connected) void this.join();
        }, RETRY_MS);
      }
      return;
    }
    if (epoch !== this.epoch) return;
    if (resume && res.lastSeq < this.lastSeq) {
      // The room's history restarted (e.g. a fresh database): what we hold no longer exists.
      this.messages = [];
      this.lastSeq = 0;
      this.newestSeq = 0;
      return this.join();
    }
    if (!resume) {
      this.hasMore = res.hasMore;
      this.lastSeq = res.messages.reduce((max, m) => Math.max(max, m.seq), 0) || res.lastSeq;
    }
    this.members = uniqueById(res.members);
    this.memberCount = this.members.length;
    this.newestSeq = Math.max(this.newestSeq, res.lastSeq);
    this.joined = true;
    this.merge(res.messages, resume);
    this.setStatus('connected');
    this.link?.markReady();
    void this.catchUp();
  }

  /**
   * Fetches what lies between `lastSeq` and the newest seq known (gaps and missed pages), and
   * after a `sync:hint` whatever follows `lastSeq`, page by page while the server has more.
   */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    const epoch = this.epoch;
    try {
      while (this.joined && epoch === this.epoch && (this.hinted || this.lastSeq < this.newestSeq)) {
        this.hinted = false;
        const before = this.lastSeq;
        const res = await this.ask<HistoryResult>((s) =>
          s.emitWithAck('message:history', { room: this.room, after: before, limit: CATCH_UP_PAGE }),
        );
        if (epoch !== this.epoch) return;
        this.merge(res.messages, true);
        const progressed = this.lastSeq > before;
        if (progressed && res.hasMore) this.hinted = true;
        // No progress: stop, unless another hint came while this request was out.
        else if (!progressed && !this.hinted) break;
      }
    } catch (err) {
      // The next connect rejoins with `after: lastSeq`, which retries this.
      if (epoch === this.epoch) this.setError(err);
    } finally {
      this.catchingUp = false;
    }
  }

  private merge(incoming: readonly Message[], notify: boolean): void {
    const bySeq = new Map(this.messages.map((m) => [m.seq, m]));
    const added: Message[] = [];
    for (const message of incoming) {
      if (message.room !== this.room || bySeq.has(message.seq)) continue;
      bySeq.set(message.seq, message);
      added.push(message);
    }
    if (added.length === 0) return;
    this.messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    while (bySeq.has(this.lastSeq + 1)) this.lastSeq++;
    this.changed();
    if (notify && this.options.onMessage) {
      for (const message of added.sort((a, b) => a.seq - b.seq)) this.options.onMessage(message);
    }
  }

  private emitTyping(typing: boolean): boolean {
    if (!this.joined || !this.link) return false;
    this.link.socket.volatile.emit('typing:update', { room: this.room, typing });
    return true;
  }

  private startTyping(user: Member): void {
    clearTimeout(this.typingTimers.get(user.id));
    // A safety net for a lost `typing: false`: the server's own expiry is 5 s.
    this.typingTimers.set(
      user.id,
      setTimeout(() => this.stopTyping(user.id), TYPING_EXPIRY_MS),
    );
    this.typing = [...this.typing.filter((m) => m.id !== user.id), user];
    this.changed();
  }

  private stopTyping(id: string): void {
    const timer = this.typingTimers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.typingTimers.delete(id);
    this.typing = this.typing.filter((m) => m.id !== id);
    this.changed();
  }

  private clearTyping(): void {
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    if (this.typing.length > 0) {
      this.typing = [];
      this.changed();
    }
  }
}

function uniqueById(members: readonly Member[]): Member[] {
  return [...new Map(members.map((m) => [m.id, m])).values()];
}
