import { io, type Socket } from 'socket.io-client';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type {
  AckResult,
  ChatClientToServer,
  ChatServerToClient,
  ErrorBody,
  ErrorCode,
  HandshakeAuth,
  HistoryResult,
  JoinRequest,
  JoinResult,
  Member,
  Message,
  SendResult,
} from '../src/protocol.js';

export type ChatSocket = Socket<ChatServerToClient, ChatClientToServer>;
type TimedSocket = ReturnType<ChatSocket['timeout']>;

/** `connecting` until the first join, `reconnecting` after a drop, `offline` when closed or refused. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** The part of the Web Storage API the connection needs (`localStorage` fits). */
export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ChatConnectionOptions {
  /** Server origin, e.g. `location.origin` or `http://127.0.0.1:1234`. */
  url: string;
  room: string;
  /** Guest display name (ignored by the server when a token is given). */
  name?: string;
  /** A JWT signed by the embedding site's backend. */
  token?: string;
  /** Where the guest session token is kept between page loads; none means a new guest each time. */
  storage?: SessionStorageLike | undefined;
  /** Default `['websocket', 'polling']`. */
  transports?: ('websocket' | 'polling' | 'webtransport')[];
  /** Called once for each message that arrives live or while catching up, not for loaded history. */
  onMessage?: (message: Message) => void;
}

/** A failed request: `code` is one of the protocol's error codes. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

const ACK_TIMEOUT_MS = 10_000;
const HISTORY_PAGE = 50;
const CATCH_UP_PAGE = 200;
const TYPING_THROTTLE_MS = 2_000;
const TYPING_IDLE_MS = 3_000;
const TYPING_EXPIRY_MS = 6_000;
const JOIN_RETRY_MS = 3_000;
/** Join failures that retrying on the same connection cannot fix. */
const FATAL_JOIN_CODES: readonly ErrorCode[] = ['bad_request', 'unauthorized', 'forbidden', 'not_found'];

/**
 * Owns one room's socket on the `/chat` namespace and exposes its state for rendering.
 * Works in a Lit element (connects in `hostConnected`) and in Node with a plain host object
 * (call `connect()` and `close()` yourself).
 */
export class ChatConnection implements ReactiveController {
  readonly room: string;
  status: ConnectionStatus = 'offline';
  user?: Member;
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
  /** The last error, from a refused handshake or a failed request. */
  error?: ErrorBody;

  private readonly options: ChatConnectionOptions;
  private readonly storageKey: string;
  private socket?: ChatSocket;
  /** Bumped on every (re)connect and close, so late answers from an older connection are ignored. */
  private epoch = 0;
  private joined = false;
  /** The newest seq known to exist, from the join result or a received message. */
  private newestSeq = 0;
  private catchingUp = false;
  private ready?: Promise<void>;
  private settleReady?: { resolve: () => void; reject: (err: ChatError) => void };
  private retryTimer?: ReturnType<typeof setTimeout>;
  private joinRetryTimer?: ReturnType<typeof setTimeout>;
  private typingSentAt = 0;
  private typingIdleTimer?: ReturnType<typeof setTimeout>;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly host: ReactiveControllerHost,
    options: ChatConnectionOptions,
  ) {
    this.options = options;
    this.room = options.room;
    this.storageKey = `roomcast:session:${new URL(options.url).origin}`;
    host.addController(this);
  }

  hostConnected(): void {
    // State (status, error) shows the failure; nobody awaits this promise here.
    this.connect().catch(() => undefined);
  }

  hostDisconnected(): void {
    this.close();
  }

  /** Opens the socket and joins the room; resolves once joined, rejects when refused. */
  connect(): Promise<void> {
    if (this.socket && this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    this.ready.catch(() => undefined);
    this.setStatus(this.messages.length > 0 ? 'reconnecting' : 'connecting');

    const socket: ChatSocket = io(`${this.options.url}/chat`, {
      forceNew: true,
      transports: this.options.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
      // A function, so every reconnect sends the session stored since the last one.
      auth: (cb) => {
        const auth: HandshakeAuth = {};
        if (this.options.token) auth.token = this.options.token;
        if (this.options.name) auth.name = this.options.name;
        const session = this.readSession();
        if (session) auth.session = session;
        cb(auth);
      },
    });
    this.socket = socket;

    socket.on('connect', () => {
      this.epoch++;
      this.error = undefined;
      void this.join();
    });
    socket.on('disconnect', (reason) => {
      this.joined = false;
      this.clearTyping();
      const closedByUs = reason === 'io client disconnect' && this.retryTimer === undefined;
      // The server kicking us out ('io server disconnect') is not retried by the client either.
      this.setStatus(closedByUs || reason === 'io server disconnect' ? 'offline' : 'reconnecting');
    });
    socket.on('connect_error', (err: Error & { data?: Partial<ErrorBody> }) => {
      // A temporary failure (server unreachable): socket.io retries with backoff by itself.
      if (socket.active) return;
      // Refused by the server's middleware (bad token, guests disabled): retrying will not help.
      const code = (err.data?.code ?? err.message) as ErrorCode;
      this.fail(new ChatError(code, err.data?.message ?? err.message));
    });
    socket.on('session', ({ user, session }) => {
      this.user = user;
      this.writeSession(session);
      this.changed();
    });
    socket.on('message:new', (message) => {
      if (message.room !== this.room) return;
      this.stopTyping(message.author.id);
      this.newestSeq = Math.max(this.newestSeq, message.seq);
      this.merge([message], true);
      if (this.joined && message.seq > this.lastSeq) void this.catchUp();
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
    socket.on('server:draining', ({ retryInMs }) => {
      const delay = Math.min(Math.max(Number(retryInMs) || 0, 0), 60_000);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        socket.connect();
      }, delay);
      socket.disconnect();
    });
    return this.ready;
  }

  /** Disconnects and stops every timer; the messages stay, so `connect()` resumes after them. */
  close(): void {
    this.epoch++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.joinRetryTimer);
    clearTimeout(this.typingIdleTimer);
    this.typingSentAt = 0;
    this.clearTyping();
    const socket = this.socket;
    this.socket = undefined;
    this.joined = false;
    if (socket) {
      socket.off();
      socket.disconnect();
    }
    this.settleReady?.reject(new ChatError('unavailable', 'The connection was closed.'));
    this.settleReady = undefined;
    this.ready = undefined;
    this.setStatus('offline');
  }

  /** Sends a message; resolves with the stored message, rejects with a `ChatError`. */
  async send(text: string): Promise<Message> {
    const clientId = randomId();
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
      if (FATAL_JOIN_CODES.includes(error.code)) {
        this.fail(error);
      } else {
        this.changed();
        this.joinRetryTimer = setTimeout(() => {
          if (epoch === this.epoch && this.socket?.connected) void this.join();
        }, JOIN_RETRY_MS);
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
    this.settleReady?.resolve();
    this.settleReady = undefined;
    void this.catchUp();
  }

  /** Fetches what lies between `lastSeq` and the newest seq known: gaps and missed pages. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    const epoch = this.epoch;
    try {
      while (this.joined && epoch === this.epoch && this.lastSeq < this.newestSeq) {
        const before = this.lastSeq;
        const res = await this.ask<HistoryResult>((s) =>
          s.emitWithAck('message:history', { room: this.room, after: before, limit: CATCH_UP_PAGE }),
        );
        if (epoch !== this.epoch) return;
        this.merge(res.messages, true);
        if (this.lastSeq === before) break;
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

  private async ask<T>(call: (socket: TimedSocket) => Promise<AckResult<T>>): Promise<T> {
    const socket = this.socket;
    // Refuse rather than let socket.io buffer the request and send it, stale, after a reconnect.
    if (!socket?.connected) throw new ChatError('unavailable', 'Not connected to the chat server.');
    let res: AckResult<T>;
    try {
      res = await call(socket.timeout(ACK_TIMEOUT_MS));
    } catch {
      throw new ChatError('unavailable', 'The chat server did not answer in time.');
    }
    if (!res.ok) throw new ChatError(res.error.code, res.error.message, res.error.retryAfterMs);
    return res;
  }

  private emitTyping(typing: boolean): boolean {
    if (!this.joined || !this.socket) return false;
    this.socket.volatile.emit('typing:update', { room: this.room, typing });
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

  private fail(error: ChatError): void {
    this.error = { code: error.code, message: error.message };
    const settle = this.settleReady;
    this.settleReady = undefined;
    this.close();
    settle?.reject(error);
  }

  private setError(err: unknown): void {
    const error = toChatError(err);
    this.error = { code: error.code, message: error.message };
    this.changed();
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.changed();
  }

  private changed(): void {
    this.host.requestUpdate();
  }

  private readSession(): string | undefined {
    try {
      return this.options.storage?.getItem(this.storageKey) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private writeSession(session: string): void {
    try {
      this.options.storage?.setItem(this.storageKey, session);
    } catch {
      // Storage may be full or blocked; the guest just gets a new id next time.
    }
  }
}

function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  return new ChatError('internal', err instanceof Error ? err.message : String(err));
}

function uniqueById(members: readonly Member[]): Member[] {
  return [...new Map(members.map((m) => [m.id, m])).values()];
}

/** `crypto.randomUUID` exists only in secure contexts; a self-hosted server may be plain http. */
function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
