import { io, type Socket } from 'socket.io-client';
import type { AckResult, DrainingEvent, ErrorBody, ErrorCode, HandshakeAuth, Member, SessionEvent } from '../src/protocol.js';

/** The part of the Web Storage API the connection needs (`localStorage` fits). */
export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What every roomcast socket needs; the controllers' options extend it. */
export interface SocketOptions {
  /** Server origin, e.g. `location.origin` or `http://127.0.0.1:1234`. */
  url: string;
  /** Guest display name (ignored by the server when a token is given). */
  name?: string | undefined;
  /** A JWT signed by the embedding site's backend. */
  token?: string | undefined;
  /**
   * Where the guest session token, the outbox and drafts are kept between page loads; none means
   * a new guest each time and nothing kept. `/chat` and `/push` share it, so one guest is the same
   * user on both.
   */
  storage?: SessionStorageLike | undefined;
  /** Default `['websocket', 'polling']`. */
  transports?: ('websocket' | 'polling')[];
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

/** Request failures that retrying cannot fix. */
const FATAL_CODES: readonly ErrorCode[] = ['bad_request', 'unauthorized', 'forbidden', 'not_found', 'too_large'];

export function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  return new ChatError('internal', err instanceof Error ? err.message : String(err));
}

/** Whether retrying the request cannot help. */
export function isFatal(error: ChatError): boolean {
  return FATAL_CODES.includes(error.code);
}

/** What the link tells its controller. */
export interface LinkEvents {
  /** Connected (again): the server knows the socket; join, subscribe, catch up. */
  connected(): void;
  /** The socket went away; the link tries again by itself (`nextAttemptAt` tells when). */
  dropped(): void;
  /** The server said who we are (after every connect). */
  identified(user: Member): void;
  /** The server refused us (bad token, guests disabled, origin not allowed): retrying will not help. */
  refused(error: ChatError): void;
  /** An attempt was scheduled (`nextAttemptAt`) or started. */
  changed(): void;
}

const ACK_TIMEOUT_MS = 10_000;
/** Reconnect backoff: the first wait is up to this long, doubling per failed attempt ... */
const BACKOFF_BASE_MS = 500;
/** ... up to this cap. */
const BACKOFF_CAP_MS = 30_000;
/** The longest a socket waits for another one's first guest session. */
const FIRST_SESSION_WAIT_MS = 5_000;

/**
 * Exponential backoff with full jitter: a random wait between 0 and `base * 2^attempt` (capped),
 * so that the clients of a restarted node do not all come back in the same second.
 */
export function backoffDelay(attempt: number, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS): number {
  return Math.random() * Math.min(cap, base * 2 ** Math.min(attempt, 30));
}

/**
 * Per storage and key, a guest socket getting the first session. The page's other sockets to that
 * server wait for it before their handshake, so that `/chat` and `/push` start as one guest
 * rather than two that then overwrite each other's stored session.
 */
const firstSessions = new WeakMap<SessionStorageLike, Map<string, Promise<void>>>();

/**
 * One socket on a roomcast namespace, kept connected: the handshake `auth` (re-read on every
 * attempt, with the guest session stored since), reconnects with backoff and full jitter (our own
 * loop rather than socket.io's, so the time of the next attempt is known and "now" is possible),
 * `server:draining`, refused handshakes and acks with a timeout.
 */
export class SocketLink<S extends Socket> {
  readonly socket: S;
  /** When the next connection attempt is due; undefined while connected or trying. */
  nextAttemptAt: number | undefined;

  private readonly server: string;
  private attempts = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  /** Set while this socket is the one getting the first guest session (see `firstSessions`). */
  private releaseFirst?: () => void;
  private originChecked = false;
  private closed = false;
  /** When a draining node asked us to move (`server:draining`). */
  private drainAt = 0;

  constructor(
    namespace: '/chat' | '/push',
    options: SocketOptions,
    private readonly events: LinkEvents,
  ) {
    this.server = `the ${namespace.slice(1)} server`;
    const storageKey = sessionKey(options.url);
    const socket = io(`${options.url}${namespace}`, {
      forceNew: true,
      autoConnect: false,
      reconnection: false,
      transports: options.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      // A function, so every attempt sends the session stored since the last one.
      auth: (cb) =>
        this.whenSessionKnown(options, storageKey, () => {
          const auth: HandshakeAuth = {};
          if (options.token) auth.token = options.token;
          if (options.name) auth.name = options.name;
          const session = readSession(options.storage, storageKey);
          if (session) auth.session = session;
          cb(auth);
        }),
    });
    socket.on('connect', () => {
      this.attempts = 0;
      this.nextAttemptAt = undefined;
      events.connected();
    });
    socket.on('connect_error', (err: Error & { data?: Partial<ErrorBody> }) => {
      this.releaseFirst?.();
      if (!socket.active) {
        const code = (err.data?.code ?? err.message) as ErrorCode;
        // Too many connections from this address (a shared one, or a reload loop): come back when
        // the server says, with the usual jitter on top so a whole office does not return at once.
        if (code === 'rate_limited') {
          const wait = Math.max(0, Number(err.data?.retryAfterMs) || 0) + backoffDelay(this.attempts++);
          this.schedule(wait, () => this.socket.connect());
          return;
        }
        // Refused by the server's middleware (bad token, guests disabled): retrying will not help.
        events.refused(new ChatError(code, err.data?.message ?? err.message));
        return;
      }
      // Unreachable, or refused before the handshake (a page origin the server does not allow).
      this.checkOrigin(options.url);
      this.retryLater();
    });
    socket.on('disconnect', (reason) => {
      if (this.closed || reason === 'io client disconnect') return;
      events.dropped();
      if (reason === 'io server disconnect') {
        events.refused(new ChatError('unavailable', `${capitalize(this.server)} closed the connection.`));
      } else if (this.drainAt <= Date.now()) {
        this.retryLater();
      } // else a draining node closed us before our turn: we still come back at our turn.
    });
    socket.on('session', ({ user, session }: SessionEvent) => {
      writeSession(options.storage, storageKey, session);
      this.releaseFirst?.();
      events.identified(user);
    });
    socket.on('server:draining', ({ retryInMs }: DrainingEvent) => {
      // Stay until our turn, then move: the node's clients leave spread over its drain window.
      const delay = Math.min(Math.max(Number(retryInMs) || 0, 0), 60_000);
      this.drainAt = Date.now() + delay;
      this.schedule(delay, () => this.reconnectNow(true));
    });
    this.socket = socket as S;
  }

  /** Starts connecting. */
  open(): void {
    this.socket.connect();
  }

  /**
   * Tries at once instead of waiting out the backoff (the network came back, the page became
   * visible); with `fresh`, drops a connection that may be silently dead first.
   */
  reconnectNow(fresh = false): void {
    if (this.closed) return;
    if (this.socket.connected) {
      if (!fresh) return;
      this.socket.disconnect();
      this.events.dropped();
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextAttemptAt = undefined;
    this.socket.connect();
  }

  /** Sends one request; resolves with the ack's result, rejects with a `ChatError`. */
  async request<T>(call: (socket: S) => Promise<AckResult<T>>): Promise<T> {
    // Refuse rather than let socket.io buffer the request and send it, stale, after a reconnect.
    if (!this.socket.connected) throw new ChatError('unavailable', `Not connected to ${this.server}.`);
    let res: AckResult<T>;
    try {
      res = await call(this.socket.timeout(ACK_TIMEOUT_MS) as unknown as S);
    } catch {
      throw new ChatError('unavailable', `${capitalize(this.server)} did not answer in time.`);
    }
    if (!res.ok) throw new ChatError(res.error.code, res.error.message, res.error.retryAfterMs);
    return res;
  }

  /** Disconnects for good: no listener fires any more. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextAttemptAt = undefined;
    this.releaseFirst?.();
    this.socket.off();
    this.socket.disconnect();
  }

  private retryLater(): void {
    this.schedule(backoffDelay(this.attempts++), () => this.socket.connect());
  }

  private schedule(delay: number, run: () => void): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.nextAttemptAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.nextAttemptAt = undefined;
      if (this.closed) return;
      run();
      this.events.changed();
    }, delay);
    this.events.changed();
  }

  /** Runs `handshake` at once, or once another socket of the page has got the first guest session. */
  private whenSessionKnown(options: SocketOptions, storageKey: string, handshake: () => void): void {
    const { storage } = options;
    if (!storage || options.token || this.releaseFirst || readSession(storage, storageKey) !== undefined) {
      return handshake();
    }
    let pending = firstSessions.get(storage);
    if (!pending) {
      pending = new Map();
      firstSessions.set(storage, pending);
    }
    const first = pending.get(storageKey);
    if (first) {
      void first.then(handshake);
      return;
    }
    const waiting = pending;
    waiting.set(
      storageKey,
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FIRST_SESSION_WAIT_MS);
        this.releaseFirst = () => {
          clearTimeout(timer);
          waiting.delete(storageKey);
          this.releaseFirst = undefined;
          resolve();
        };
      }),
    );
    handshake();
  }

  /**
   * A page whose origin is not in the server's ALLOWED_ORIGINS fails like an unreachable server:
   * the handshake's 403 carries no CORS header, so the page cannot read it. Asks once, in a browser
   * (other clients send no Origin), and reports a refusal, which retrying would not fix.
   */
  private checkOrigin(url: string): void {
    if (this.originChecked || typeof location === 'undefined') return;
    this.originChecked = true;
    void refusedOrigin(url).then((error) => {
      if (error && !this.closed) this.events.refused(error);
    });
  }
}

/** The storage key of a guest's session with the server at `url`: one per server origin. */
export function sessionKey(url: string): string {
  return `roomcast:session:${new URL(url).origin}`;
}

/** Asks the server (`GET /api/origin`) whether this page's origin may connect; the refusal if not. */
async function refusedOrigin(url: string): Promise<ChatError | undefined> {
  try {
    const res = await fetch(new URL('/api/origin', url), { credentials: 'omit' });
    if (res.status !== 403) return undefined;
    const body = (await res.json()) as { error?: Partial<ErrorBody> };
    return new ChatError('forbidden', body.error?.message ?? 'This site may not use this chat server.');
  } catch {
    return undefined; // unreachable: the link keeps retrying
  }
}

/** The page's `localStorage` where it may be used, for `SocketOptions.storage`. */
export function pageStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // blocked, e.g. third-party storage in a sandboxed frame
  }
}

export function readSession(storage: SessionStorageLike | undefined, key: string): string | undefined {
  try {
    return storage?.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeSession(storage: SessionStorageLike | undefined, key: string, session: string): void {
  try {
    storage?.setItem(key, session);
  } catch {
    // Storage may be full or blocked; the guest just gets a new id next time.
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
