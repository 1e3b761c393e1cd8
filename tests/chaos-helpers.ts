import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, createServer, type Socket as NetSocket } from 'node:net';
import { after, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { io } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import type { AckResult, ErrorCode, Member, Message } from '../src/protocol.js';
import { type Node, redisAvailable, testPrefix } from './cluster-helpers.js';
import { acked, type ChatClient, connectChat, createTestDatabase } from './helpers.js';

/*
 * What every chaos run needs: a load balancer in front of several nodes, process control by PID,
 * scripted /chat clients that behave like a careful real client (resume by cursor, retry with the
 * same clientId, gap-fill), and one check of every client's final view against the store.
 */

/** Resolves with `promise`, or rejects after `ms` naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `check()` holds, tested now and after every `change` event of `sources`; rejects
 * after `ms` naming what was awaited and, from `state()`, where things stood.
 */
export function until(
  sources: readonly EventEmitter[],
  check: () => boolean,
  what: string,
  ms = 30_000,
  state: () => string = () => '',
): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const listener = () => {
      if (!check()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${ms} ms waiting for ${what} ${state()}`));
    }, ms);
    function done() {
      clearTimeout(timer);
      for (const source of sources) source.off('change', listener);
    }
    for (const source of sources) source.on('change', listener);
  });
}

/**
 * The environment every chaos node gets: sends and catch-up reads are limited by the failure, not
 * the rate limiter (a client that misses another node's broadcasts reads history at every gap).
 */
export const chaosEnv = {
  MESSAGE_RATE_PER_SEC: '1000',
  MESSAGE_RATE_BURST: '1000',
  HISTORY_RATE_PER_SEC: '1000',
  NODE_HEARTBEAT_MS: '300',
};

/**
 * PostgreSQL (a database of this run's own) and Redis (`redisUrl`, with a key prefix of this
 * run's own) for a chaos run of several nodes; undefined, after a loud skip, where either is
 * missing outside CI. `databaseUrl` replaces the database's address, e.g. by a proxy's.
 */
export async function clusterEnv(
  t: TestContext,
  redisUrl: string,
  databaseUrl: (url: string) => string = (url) => url,
): Promise<Record<string, string> | undefined> {
  const database = await createTestDatabase();
  if (!database || !(await redisAvailable(redisUrl))) {
    t.skip('needs Redis and PostgreSQL');
    return undefined;
  }
  return { ...chaosEnv, DATABASE_URL: databaseUrl(database), REDIS_URL: redisUrl, REDIS_PREFIX: testPrefix(redisUrl) };
}

/**
 * Sends `signal` to a node this test started, by its PID, and resolves with its exit code once
 * it has ended (null when the signal ended it), or rejects after `ms`.
 */
export function signalNode(node: Node, signal: 'SIGKILL' | 'SIGTERM', ms = 30_000): Promise<number | null> {
  const { pid, exitCode, signalCode } = node.child;
  assert.ok(pid !== undefined && exitCode === null && signalCode === null, 'the node is not running');
  process.kill(pid, signal);
  return within(node.exited, ms, `node ${pid} to exit after ${signal}`);
}

interface Backend {
  url: string;
  host: string;
  port: number;
  /** Connections forwarded to it and not yet closed (counted from the moment it is chosen). */
  open: number;
  /** It refused a connection: tried only after the others until then. */
  downUntil: number;
  /** Connections it refused. */
  refused: number;
}

/** How long a backend that refused a connection is tried last. */
const backendDownMs = 1000;

/**
 * A small TCP load balancer on loopback in front of several nodes, as a platform's router is for
 * WebSocket clients (no sticky sessions needed: one WebSocket is one TCP connection). A new
 * connection goes to the backend with the fewest open connections, round robin among equals; a
 * backend that refuses is skipped and tried last for a second. When a backend dies its
 * connections close, so its clients reconnect through here, to another. Emits `change` whenever
 * a count changes.
 */
export async function loadBalancer(urls: readonly string[]) {
  const backends: Backend[] = urls.map((url) => {
    const { hostname, port } = new URL(url);
    return { url, host: hostname, port: Number(port), open: 0, downUntil: 0, refused: 0 };
  });
  const events = new EventEmitter();
  const sockets = new Set<NetSocket>();
  let turn = 0;

  function track(socket: NetSocket): void {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // a reset is a close here
  }

  /** Live backends first, fewest open connections first, then round robin from this turn. */
  function order(): Backend[] {
    const now = Date.now();
    const start = turn++ % backends.length;
    const rank = (b: Backend) => [b.downUntil > now ? 1 : 0, b.open, (backends.indexOf(b) - start + backends.length) % backends.length];
    return [...backends].sort((x, y) => {
      const [a, b] = [rank(x), rank(y)];
      return a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
    });
  }

  /** Sends `client` to the best backend it has not tried yet, ranked now; with none left, closes it. */
  function forward(client: NetSocket, tried: Set<Backend>): void {
    const backend = order().find((b) => !tried.has(b));
    if (!backend || client.destroyed) {
      client.destroy();
      return;
    }
    tried.add(backend);
    backend.open++;
    let linked = false;
    const upstream = connect(backend.port, backend.host);
    track(upstream);
    upstream.once('connect', () => {
      linked = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.once('close', () => upstream.destroy());
      if (client.destroyed) upstream.destroy();
      events.emit('change');
    });
    upstream.once('close', () => {
      backend.open--;
      if (linked) {
        client.destroy();
        events.emit('change');
        return;
      }
      backend.refused++;
      backend.downUntil = Date.now() + backendDownMs;
      forward(client, tried);
    });
  }

  // Sockets start paused: what the client sends before its backend is chosen waits in its buffer.
  const server = createServer((client) => {
    track(client);
    forward(client, new Set());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    /** Emits `change` when a connection is forwarded or closes. */
    events,
    /** Open connections the balancer holds to the backend at `url`. */
    connections(url: string): number {
      return backends.find((b) => b.url === url)?.open ?? 0;
    },
    /** Connections the backend at `url` refused, each then sent to another. */
    refused(url: string): number {
      return backends.find((b) => b.url === url)?.refused ?? 0;
    },
  };
}

/** One message a client sent: what its view and the store must each hold exactly once. */
export interface Sent {
  room: string;
  /** The sender's user id when it first tried, which every retry must keep. */
  author: string;
  clientId: string;
  text: string;
  /** The seq its ack gave, when it was acked (an outboxed message not yet acked has none). */
  seq?: number;
}

/** A message as a view shows it: a page shows some of its fields (see `View.fields`). */
export type Shown = Pick<Message, 'seq' | 'text'> & Partial<Message>;

/** What one client shows of one room at the end: its messages in the order it shows them. */
export interface View {
  client: string;
  room: string;
  messages: readonly Shown[];
  /**
   * The fields the client shows, each compared with the store's; unset, the whole message is
   * (a scripted client holds what it received). A page shows seq, text and clientId.
   */
  fields?: readonly (keyof Message)[];
  /** The user's messages it shows as not yet acknowledged (a page's outbox), after the stored ones. */
  pending?: readonly { clientId: string; text: string }[];
}

export interface SenderOptions {
  /** The guest's display name; its session token keeps its user id across reconnects. */
  name: string;
  rooms: readonly string[];
  /** Messages to send, one after another, round robin over `rooms`; 0 only watches. */
  count?: number;
  /** Pause after each acked send. */
  intervalMs?: number;
  /** Reconnect backoff: socket.io-client's exponential one with jitter, from `min` to `max` ms. */
  backoff?: { min: number; max: number };
}

/** Refusals that retrying cannot fix: a careful client stops and shows them. */
const fatalCodes = new Set<string>(['bad_request', 'forbidden', 'too_large', 'unauthorized', 'not_found']);

/** The most tries of one request (a send, a join, a page) before the client gives up loudly. */
const maxAttempts = 100;

const pageLimit = 200;

type Failure = { ok: false; error: { code: ErrorCode | 'timeout' | 'disconnected'; retryAfterMs?: number } };

function failure(err: unknown): Failure {
  const disconnected = /disconnected/.test((err as Error).message);
  return { ok: false, error: { code: disconnected ? 'disconnected' : 'timeout' } };
}

/** Full jitter: anywhere up to `min(cap, base * 2^attempt)`. */
function retryDelay(attempt: number, base = 100, cap = 2000): number {
  return Math.random() * Math.min(cap, base * 2 ** attempt);
}

/**
 * A scripted /chat client, as careful as the real one must be: it reconnects with backoff
 * (waiting the `retryInMs` of `server:draining`), keeps its guest id through its session token,
 * resumes every room after each reconnect with `room:join { after: lastSeq }`, fills gaps and
 * answers `sync:hint` with `message:history { after }`, and, from `start()`, sends `count`
 * messages in order, each with one clientId kept through every retry until it is acked. Its view
 * of a room is what it received, merged by seq; a different message under a seq it holds is
 * recorded as a conflict. Emits `change` when its view, its acks or its connection change, and
 * `failed` when it gives up (which rejects `done`).
 */
export function startSender(url: string, options: SenderOptions) {
  const { name, rooms, count = 0, intervalMs = 20 } = options;
  const backoff = options.backoff ?? { min: 250, max: 2000 };
  const events = new EventEmitter();
  let session: string | undefined;
  let user: Member | undefined;
  const socket: ChatClient = io(`${url}/chat`, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: backoff.min,
    reconnectionDelayMax: backoff.max,
    randomizationFactor: 0.5,
    auth: (cb) => cb(session ? { name, session } : { name }),
  });
  const views = new Map(rooms.map((room) => [room, new Map<number, Message>()]));
  /** Per room, every seq up to this one is held. */
  const held = new Map(rooms.map((room) => [room, 0]));
  /** Per room, the newest seq known to exist. */
  const newest = new Map(rooms.map((room) => [room, 0]));
  /** Per room, how often each seq arrived as `message:new`. */
  const live = new Map(rooms.map((room) => [room, new Map<number, number>()]));
  const catching = new Set<string>();
  const hinted = new Set<string>();
  const conflicts: string[] = [];
  const sent: Sent[] = [];
  /** How often each refusal, timeout or disconnect answered a request, by `event:code`. */
  const outcomes = new Map<string, number>();
  let ready = false;
  let stopped = false;
  let closed = false;
  let connection = 0;
  const stats = { connects: 0, drained: 0 };

  function changed(): void {
    events.emit('change');
  }

  function fail(err: unknown): void {
    events.emit('failed', err);
  }

  function note(event: string, code: string): void {
    const key = `${event}:${code}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }

  function merge(room: string, messages: readonly Message[]): void {
    const view = views.get(room);
    if (!view) return;
    for (const message of messages) {
      if (message.room !== room) continue;
      const mine = view.get(message.seq);
      if (!mine) view.set(message.seq, message);
      else if (!isDeepStrictEqual(mine, message)) {
        conflicts.push(`${room} seq ${message.seq}: held ${JSON.stringify(mine)}, then got ${JSON.stringify(message)}`);
      }
      newest.set(room, Math.max(newest.get(room) ?? 0, message.seq));
    }
    let seq = held.get(room) ?? 0;
    while (view.has(seq + 1)) seq++;
    held.set(room, seq);
    changed();
  }

  /**
   * One acked request, retried with backoff while `go()` holds, each try after `prepare()`; a
   * fatal refusal throws.
   */
  async function request<T>(
    event: string,
    go: () => boolean,
    emit: () => Promise<AckResult<T>>,
    prepare: () => Promise<void> = async () => undefined,
  ) {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      await prepare();
      if (!go()) return undefined;
      const res: AckResult<T> | Failure = await emit().catch(failure);
      if (res.ok) return res;
      note(event, res.error.code);
      if (fatalCodes.has(res.error.code)) throw new Error(`${name}: ${event} refused: ${JSON.stringify(res.error)}`);
      await delay(res.error.retryAfterMs ?? retryDelay(attempt));
    }
    throw new Error(`${name}: ${event} failed ${maxAttempts} times`);
  }

  /** Fetches what follows `held` while something is known to be missing, or a hint asks. */
  async function catchUp(room: string): Promise<void> {
    if (catching.has(room)) return;
    catching.add(room);
    try {
      while (ready && (hinted.has(room) || (held.get(room) ?? 0) < (newest.get(room) ?? 0))) {
        hinted.delete(room);
        const from = held.get(room) ?? 0;
        const page = await request(
          'message:history',
          () => ready,
          () => acked(socket).emitWithAck('message:history', { room, after: from, limit: pageLimit }),
        );
        if (!page) return; // disconnected: the next join resumes from `held`
        merge(room, page.messages);
        if (page.hasMore) hinted.add(room);
        else if ((held.get(room) ?? 0) === from) break; // nothing to be had now
      }
    } catch (err) {
      fail(err);
    } finally {
      catching.delete(room);
    }
  }

  async function joinAll(id: number): Promise<void> {
    const current = () => id === connection && socket.connected && !closed;
    for (const room of rooms) {
      const res = await request('room:join', current, () =>
        acked(socket).emitWithAck('room:join', { room, after: held.get(room) ?? 0, limit: pageLimit }),
      );
      if (!res) return;
      newest.set(room, Math.max(newest.get(room) ?? 0, res.lastSeq));
      merge(room, res.messages);
    }
    ready = true;
    changed();
    for (const room of rooms) void catchUp(room);
  }

  /** Resolves once the client is connected and has joined every room, or rejects after `ms`. */
  function whenReady(ms = 60_000): Promise<void> {
    return until([events], () => ready, `${name} to be connected and joined`, ms);
  }

  /** Sends one message, retrying with the same clientId until it is acked. */
  async function send(room: string, text: string): Promise<Message> {
    await whenReady();
    const entry: Sent = { room, author: user?.id ?? '', clientId: uuidv7(), text };
    sent.push(entry);
    const res = await request(
      'message:send',
      () => !closed,
      () => acked(socket).emitWithAck('message:send', { room, text, clientId: entry.clientId }),
      whenReady,
    );
    if (!res) throw new Error(`${name}: closed before "${text}" was acked`);
    entry.seq = res.message.seq;
    merge(room, [res.message]);
    void catchUp(room);
    return res.message;
  }

  socket.on('session', (event) => {
    session = event.session;
    user = event.user;
  });
  socket.on('connect', () => {
    stats.connects++;
    socket.io.reconnectionDelay(backoff.min).reconnectionDelayMax(backoff.max);
    changed();
    void joinAll(++connection).catch(fail);
  });
  socket.on('disconnect', () => {
    ready = false;
    changed();
  });
  socket.on('server:draining', ({ retryInMs }) => {
    // Come back when the server asks, not all at once: the backoff starts at its delay.
    stats.drained++;
    socket.io.reconnectionDelay(retryInMs).reconnectionDelayMax(retryInMs);
  });
  socket.on('message:new', (message) => {
    const counts = live.get(message.room);
    if (!counts) return;
    counts.set(message.seq, (counts.get(message.seq) ?? 0) + 1);
    merge(message.room, [message]);
    void catchUp(message.room);
  });
  socket.on('sync:hint', () => {
    for (const room of rooms) {
      hinted.add(room);
      void catchUp(room);
    }
  });

  const failed = new Promise<never>((_, reject) => events.once('failed', reject));
  failed.catch(() => undefined); // surfaced through `done`
  let loop: Promise<void> = Promise.resolve();

  /** Starts the sending loop (once every client of the run is ready, so all see it from its start). */
  function start(): void {
    loop = Promise.race([
      failed,
      (async () => {
        for (let i = 0; i < count && !stopped; i++) {
          await send(rooms[i % rooms.length]!, `${name} ${i}`);
          changed();
          await delay(intervalMs);
        }
      })(),
    ]);
    loop.catch(() => undefined); // awaited through `done`, where the test sees the rejection
  }

  function close(): void {
    closed = true;
    ready = false;
    socket.disconnect();
  }
  after(close);

  return {
    name,
    rooms,
    /** It has messages to send (else it only watches). */
    sends: count > 0,
    events,
    whenReady,
    send,
    start,
    /** Resolves when the sending loop has ended with every send acked; rejects if the client gave up. */
    get done() {
      return loop;
    },
    /** Ends the sending loop after the send under way. */
    stop(): void {
      stopped = true;
    },
    close,
    get ready() {
      return ready;
    },
    /** Messages sent and acked so far. */
    get ackedCount() {
      return sent.filter((s) => s.seq !== undefined).length;
    },
    /** Connections made, the first included; `server:draining` events received. */
    stats,
    outcomes,
    conflicts,
    sent: (): readonly Sent[] => sent,
    views: (): View[] =>
      rooms.map((room) => ({ client: name, room, messages: [...(views.get(room)?.values() ?? [])].sort((a, b) => a.seq - b.seq) })),
    /** Every seq up to this one is held in `room`. */
    held: (room: string) => held.get(room) ?? 0,
    /** How often `seq` of `room` arrived as `message:new`. */
    liveCount: (room: string, seq: number) => live.get(room)?.get(seq) ?? 0,
  };
}

export type Sender = ReturnType<typeof startSender>;

/** Starts every client, waits until each is connected and has joined its rooms, then lets them send. */
export async function startAll(specs: readonly { url: string; options: SenderOptions }[]): Promise<Sender[]> {
  const clients = specs.map(({ url, options }) => startSender(url, options));
  await Promise.all(clients.map((c) => c.whenReady(20_000)));
  for (const c of clients) c.start();
  return clients;
}

/** Waits until every client that sends has `more` acks beyond what it had when called. */
export function moreAcks(clients: readonly Sender[], more: number, ms = 30_000): Promise<void> {
  const senders = clients.filter((c) => c.sends);
  const targets = senders.map((c) => c.ackedCount + more);
  return until(
    senders.map((c) => c.events),
    () => senders.every((c, i) => c.ackedCount >= targets[i]!),
    `${more} more acks from every sender`,
    ms,
    () => senders.map((c) => `${c.name}=${c.ackedCount}`).join(' '),
  );
}

/**
 * Ends a run the way later traffic would reveal any gap: stops the senders, waits for every send
 * to be acked, then has the first client of each room send one last message there and waits
 * until every client holds everything up to it, by live delivery or by filling gaps. Resolves
 * with the last message of each room.
 */
export async function finish(clients: readonly Sender[], ms = 30_000): Promise<Map<string, Message>> {
  for (const c of clients) c.stop();
  await within(Promise.all(clients.map((c) => c.done)), ms, 'every send to be acked');
  const lasts = new Map<string, Message>();
  for (const room of new Set(clients.flatMap((c) => c.rooms))) {
    const members = clients.filter((c) => c.rooms.includes(room));
    const last = await within(members[0]!.send(room, 'last'), ms, `the last message to ${room}`);
    lasts.set(room, last);
    await until(
      members.map((c) => c.events),
      () => members.every((c) => c.held(room) >= last.seq),
      `every client to hold ${room} up to seq ${last.seq}`,
      ms,
      () => members.map((c) => `${c.name}=${c.held(room)}`).join(' '),
    );
  }
  return lasts;
}

/**
 * Resolves once `check()` resolves true, asking every `everyMs`, or rejects after `ms`: for
 * state that announces no event, such as what an HTTP endpoint reports.
 */
export async function eventually(check: () => Promise<boolean>, what: string, ms: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await delay(everyMs);
  }
}

/** The whole history of each room, read page by page by a fresh client. */
export async function readStore(url: string, rooms: readonly string[]): Promise<Map<string, Message[]>> {
  const { socket } = await connectChat(url);
  const store = new Map<string, Message[]>();
  try {
    for (const room of rooms) {
      const messages: Message[] = [];
      for (let page = 0; page < 1000; page++) {
        const res = await acked(socket).emitWithAck('message:history', { room, after: messages.at(-1)?.seq ?? 0, limit: pageLimit });
        assert.ok(res.ok, JSON.stringify(res));
        messages.push(...res.messages);
        if (!res.hasMore) break;
      }
      store.set(room, messages);
    }
  } finally {
    socket.disconnect();
  }
  return store;
}

function list(values: readonly (string | number)[], max = 10): string {
  return values.length > max ? `${values.slice(0, max).join(', ')} … (${values.length})` : values.join(', ');
}

/** Counts of each key that occurs more than once. */
function repeats<K>(keys: readonly K[]): Map<K, number> {
  const counts = new Map<K, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return new Map([...counts].filter(([, n]) => n > 1));
}

/**
 * Everything wrong with the store and the views, one line each (none when all is well): the
 * store's seqs run 1, 2, 3, ... with every clientId once; every sent message is stored exactly
 * once, by its author, with its text (and its acked seq); every view shows each stored message
 * exactly once, in seq order, and nothing the store does not hold.
 */
export function viewProblems(store: ReadonlyMap<string, readonly Message[]>, views: readonly View[], sent: readonly Sent[]): string[] {
  const problems: string[] = [];
  for (const [room, messages] of store) {
    const misplaced = messages.filter((m, i) => m.seq !== i + 1).map((m) => m.seq);
    if (misplaced.length > 0) problems.push(`store ${room}: seqs not 1, 2, 3, ...: ${list(misplaced)} out of place`);
    for (const [clientId, n] of repeats(messages.flatMap((m) => m.clientId ?? []))) {
      problems.push(`store ${room}: clientId ${clientId} stored ${n} times`);
    }
  }
  for (const s of sent) {
    const stored = (store.get(s.room) ?? []).filter((m) => m.clientId === s.clientId);
    const what = `sent "${s.text}" (${s.room}, ${s.clientId})`;
    if (stored.length !== 1) problems.push(`${what}: stored ${stored.length} times`);
    const [m] = stored;
    if (!m) continue;
    if (m.author.id !== s.author) problems.push(`${what}: stored as ${m.author.id}'s, sent by ${s.author}`);
    if (m.text !== s.text) problems.push(`${what}: stored with the text "${m.text}"`);
    if (s.seq !== undefined && m.seq !== s.seq) problems.push(`${what}: acked as seq ${s.seq}, stored as ${m.seq}`);
  }
  for (const view of views) {
    const where = `view of ${view.client} in ${view.room}`;
    const stored = store.get(view.room) ?? [];
    const seqs = view.messages.map((m) => m.seq);
    const disorder = seqs.findIndex((seq, i) => i > 0 && seq <= seqs[i - 1]!);
    if (disorder > 0) problems.push(`${where}: seq ${seqs[disorder]} shown after ${seqs[disorder - 1]}`);
    for (const [seq, n] of repeats(seqs)) problems.push(`${where}: seq ${seq} shown ${n} times`);
    for (const [clientId, n] of repeats(view.messages.flatMap((m) => (m.clientId ? `${m.author?.id ?? '?'} ${m.clientId}` : [])))) {
      problems.push(`${where}: ${clientId} (author, clientId) shown ${n} times`);
    }
    const shown = new Set(seqs);
    const missing = stored.filter((m) => !shown.has(m.seq)).map((m) => m.seq);
    if (missing.length > 0) problems.push(`${where}: stored seqs missing: ${list(missing)}`);
    for (const m of view.messages) {
      const held = stored[m.seq - 1];
      const truth = held && view.fields ? pick(held, view.fields) : held;
      if (!truth) problems.push(`${where}: seq ${m.seq} "${m.text}" is not in the store`);
      else if (!isDeepStrictEqual(m, truth))
        problems.push(`${where}: seq ${m.seq} is ${JSON.stringify(m)}, the store holds ${JSON.stringify(truth)}`);
    }
    // An outboxed message shows once: not twice pending, not pending and stored at once.
    const pendingIds = (view.pending ?? []).map((p) => p.clientId);
    for (const [clientId, n] of repeats(pendingIds)) problems.push(`${where}: clientId ${clientId} shown pending ${n} times`);
    const storedIds = new Set(view.messages.flatMap((m) => m.clientId ?? []));
    for (const clientId of pendingIds.filter((id) => storedIds.has(id))) {
      problems.push(`${where}: clientId ${clientId} shown both sent and pending`);
    }
  }
  return problems;
}

/** The `fields` of a message, those it has. */
function pick(message: Message, fields: readonly (keyof Message)[]): Shown {
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (message[field] !== undefined) picked[field] = message[field];
  return picked as Shown;
}

/**
 * Checks every view and every sent message against the store as a fresh client reads it from
 * `url` (see `viewProblems`), and that no client saw two messages under one seq. Resolves with
 * the store.
 */
export async function checkViews(url: string, clients: readonly Sender[], extra: { views?: View[]; sent?: Sent[] } = {}) {
  const views = [...clients.flatMap((c) => c.views()), ...(extra.views ?? [])];
  const sent = [...clients.flatMap((c) => c.sent()), ...(extra.sent ?? [])];
  const rooms = [...new Set([...views.map((v) => v.room), ...sent.map((s) => s.room)])];
  const store = await readStore(url, rooms);
  const problems = [...viewProblems(store, views, sent), ...clients.flatMap((c) => c.conflicts.map((x) => `${c.name}: ${x}`))];
  assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n')}`);
  return store;
}

/**
 * For each client that stayed connected the whole run: stored seqs that did not arrive exactly
 * once as `message:new` (a message stored but never broadcast, or broadcast twice).
 */
export function broadcastProblems(clients: readonly Sender[], store: ReadonlyMap<string, readonly Message[]>): string[] {
  return clients
    .filter((c) => c.stats.connects === 1)
    .flatMap((c) =>
      c.rooms.flatMap((room) => {
        const wrong = (store.get(room) ?? []).filter((m) => c.liveCount(room, m.seq) !== 1);
        return wrong.length === 0 ? [] : [`${c.name} in ${room}: ${list(wrong.map((m) => `seq ${m.seq} ×${c.liveCount(room, m.seq)}`))}`];
      }),
    );
}

/** Non-ok answers the clients got, summed by `event:code`. */
export function outcomesOf(clients: readonly Sender[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of clients) for (const [key, n] of c.outcomes) sum[key] = (sum[key] ?? 0) + n;
  return sum;
}
