import { Emitter } from '@socket.io/component-emitter';
import { Socket as Engine, type SocketOptions as EngineOptions } from 'engine.io-client';
import { decode, encode, type Packet, PacketType } from './socket-parser.js';

/*
 * socket.io-client for the widget, the part roomcast uses: what the widget's build puts in place of
 * the `socket.io-client` package (esbuild `alias` in bench/build-web.ts; the pages, Node and the
 * tests use the package). One namespace per Engine.IO connection (roomcast asks for `forceNew`),
 * no reconnection of its own (socket-link.ts has its own loop with backoff and jitter, and asks for
 * `reconnection: false`), no binary, no offline buffer (socket-link.ts refuses a request while
 * disconnected). What it keeps of socket.io-client's behaviour, because socket-link.ts relies on it:
 *
 * - `connect()` opens Engine.IO (`path` /socket.io), then sends the namespace's CONNECT with the
 *   `auth` the function gives; `connect` when the server accepts.
 * - A refusal by the server's middleware (CONNECT_ERROR) is `connect_error` with `err.data`, and
 *   `active` turns false: trying again would not help. An unreachable server, or no Engine.IO
 *   handshake within 20 s, is `connect_error` with `active` still true.
 * - A connection lost once Engine.IO had opened is `disconnect` with Engine.IO's reason (`transport close`,
 *   `ping timeout`, ...), a DISCONNECT from the server is `io server disconnect`, `disconnect()`
 *   is `io client disconnect` (if it was connected); pending acks fail then.
 * - `timeout(ms).emitWithAck(...)` rejects after `ms`; `volatile.emit(...)` drops what cannot go now.
 *
 * tests/socket-client.test.ts runs it against the real server, and the controllers' tests with it.
 */

export interface ClientOptions {
  /** Called before each CONNECT with a callback taking the handshake `auth`. */
  auth?: ((cb: (auth: object) => void) => void) | object;
  transports?: string[];
  tryAllTransports?: boolean;
  /** Ignored (always a new connection, never socket.io's own reconnection): roomcast sets them so. */
  forceNew?: boolean;
  reconnection?: boolean;
  /** Default true, as socket.io-client's. */
  autoConnect?: boolean;
}

/** How long the Engine.IO handshake may take before `connect_error` (socket.io-client's default). */
const OPEN_TIMEOUT_MS = 20_000;

type Listener = (...args: unknown[]) => void;

export class Socket extends Emitter<Record<string, Listener>, Record<string, Listener>, Record<string, Listener>> {
  connected = false;
  /** Trying to connect or connected, and not refused or disconnected on purpose. */
  active = false;
  id: string | undefined;

  private engine?: Engine;
  private readonly nsp: string;
  private readonly engineUrl: string;
  private nextId = 0;
  private readonly acks = new Map<number, (err: Error | null, ...res: unknown[]) => void>();
  private flags: { timeout?: number; volatile?: boolean } = {};

  constructor(
    url: string,
    private readonly opts: ClientOptions,
  ) {
    super();
    const parsed = new URL(url);
    this.nsp = parsed.pathname.replace(/\/$/, '') || '/';
    this.engineUrl = parsed.origin;
    if (opts.autoConnect !== false) this.connect();
  }

  connect(): this {
    if (this.connected || this.engine) return this;
    this.active = true;
    const options: Partial<EngineOptions> = { path: '/socket.io' };
    if (this.opts.transports) options.transports = this.opts.transports as EngineOptions['transports'];
    if (this.opts.tryAllTransports) options.tryAllTransports = true;
    const engine = new Engine(this.engineUrl, options);
    this.engine = engine;
    let opened = false;
    const timer = setTimeout(() => failed(new Error('timeout')), OPEN_TIMEOUT_MS);
    /** The Engine.IO handshake failed: `connect_error`, `active` still true (the link tries again). */
    const failed = (err: Error) => {
      clearTimeout(timer);
      if (this.engine !== engine) return;
      this.drop(engine);
      engine.close();
      this.emitReserved('connect_error', err);
    };
    engine.on('error', (err) => {
      if (!opened) failed(err instanceof Error ? err : new Error(String(err)));
    });
    engine.on('open', () => {
      opened = true;
      clearTimeout(timer);
      // Only on this engine: the auth callback may come late, after another attempt began.
      const send = (data: object) => this.engine === engine && this.send({ type: PacketType.CONNECT, nsp: this.nsp, data });
      const { auth } = this.opts;
      if (typeof auth === 'function') auth(send);
      else send(auth ?? {});
    });
    engine.on('data', (data) => {
      if (this.engine !== engine) return;
      let packet: Packet;
      try {
        packet = decode(data);
      } catch {
        return engine.close(); // a malformed packet: the connection closes, as socket.io-client's does
      }
      this.receive(packet);
    });
    engine.on('close', (reason) => {
      if (!opened) return failed(new Error(String(reason)));
      if (this.engine !== engine) return;
      this.drop(engine);
      // Also before the namespace's CONNECT was answered, as socket.io-client: the link tries again.
      this.closed(reason);
    });
    return this;
  }

  disconnect(): this {
    const was = this.connected;
    if (was) this.send({ type: PacketType.DISCONNECT, nsp: this.nsp });
    this.active = false;
    const engine = this.engine;
    if (engine) {
      this.drop(engine);
      engine.close();
    }
    if (was) this.closed('io client disconnect');
    return this;
  }

  /** The next emit fails after `ms` if not acknowledged (with `emitWithAck`). */
  timeout(ms: number): this {
    this.flags.timeout = ms;
    return this;
  }

  /** The next emit is dropped unless it can go now. */
  get volatile(): this {
    this.flags.volatile = true;
    return this;
  }

  override emit(event: string, ...args: unknown[]): this {
    const last = args.at(-1);
    if (typeof last !== 'function') return this.request(event, args);
    // socket.io-client's callback styles: `(err, ...res)` after timeout(), else `(...res)` only on success.
    const withError = this.flags.timeout !== undefined;
    return this.request(event, args.slice(0, -1), (err, ...res) => {
      if (withError) (last as Listener)(err, ...res);
      else if (!err) (last as Listener)(...res);
    });
  }

  emitWithAck(event: string, ...args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.request(event, args, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** Sends an event (with an ack: `ack(err, ...res)` once answered, timed out or disconnected). */
  private request(event: string, args: unknown[], ack?: (err: Error | null, ...res: unknown[]) => void): this {
    const flags = this.flags;
    this.flags = {};
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp, data: [event, ...args] };
    if (ack) {
      if (!this.connected) {
        ack(new Error('not connected'));
        return this;
      }
      const id = this.nextId++;
      packet.id = id;
      const timer =
        flags.timeout === undefined ? undefined : setTimeout(() => this.ack(id, new Error('operation has timed out')), flags.timeout);
      this.acks.set(id, (err, ...res) => {
        clearTimeout(timer);
        ack(err, ...res);
      });
    }
    // Nothing is kept for later (socket.io-client would send it after the next connect).
    if (this.connected) this.send(packet);
    return this;
  }

  private receive(packet: Packet): void {
    if (packet.nsp !== this.nsp) return;
    const data = packet.data as never;
    if (packet.type === PacketType.CONNECT) {
      this.connected = true;
      this.id = (data as { sid?: string }).sid;
      this.emitReserved('connect');
    } else if (packet.type === PacketType.CONNECT_ERROR) {
      const body = data as { message?: string; data?: unknown } | string;
      const err = Object.assign(new Error(typeof body === 'string' ? body : (body.message ?? 'connect_error')), {
        data: typeof body === 'string' ? undefined : body.data,
      });
      this.active = false;
      const engine = this.engine;
      if (engine) {
        this.drop(engine);
        engine.close();
      }
      this.emitReserved('connect_error', err);
    } else if (packet.type === PacketType.EVENT) {
      const [event, ...args] = data as [string, ...unknown[]];
      if (packet.id !== undefined) {
        const id = packet.id;
        args.push((...res: unknown[]) => this.send({ type: PacketType.ACK, nsp: this.nsp, id, data: res }));
      }
      super.emit(event, ...args);
    } else if (packet.type === PacketType.ACK) {
      const ack = this.acks.get(packet.id as number);
      this.acks.delete(packet.id as number);
      ack?.(null, ...(data as unknown[]));
    } else if (packet.type === PacketType.DISCONNECT) {
      this.active = false;
      const engine = this.engine;
      if (engine) {
        this.drop(engine);
        engine.close();
      }
      this.closed('io server disconnect');
    }
  }

  private ack(id: number, err: Error): void {
    const ack = this.acks.get(id);
    this.acks.delete(id);
    ack?.(err);
  }

  private send(packet: Packet): void {
    this.engine?.write(encode(packet));
  }

  /** Forgets `engine`: its later events say nothing about this socket. */
  private drop(engine: Engine): void {
    if (this.engine === engine) this.engine = undefined;
  }

  private closed(reason: string): void {
    this.connected = false;
    this.id = undefined;
    for (const id of [...this.acks.keys()]) this.ack(id, new Error('socket has been disconnected'));
    this.emitReserved('disconnect', reason);
  }
}

export function io(url: string, opts: ClientOptions = {}): Socket {
  return new Socket(url, opts);
}
