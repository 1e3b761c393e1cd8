import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { ReactiveControllerHost } from 'lit';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { type App, type AppOptions, buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import { connectionConfig } from '../src/store/postgres.js';
import type {
  ChatClientToServer,
  ChatServerToClient,
  Member,
  Message,
  PresenceEvent,
  Push,
  PushClientToServer,
  PushServerToClient,
  SessionEvent,
} from '../src/protocol.js';

export type ChatClient = Socket<ChatServerToClient, ChatClientToServer>;
export type PushClient = Socket<PushServerToClient, PushClientToServer>;

export interface Running extends App {
  url: string;
  config: Config;
  /** The SQLite file, so a test can start a second server on the same data. */
  databasePath: string;
}

/** A fresh folder removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'roomcast-test-'));
  after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
  return dir;
}

/**
 * Starts the real app (on port 0 unless PORT is given) with a fresh SQLite file (or the given one) and closes it after
 * the test file. `env` overrides the environment as roomcast would read it.
 */
export async function startApp(env: Record<string, string> = {}, options: AppOptions = { drainMs: 50 }): Promise<Running> {
  const databasePath = env.DATABASE_PATH ?? join(tempDir(), 'roomcast.db');
  const config = loadConfig({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', ...env, DATABASE_PATH: databasePath });
  const app = await buildApp(config, options);
  await app.app.listen({ port: config.port, host: '127.0.0.1' });
  const { port } = app.app.server.address() as AddressInfo;
  after(() => app.close());
  return { ...app, url: `http://127.0.0.1:${port}`, config, databasePath };
}

/** What waits listen on: Socket.IO's typed once() and Node's EventEmitter share no narrower listener type than any[]. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type EventSource = { once(event: string, listener: (...args: any[]) => void): unknown };

/** Resolves with the event's arguments, or rejects after `ms`. */
export function waitFor<T = unknown>(target: EventSource, event: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${event}`)), ms);
    target.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/**
 * The one way the tests make an acked emit: `acked(socket).emitWithAck(...)` rejects after `ms`
 * when no ack comes, so a test fails instead of hanging.
 */
export function acked<S extends { timeout(ms: number): unknown }>(socket: S, ms = 5000): S {
  // Typed as the socket itself: its emitWithAck resolves with the same ack, and only adds the timeout.
  return socket.timeout(ms) as S;
}

/**
 * A WebSocket speaking Engine.IO v4 by hand, as clients written without socket.io-client do:
 * `frames` holds every frame received, and `frame(prefix)` resolves with the first one (seen or to
 * come) that starts with `prefix`, or rejects after `ms`.
 */
export function rawSocket(url: string) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString()));
  const frame = (prefix: string, ms = 3000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${prefix} frame in ${frames.join(' | ')}`)), ms);
      const check = () => {
        const found = frames.find((f) => f.startsWith(prefix));
        if (found === undefined) return;
        clearTimeout(timer);
        ws.off('message', check);
        resolve(found);
      };
      ws.on('message', check);
      check();
    });
  return { ws, frames, frame };
}

/** A client of `/chat` with reconnection off, not yet connected. */
export function chatClient(url: string, auth: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): ChatClient {
  const socket: ChatClient = io(`${url}/chat`, {
    transports: ['websocket'],
    reconnection: false,
    autoConnect: false,
    forceNew: true,
    auth,
    ...extra,
  });
  after(() => {
    socket.disconnect();
  });
  return socket;
}

/** Connects a `/chat` client and waits for its `session` event. */
export async function connectChat(url: string, auth: Record<string, unknown> = {}) {
  const socket = chatClient(url, auth);
  const session = waitFor<SessionEvent>(socket, 'session');
  socket.connect();
  return { socket, ...(await session) };
}

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A real HTTP receiver (of webhooks) at `url`; `respond` decides each answer (or never answers).
 * `events` emits `request` for each one received.
 */
export async function receiver(respond: (req: Received, n: number, res: ServerResponse) => void) {
  const received: Received[] = [];
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const entry = { headers: req.headers, body };
      received.push(entry);
      respond(entry, received.length, res);
      events.emit('request', entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, received, events };
}

/** Connects a `/push` client (reconnection off), waits for its `session`, and records its pushes. */
export async function connectPush(url: string, auth: Record<string, unknown> = {}) {
  const socket: PushClient = io(`${url}/push`, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
  after(() => {
    socket.disconnect();
  });
  const session = await waitFor<SessionEvent>(socket, 'session');
  const pushes: Push[] = [];
  socket.on('push:new', (p) => pushes.push(p));
  return { socket, pushes, ...session };
}

/** `POST /api/push` with the given API key (none when empty). */
export function postPush(url: string, key: string, body: unknown) {
  return fetch(`${url}/api/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** Resolves with the first `count` message:new events the client sees from now on. */
export function nextMessages(socket: ChatClient, count: number, ms = 10_000): Promise<Message[]> {
  const seen: Message[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`saw ${seen.length} of ${count} messages`)), ms);
    socket.on('message:new', (m) => {
      seen.push(m);
      if (seen.length === count) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

/** Collects every event of one name a client receives. */
export function collect<T>(socket: ChatClient, event: keyof ChatServerToClient): T[] {
  const seen: T[] = [];
  socket.on(event, (value: unknown) => seen.push(value as T));
  return seen;
}

/** The presence changes a client has seen: single (v1) and gathered (v1.1) events read alike. */
export interface PresenceLog {
  events: PresenceEvent[];
  joins: Member[];
  leaves: Member[];
  /** The count of the latest event. */
  count: number | undefined;
  /** Resolves once `check(log)` holds after some event (or already), or rejects after `ms`. */
  until(check: (log: PresenceLog) => boolean, ms?: number): Promise<void>;
}

/** Starts recording the room's presence changes as one client sees them. */
export function presenceLog(socket: ChatClient): PresenceLog {
  const waiters = new Set<() => void>();
  const log: PresenceLog = {
    events: [],
    joins: [],
    leaves: [],
    count: undefined,
    until(check, ms = 3000) {
      if (check(log)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`presence not reached within ${ms} ms: ${JSON.stringify(log.events)}`));
        }, ms);
        const waiter = () => {
          if (!check(log)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
      });
    },
  };
  socket.on('presence:update', (event) => {
    log.events.push(event);
    log.joins.push(...(event.joined ? [event.joined] : []), ...(event.joins ?? []));
    log.leaves.push(...(event.left ? [event.left] : []), ...(event.leaves ?? []));
    log.count = event.count;
    for (const waiter of [...waiters]) waiter();
  });
  return log;
}

/** A Lit controller host without a DOM: the controller calls requestUpdate on every state change. */
export function controllerHost(): ReactiveControllerHost & {
  updates: number;
  changed(check: () => boolean, ms?: number): Promise<void>;
} {
  const listeners = new Set<() => void>();
  return {
    updates: 0,
    addController() {},
    removeController() {},
    requestUpdate() {
      this.updates++;
      for (const listener of listeners) listener();
    },
    updateComplete: Promise.resolve(true),
    /** Resolves once `check()` holds after some update, or rejects after `ms`. */
    changed(check, ms = 5000) {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error('condition not reached'));
        }, ms);
        const listener = () => {
          if (!check()) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve();
        };
        listeners.add(listener);
      });
    },
  };
}

/** `localStorage` in memory, for a controller's guest session. */
export function memoryStorage() {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
    /** Every key held, for tests that check what was left behind. */
    keys: () => [...data.keys()],
  };
}

/** The PostgreSQL server tests may use: TEST_DATABASE_URL, else the machine's local one. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

/**
 * A new empty database on the test PostgreSQL server, dropped after the test file. Resolves to
 * undefined (and says so) when there is no server and CI is not set; in CI a missing server fails.
 */
export async function createTestDatabase(): Promise<string | undefined> {
  const admin = new pg.Client({ ...connectionConfig(testDatabaseUrl), connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    if (process.env.CI) throw err;
    console.warn(`SKIPPING PostgreSQL tests: no server at ${testDatabaseUrl} (${(err as Error).message})`);
    return undefined;
  }
  const name = `roomcast_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  /** Milliseconds from sending the request to its response's headers. */
  ms: number;
}

/**
 * One HTTP request over node:http, which (unlike fetch) sends any Host header it is given. Resolves
 * with the response even when the server answers before the body is sent and closes: the
 * write error that follows on this side is expected then.
 */
export function httpRequest(
  url: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answered = false;
    const req = request(url, { method, headers, agent: false }, (res) => {
      answered = true;
      const ms = performance.now() - started;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(body);
  });
}
