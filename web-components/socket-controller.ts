import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { io, type Socket } from 'socket.io-client';
import type { AckResult, DrainingEvent, ErrorBody, ErrorCode, HandshakeAuth, Member, SessionEvent } from '../src/protocol.js';

/** `connecting` until first ready, `reconnecting` after a drop, `offline` when closed or refused. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

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
  name?: string;
  /** A JWT signed by the embedding site's backend. */
  token?: string;
  /**
   * Where the guest session token is kept between page loads; none means a new guest each time.
   * `/chat` and `/push` share it, so one guest is the same user on both.
   */
  storage?: SessionStorageLike | undefined;
  /** Default `['websocket', 'polling']`. */
  transports?: ('websocket' | 'polling' | 'webtransport')[];
}

interface SocketHooks {
  /** After every (re)connect: who the server says we are. */
  onSession(user: Member): void;
  /** The server refused the handshake (bad token, guests disabled): retrying will not help. */
  onRefused(error: ChatError): void;
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
/** After a request failure that may pass (a slow store, a rate limit), try again this much later. */
export const RETRY_MS = 3_000;
/** Request failures that retrying on the same connection cannot fix. */
const FATAL_CODES: readonly ErrorCode[] = ['bad_request', 'unauthorized', 'forbidden', 'not_found'];
/** The longest a socket waits for another one's first guest session. */
const FIRST_SESSION_WAIT_MS = 5_000;

/**
 * Per storage and key, a guest socket getting the first session. The page's other sockets to that
 * server wait for it before their handshake, so that `/chat` and `/push` start as one guest
 * rather than two that then overwrite each other's stored session.
 */
const firstSessions = new WeakMap<SessionStorageLike, Map<string, Promise<void>>>();

/**
 * One socket on a roomcast namespace, with what `/chat` and `/push` share: the handshake `auth`
 * (re-read on every reconnect, with the guest session stored since), backoff, `server:draining`,
 * refused handshakes and acks with a timeout. The controllers add their own events to `socket`.
 */
export class SocketLink<S extends Socket> {
  readonly socket: S;
  /** Resolves once the controller calls `markReady()` (joined, subscribed), rejects if closed before. */
  readonly ready: Promise<void>;
  private settleReady?: { resolve: () => void; reject: (err: ChatError) => void };
  private readonly server: string;
  private retryTimer?: ReturnType<typeof setTimeout>;
  /** Set while this socket is the one getting the first guest session (see `firstSessions`). */
  private releaseFirst?: () => void;
  private originChecked = false;
  private closed = false;

  constructor(namespace: '/chat' | '/push', options: SocketOptions, hooks: SocketHooks) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // Whoever calls connect() may ignore it: the controller's state shows the failure too.
    this.ready.catch(() => undefined);
    this.server = `the ${namespace.slice(1)} server`;
    const storageKey = sessionKey(options.url);
    const socket = io(`${options.url}${namespace}`, {
      forceNew: true,
      transports: options.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
      // A function, so every reconnect sends the session stored since the last one.
      auth: (cb) => this.whenSessionKnown(options, storageKey, () => {
        const auth: HandshakeAuth = {};
        if (options.token) auth.token = options.token;
        if (options.name) auth.name = options.name;
        const session = readSession(options.storage, storageKey);
        if (session) auth.session = session;
        cb(auth);
      }),
    });
    socket.on('connect_error', (err: Error & { data?: Partial<ErrorBody> }) => {
      this.releaseFirst?.();
      // A temporary failure (server unreachable): socket.io retries with backoff by itself.
      if (socket.active) return this.checkOrigin(options.url, hooks);
      // Refused by the server's middleware (bad token, guests disabled): retrying will not help.
      const code = (err.data?.code ?? err.message) as ErrorCode;
      hooks.onRefused(new ChatError(code, err.data?.message ?? err.message));
    });
    socket.on('session', ({ user, session }: SessionEvent) => {
      writeSession(options.storage, storageKey, session);
      this.releaseFirst?.();
      hooks.onSession(user);
    });
    socket.on('server:draining', ({ retryInMs }: DrainingEvent) => {
      const delay = Math.min(Math.max(Number(retryInMs) || 0, 0), 60_000);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        socket.connect();
      }, delay);
      socket.disconnect();
    });
    this.socket = socket as S;
  }

  /** Runs `handshake` at once, or once another socket of the page has got the first guest session. */
  private whenSessionKnown(options: SocketOptions, storageKey: string, handshake: () => void): void {
    const { storage } = options;
    if (!storage || options.token || this.releaseFirst || readSession(storage, storageKey) !== undefined) {
      return handshake();
    }
    let pending = firstSessions.get(storage);
    if (!pending) firstSessions.set(storage, (pending = new Map()));
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
  private checkOrigin(url: string, hooks: SocketHooks): void {
    if (this.originChecked || typeof location === 'undefined') return;
    this.originChecked = true;
    void refusedOrigin(url).then((error) => {
      if (error && !this.closed) hooks.onRefused(error);
    });
  }

  markReady(): void {
    this.settleReady?.resolve();
    this.settleReady = undefined;
  }

  /** What a `disconnect` means for the status. */
  statusAfter(reason: Socket.DisconnectReason): ConnectionStatus {
    const closedByUs = reason === 'io client disconnect' && this.retryTimer === undefined;
    // The server kicking us out ('io server disconnect') is not retried by the client either.
    return closedByUs || reason === 'io server disconnect' ? 'offline' : 'reconnecting';
  }

  /** Sends one request; resolves with the ack's result, rejects with a `ChatError`. */
  async request<T>(call: (socket: ReturnType<S['timeout']>) => Promise<AckResult<T>>): Promise<T> {
    // Refuse rather than let socket.io buffer the request and send it, stale, after a reconnect.
    if (!this.socket.connected) throw new ChatError('unavailable', `Not connected to ${this.server}.`);
    let res: AckResult<T>;
    try {
      res = await call(this.socket.timeout(ACK_TIMEOUT_MS) as ReturnType<S['timeout']>);
    } catch {
      throw new ChatError('unavailable', `${capitalize(this.server)} did not answer in time.`);
    }
    if (!res.ok) throw new ChatError(res.error.code, res.error.message, res.error.retryAfterMs);
    return res;
  }

  /** Disconnects for good: no listener fires any more, and `ready`, if still pending, rejects with `reason`. */
  close(reason = new ChatError('unavailable', 'The connection was closed.')): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.releaseFirst?.();
    this.socket.off();
    this.socket.disconnect();
    this.settleReady?.reject(reason);
    this.settleReady = undefined;
  }
}

/**
 * What `ChatConnection` and `PushConnection` share: a Lit reactive controller that owns one
 * socket (a new `SocketLink` on each `connect()`) and exposes status, user and error for
 * rendering. Subclasses add their namespace's events in `connect()`, call
 * `host.addController(this)` at the end of their constructor (their fields must exist before the
 * host connects them), and extend `close()`.
 */
export abstract class SocketController<S extends Socket> implements ReactiveController {
  status: ConnectionStatus = 'offline';
  user?: Member;
  /** The last error, from a refused handshake or a failed request. */
  error?: ErrorBody;

  protected link?: SocketLink<S>;
  /** Bumped on every (re)connect and close, so late answers from an older connection are ignored. */
  protected epoch = 0;

  constructor(
    protected readonly host: ReactiveControllerHost,
    private readonly namespace: '/chat' | '/push',
    private readonly socketOptions: SocketOptions,
  ) {}

  hostConnected(): void {
    // State (status, error) shows the failure; nobody awaits this promise here.
    this.connect().catch(() => undefined);
  }

  hostDisconnected(): void {
    this.close();
  }

  /** Opens the socket; resolves once the subclass calls `link.markReady()`, rejects when refused. */
  abstract connect(): Promise<void>;

  /** Disconnects and stops every timer; what was received stays, so `connect()` resumes after it. */
  close(): void {
    this.epoch++;
    this.link?.close();
    this.link = undefined;
    this.setStatus('offline');
  }

  /** After every (re)connect, once the server knows the socket: join, subscribe, catch up. */
  protected abstract resume(link: SocketLink<S>): void;

  /** The socket went away; it reconnects by itself unless `status` is now `offline`. */
  protected dropped(): void {}

  /** The server said who we are (again); `previous` is who it said last time. */
  protected identified(_user: Member, _previous: Member | undefined): void {}

  /** Makes the link for `connect()`; the subclass adds its namespace's events to `link.socket`. */
  protected openLink(resuming: boolean): SocketLink<S> {
    this.setStatus(resuming ? 'reconnecting' : 'connecting');
    const link = new SocketLink<S>(this.namespace, this.socketOptions, {
      onSession: (user) => {
        const previous = this.user;
        this.user = user;
        this.identified(user, previous);
        this.changed();
      },
      onRefused: (error) => this.fail(error),
    });
    this.link = link;
    link.socket.on('connect', () => {
      this.epoch++;
      this.error = undefined;
      this.resume(link);
    });
    link.socket.on('disconnect', (reason) => {
      this.dropped();
      this.setStatus(link.statusAfter(reason));
    });
    return link;
  }

  /** Sends one request on the current connection; rejects with a `ChatError`. */
  protected ask<T>(call: (socket: ReturnType<S['timeout']>) => Promise<AckResult<T>>): Promise<T> {
    if (!this.link) return Promise.reject(new ChatError('unavailable', 'The connection is closed.'));
    return this.link.request(call);
  }

  protected fail(error: ChatError): void {
    this.error = { code: error.code, message: error.message };
    this.link?.close(error);
    this.close();
  }

  protected setError(err: unknown): void {
    const error = toChatError(err);
    this.error = { code: error.code, message: error.message };
    this.changed();
  }

  protected setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.changed();
  }

  protected changed(): void {
    this.host.requestUpdate();
  }
}

export function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  return new ChatError('internal', err instanceof Error ? err.message : String(err));
}

/** Whether retrying the request on the same connection cannot help. */
export function isFatal(error: ChatError): boolean {
  return FATAL_CODES.includes(error.code);
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
    return undefined; // unreachable: socket.io keeps retrying
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

function readSession(storage: SessionStorageLike | undefined, key: string): string | undefined {
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
