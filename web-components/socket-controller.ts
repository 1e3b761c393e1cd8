import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Socket } from 'socket.io-client';
import type { AckResult, ErrorBody, Member } from '../src/protocol.js';
import { ChatError, type SocketOptions, SocketLink, toChatError } from './socket-link.js';

/**
 * Where a connection stands, as the page should say it:
 * - `connecting`: the first attempt, not yet ready (joined, subscribed);
 * - `connected`: ready;
 * - `reconnecting`: it was ready and lost the server; `nextAttemptAt` is when it tries again
 *   (undefined while an attempt is under way);
 * - `offline`: the browser says it has no network (or the connection was closed); it tries again
 *   as soon as the network returns;
 * - `failed`: refused for a reason retrying cannot fix (`error`): a bad token, an origin the
 *   server does not allow.
 */
export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'connected' }
  | { status: 'reconnecting'; nextAttemptAt: number | undefined }
  | { status: 'offline' }
  | { status: 'failed'; error: ErrorBody };

export type ConnectionStatus = ConnectionState['status'];

/**
 * What `ChatConnection` and `PushConnection` share: a Lit reactive controller that owns one socket
 * (a `SocketLink`) and one truthful connection state. Every change of state fires `statechange`
 * on the controller (it is an `EventTarget`) and asks the host to render. In a browser it follows
 * the network: `offline` shows at once, and `online`, a page shown again or made visible try at
 * once instead of waiting out the backoff.
 *
 * Subclasses add their namespace's events to `link.socket` in `listen()`, and call
 * `host.addController(this)` at the end of their constructor (their fields must exist first).
 */
export abstract class SocketController<S extends Socket> extends EventTarget implements ReactiveController {
  state: ConnectionState = { status: 'offline' };
  user?: Member;
  /** The last request error; cleared by every new connection. */
  error?: ErrorBody;

  protected link?: SocketLink<S>;
  /** Bumped on every (re)connect and close, so late answers from an older connection are ignored. */
  protected generation = 0;
  /** Whether the connection was ready once: a later drop is `reconnecting`, not `connecting`. */
  private wasReady = false;
  private ready?: { promise: Promise<void>; resolve(): void; reject(err: ChatError): void };
  private unwatch?: () => void;

  constructor(
    protected readonly host: ReactiveControllerHost,
    private readonly namespace: '/chat' | '/push',
    private readonly socketOptions: SocketOptions,
  ) {
    super();
  }

  get status(): ConnectionStatus {
    return this.state.status;
  }

  /** The socket is up and the subclass has joined or subscribed on it. */
  get connected(): boolean {
    return this.state.status === 'connected';
  }

  hostConnected(): void {
    // The state shows a failure; nobody awaits this promise here.
    this.connect().catch(() => undefined);
  }

  hostDisconnected(): void {
    this.close();
  }

  /** Opens the socket; resolves once ready (joined, subscribed), rejects when refused or closed first. */
  connect(): Promise<void> {
    if (this.link && this.ready) return this.ready.promise;
    let settle!: { resolve(): void; reject(err: ChatError): void };
    const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Whoever calls connect() may ignore it: the state shows the failure too.
    promise.catch(() => undefined);
    this.ready = { promise, ...settle };
    this.error = undefined;
    // Connecting again after a refusal (a kicked user joining again): the refusal no longer holds.
    if (this.state.status === 'failed') this.setState({ status: 'connecting' });
    const link = new SocketLink<S>(this.namespace, this.socketOptions, {
      connected: () => {
        this.generation++;
        this.error = undefined;
        this.resume(link);
        this.update();
      },
      dropped: () => {
        this.generation++;
        this.dropped();
        this.update();
      },
      identified: (user) => {
        const previous = this.user;
        this.user = user;
        this.identified(user, previous);
        this.changed();
      },
      refused: (error) => this.fail(error),
      changed: () => this.update(),
    });
    this.link = link;
    this.listen(link.socket);
    this.unwatch = this.watchNetwork(link);
    link.open();
    this.update();
    return promise;
  }

  /** Disconnects and stops every timer; what was received stays, so `connect()` resumes after it. */
  close(): void {
    this.closeLink(new ChatError('unavailable', 'The connection was closed.'));
    this.setState({ status: 'offline' });
  }

  /** Tries to reach the server at once (a "Retry now" button). */
  reconnectNow(): void {
    this.link?.reconnectNow();
    this.update();
  }

  /** The namespace's events, on a new link's socket. */
  protected abstract listen(socket: S): void;

  /** After every (re)connect, once the server knows the socket: join, subscribe, catch up; then `markReady()`. */
  protected abstract resume(link: SocketLink<S>): void;

  /** The socket went away; the link tries again by itself. */
  protected dropped(): void {}

  /** The server said who we are (again); `previous` is who it said last time. */
  protected identified(_user: Member, _previous: Member | undefined): void {}

  /** The subclass joined or subscribed on this connection. */
  protected markReady(): void {
    this.wasReady = true;
    this.ready?.resolve();
    this.update();
  }

  /** Sends one request on the current connection; rejects with a `ChatError`. */
  protected ask<T>(call: (socket: S) => Promise<AckResult<T>>): Promise<T> {
    if (!this.link) return Promise.reject(new ChatError('unavailable', 'The connection is closed.'));
    return this.link.request(call);
  }

  /** Refused for good: the state says why, and nothing retries until `connect()` is called again. */
  protected fail(error: ChatError): void {
    this.error = { code: error.code, message: error.message };
    this.closeLink(error);
    this.setState({ status: 'failed', error: this.error });
  }

  protected setError(err: unknown): void {
    const error = toChatError(err);
    this.error = { code: error.code, message: error.message };
    this.changed();
  }

  /** Works the state out of the link, the network and readiness, and announces it if it changed. */
  protected update(): void {
    const link = this.link;
    if (!link || this.state.status === 'failed') return this.changed();
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      return this.setState({ status: 'offline' });
    }
    if (link.socket.connected && this.isReady()) return this.setState({ status: 'connected' });
    if (!this.wasReady) return this.setState({ status: 'connecting' });
    this.setState({ status: 'reconnecting', nextAttemptAt: link.nextAttemptAt });
  }

  /** Whether the subclass is joined or subscribed on the current connection. */
  protected abstract isReady(): boolean;

  protected changed(): void {
    this.host.requestUpdate();
  }

  private setState(next: ConnectionState): void {
    const same =
      next.status === this.state.status &&
      (next.status !== 'reconnecting' || next.nextAttemptAt === (this.state as typeof next).nextAttemptAt);
    this.state = next;
    this.changed();
    if (!same) this.dispatchEvent(new Event('statechange'));
  }

  private closeLink(reason: ChatError): void {
    this.generation++;
    this.unwatch?.();
    this.unwatch = undefined;
    this.link?.close();
    this.link = undefined;
    this.dropped();
    this.ready?.reject(reason);
    this.ready = undefined;
  }

  /**
   * In a browser: `offline` shows at once; `online` reconnects at once on a fresh connection (the
   * old one may have died silently meanwhile); a page shown again (from the back-forward cache) or
   * made visible tries at once if it is not connected.
   */
  private watchNetwork(link: SocketLink<S>): (() => void) | undefined {
    if (typeof window === 'undefined' || typeof document === 'undefined') return undefined;
    let wentOffline = false;
    const offline = () => {
      wentOffline = true;
      this.update();
    };
    const online = () => {
      link.reconnectNow(wentOffline);
      wentOffline = false;
      this.update();
    };
    const shown = () => {
      if (document.visibilityState !== 'visible') return;
      link.reconnectNow();
      this.update();
    };
    const controller = new AbortController();
    const { signal } = controller;
    window.addEventListener('offline', offline, { signal });
    window.addEventListener('online', online, { signal });
    window.addEventListener('pageshow', shown, { signal });
    document.addEventListener('visibilitychange', shown, { signal });
    return () => controller.abort();
  }
}
