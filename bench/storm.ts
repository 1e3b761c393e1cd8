/**
 * The reconnect storm: two nodes behind a small TCP load balancer, every client on node A, then A
 * gets SIGTERM. Clients do what the browser client does: on `server:draining` they wait
 * `retryInMs`, then disconnect and reconnect at once (through the balancer, now routing to B),
 * rejoin their room with `after` their last contiguous seq and take what they missed. Scripted
 * senders, connected to B, send all along; afterwards every client must hold every acknowledged
 * message of its room. The same storm runs against two bare Socket.IO servers
 * (bench/bare-server.ts) in the same run, for B's CPU per reconnect+join.
 *
 * Cores: A and B on core 0 (B's CPU is read from /proc, per process), the balancer and this
 * process on core 1, PostgreSQL and Redis unpinned. A with the clients' side on core 1 fell behind
 * its own drain schedule whenever other programs took that core.
 *
 *   taskset -c 1 node --import tsx bench/storm.ts [--clients 5000] [--room-size 10] [--runs 1]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { v7 as uuidv7 } from 'uuid';
import type { AckResult, HistoryResult, JoinResult, Message, SendResult } from '../src/protocol.js';
import { connectionConfig } from '../src/store/postgres.js';
import { startBalancer } from './balancer.js';
import { Histogram, median, nowMs, readCoreBusyMs, readProcCpuMs, waitForQuiet } from './lib.js';
import { type BenchNode, bareServerArgs, startBenchNode } from './node-process.js';
import { WireClient } from './wire-client.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    'room-size': { type: 'string', default: '10' },
    senders: { type: 'string', default: '20' },
    rate: { type: 'string', default: '5' },
    runs: { type: 'string', default: '1' },
    targets: { type: 'string', default: 'roomcast,bare' },
    'quiet-wait': { type: 'string', default: '60' },
    'drain-rate': { type: 'string', default: '500' },
    'drain-ms': { type: 'string', default: '15000' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`node --import tsx bench/storm.ts [options]   (after npm run build)
  --clients N      clients on node A (default 5000)
  --room-size N    clients per room (default 10)
  --senders N      scripted senders on node B, one per room, spread over the rooms (default 20)
  --rate N         messages/s per sender (default 5)
  --runs N         repeat, report medians (default 1)
  --targets LIST   roomcast,bare (default both)
  --quiet-wait S   before each storm, wait up to S s until both CPUs are under 10 % busy (default 60)
  --drain-rate N   DRAIN_RATE of both servers: clients sent away per second (default 500, as roomcast)
  --drain-ms N     DRAIN_MS of both servers: the longest drain (default 15000, as roomcast)
Env: REDIS_URL, TEST_DATABASE_URL (an admin connection that may CREATE DATABASE);
BENCH_SERVER_CPU_PROF=DIR makes node B write a V8 CPU profile there.`);
  process.exit(0);
}
const clientCount = Number(args.clients);
const roomSize = Number(args['room-size']);
const senderCount = Number(args.senders);
const rate = Number(args.rate);
const runs = Number(args.runs);
const quietWaitMs = Number(args['quiet-wait']) * 1000;
const drainRate = Number(args['drain-rate']);
const drainMs = Number(args['drain-ms']);
const targets = (args.targets ?? '').split(',').filter((t): t is Target => t === 'roomcast' || t === 'bare');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const rooms = Math.ceil(clientCount / roomSize);

type Target = 'roomcast' | 'bare';
/** This process's CPU time so far, ms. */
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Emits with an ack, rejecting after `ms`. */
function request<T>(conn: WireClient, event: string, payload: unknown, ms = 30_000): Promise<AckResult<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event}: no ack within ${ms} ms`)), ms);
    conn.emit(event, payload, (res: AckResult<T>) => {
      clearTimeout(timer);
      resolve(res);
    });
  });
}

/** One simulated browser: a guest in one room, keeping its guest session and its seq cursor. */
class Client {
  /** The guest session roomcast gave (the bare server gives none), so a reconnect is the same user. */
  session: string | undefined;
  joined = false;
  conn: WireClient | undefined;
  readonly seen = new Set<number>();
  /** Every seq up to this one is held. */
  cursor = 0;
  duplicates = 0;
  resyncedAt: number | undefined;
  /** Where the client is, for the report of those that did not resync. */
  state = 'new';
  /** Measuring the storm: join acks go into the histogram. */
  static joinAcks: Histogram | undefined;
  /** Measuring the storm: from opening the TCP connection to the namespace's connect, µs. */
  static connects: Histogram | undefined;
  static stopping = false;
  /** Why reconnects failed, by reason. */
  static failures = new Map<string, number>();

  constructor(
    readonly room: string,
    readonly name: string,
    readonly target: Target,
    readonly url: () => string,
  ) {}

  private take(message: Message): void {
    if (this.seen.has(message.seq)) this.duplicates++;
    this.seen.add(message.seq);
    while (this.seen.has(this.cursor + 1)) this.cursor++;
  }

  /** Connects and joins, with `after` when it has been here before; resolves once resynced. */
  async open(): Promise<void> {
    const conn = new WireClient(this.url(), '/chat');
    this.conn = conn;
    conn.onEvent((event, payload) => {
      if (event === 'message:new') this.take(payload as Message);
      else if (event === 'session') this.session = (payload as { session: string }).session;
      else if (event === 'server:draining') {
        // What the browser client does: stay until retryInMs, then leave and come back at once.
        setTimeout(() => this.move(conn), (payload as { retryInMs: number }).retryInMs);
      }
    });
    conn.onDisconnect(() => this.move(conn));
    const rejoin = this.joined;
    this.state = 'connecting';
    const connectAt = nowMs();
    await conn.connect(this.session ? { name: this.name, session: this.session } : { name: this.name }, 30_000);
    Client.connects?.add((nowMs() - connectAt) * 1000);
    const sentAt = nowMs();
    this.state = 'joining';
    const join = await request<JoinResult>(conn, 'room:join', rejoin ? { room: this.room, after: this.cursor } : { room: this.room });
    if (!join.ok) throw new Error(`join: ${join.error.code}`);
    Client.joinAcks?.add((nowMs() - sentAt) * 1000);
    if (!rejoin) this.cursor = join.lastSeq;
    this.joined = true;
    for (const m of join.messages) this.take(m);
    // The bare server keeps no history: its join is the whole resync.
    let more = join.hasMore && this.target === 'roomcast';
    while (more) {
      const page = await request<HistoryResult>(conn, 'message:history', { room: this.room, after: this.cursor, limit: 200 });
      if (!page.ok) throw new Error(`history: ${page.error.code}`);
      for (const m of page.messages) this.take(m);
      more = page.hasMore;
    }
    this.state = 'joined';
    if (rejoin) this.resyncedAt = nowMs();
  }

  /** Leaves `conn` (once) and reconnects at once, then with jittered backoff while it fails. */
  private move(conn: WireClient): void {
    if (this.conn !== conn || Client.stopping) return;
    this.conn = undefined;
    this.state = 'moving';
    conn.close();
    void (async () => {
      for (let attempt = 0; !Client.stopping; attempt++) {
        try {
          await this.open();
          return;
        } catch (err) {
          const why = (err as Error).message;
          Client.failures.set(why, (Client.failures.get(why) ?? 0) + 1);
          this.conn?.close();
          this.conn = undefined;
          await sleep(Math.random() * Math.min(500 * 2 ** attempt, 5000));
        }
      }
    })();
  }
}

/** A scripted sender on node B: one room, open loop, remembers the seqs acknowledged. */
async function startSender(url: string, room: string, acked: Map<string, Set<number>>) {
  const conn = new WireClient(url, '/chat');
  await conn.connect({ name: `sender-${room}` }, 30_000);
  const join = await request<JoinResult>(conn, 'room:join', { room });
  if (!join.ok) throw new Error(`sender join: ${join.error.code}`);
  const seqs = acked.get(room) ?? new Set<number>();
  acked.set(room, seqs);
  let failed = 0;
  let pending = 0;
  const timer = setInterval(() => {
    pending++;
    void request<SendResult>(conn, 'message:send', { room, text: `${nowMs()} storm`, clientId: uuidv7() }).then(
      (res) => {
        pending--;
        if (res.ok) seqs.add(res.message.seq);
        else failed++;
      },
      () => {
        pending--;
        failed++;
      },
    );
  }, 1000 / rate);
  return {
    async stop(): Promise<number> {
      clearInterval(timer);
      for (let i = 0; pending > 0 && i < 100; i++) await sleep(50);
      conn.close();
      return failed;
    },
  };
}

/** Opens `clients` through the balancer, `lanes` handshakes at a time. */
async function connectAll(clients: Client[], lanes: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < clients.length) await (clients[next++] as Client).open();
    }),
  );
}

interface Figures {
  'resynced (of clients)': number;
  'all resynced after SIGTERM (s)': number;
  'connect p50 (ms)': number;
  'connect p99 (ms)': number;
  'join ack p50 (ms)': number;
  'join ack p99 (ms)': number;
  'messages sent during the storm': number;
  'messages missing after resync': number;
  'messages delivered twice (merged by seq)': number;
  'B CPU per reconnect+join (ms)': number;
  'A exit code': number;
  'A exited after SIGTERM (s)': number;
  'generator event-loop delay p99 (ms)': number;
  'other programs during the storm (% of 2 CPUs)': number;
}

/** Starts what `target` needs: for roomcast a fresh database and Redis prefix, cleaned up after. */
async function services(target: Target): Promise<{ env: Record<string, string>; entry: string[]; cleanup(): Promise<void> }> {
  if (target === 'bare') return { env: {}, entry: await bareServerArgs(), cleanup: async () => undefined };
  const admin = new pg.Client(connectionConfig(adminUrl));
  await admin.connect();
  const database = `roomcast_storm_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const prefix = `roomcast-storm-${process.pid}-${Date.now()}:`;
  return {
    env: { DATABASE_URL: databaseUrl.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: prefix },
    entry: ['dist/server.js'],
    async cleanup() {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
      const redis = createClient({ url: redisUrl });
      await redis.connect();
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
      await redis.close();
    },
  };
}

async function storm(target: Target): Promise<Figures> {
  const { env, entry, cleanup } = await services(target);
  const serverEnv = { ...env, DRAIN_RATE: String(drainRate), DRAIN_MS: String(drainMs), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error' };
  const prof = process.env.BENCH_SERVER_CPU_PROF;
  if (quietWaitMs > 0) await waitForQuiet(quietWaitMs, 10);
  const started: BenchNode[] = [];
  try {
    const a = await startBenchNode(0, serverEnv, entry);
    started.push(a);
    const b = await startBenchNode(0, serverEnv, entry, prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []);
    started.push(b);
    const port = (url: string) => Number(new URL(url).port);
    const balancer = await startBalancer(port(a.url), 1);
    const viaBalancer = () => `http://127.0.0.1:${balancer.port}`;
    try {
      Client.stopping = false;
      Client.joinAcks = undefined;
      Client.connects = undefined;
      const clients = Array.from(
        { length: clientCount },
        (_, i) => new Client(`storm-${Math.floor(i / roomSize)}`, `c${i}`, target, viaBalancer),
      );
      const t = nowMs();
      await connectAll(clients, 50);
      process.stderr.write(`  ${target}: ${clientCount} clients on A in ${((nowMs() - t) / 1000).toFixed(1)} s\n`);

      const acked = new Map<string, Set<number>>();
      const senderRooms = Array.from({ length: senderCount }, (_, i) => `storm-${Math.floor((i * rooms) / senderCount)}`);
      const senders = await Promise.all(senderRooms.map((room) => startSender(b.url, room, acked)));
      // B's CPU with the senders alone, to take out of what the storm costs.
      await sleep(1000);
      const idle0 = b.cpuMs();
      const idleFrom = nowMs();
      await sleep(2000);
      const idleRate = (b.cpuMs() - idle0) / (nowMs() - idleFrom);

      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      Client.joinAcks = new Histogram();
      Client.connects = new Histogram();
      balancer.route(port(b.url));
      const t0 = nowMs();
      const cpu0 = b.cpuMs();
      // Everything that ran on the machine, and what of it was this storm's own processes; A's
      // share is read until it exits.
      const busy0 = readCoreBusyMs(0) + readCoreBusyMs(1);
      const own0 = cpu0 + a.cpuMs() + readProcCpuMs(balancer.pid) + ownCpuMs();
      let aCpu = a.cpuMs();
      const aExit = a.exited.then((code) => ({ code, at: nowMs() }));
      void a.stop();
      const deadline = t0 + 60_000;
      while (clients.some((c) => c.resyncedAt === undefined) && nowMs() < deadline) {
        await sleep(20);
        try {
          aCpu = a.cpuMs();
        } catch {
          // A has exited.
        }
      }
      const done = Math.max(...clients.map((c) => c.resyncedAt ?? nowMs()));
      const cpuMs = b.cpuMs() - cpu0 - idleRate * (nowMs() - t0);
      const own = b.cpuMs() + aCpu + readProcCpuMs(balancer.pid) + ownCpuMs() - own0;
      const others = (100 * (readCoreBusyMs(0) + readCoreBusyMs(1) - busy0 - own)) / (2 * (nowMs() - t0));
      loop.disable();
      await sleep(1000);
      const failedSends = (await Promise.all(senders.map((s) => s.stop()))).reduce((x, y) => x + y, 0);
      // Deliveries still in flight after the last ack.
      await sleep(1000);
      const exit = await aExit;

      let missing = 0;
      for (const c of clients) {
        for (const seq of acked.get(c.room) ?? []) if (!c.seen.has(seq)) missing++;
      }
      const resynced = clients.filter((c) => c.resyncedAt !== undefined).length;
      const sent = [...acked.values()].reduce((n, s) => n + s.size, 0);
      if (failedSends > 0) process.stderr.write(`  ${target}: ${failedSends} sends failed\n`);
      if (Client.failures.size > 0) process.stderr.write(`  ${target}: reconnects failed: ${JSON.stringify([...Client.failures])}\n`);
      Client.failures.clear();
      const stuck = new Map<string, number>();
      for (const c of clients) if (c.resyncedAt === undefined) stuck.set(c.state, (stuck.get(c.state) ?? 0) + 1);
      if (stuck.size > 0) process.stderr.write(`  ${target}: not resynced, by state: ${JSON.stringify([...stuck])}\n`);
      const resyncAt = clients.map((c) => ((c.resyncedAt ?? Number.NaN) - t0) / 1000).sort((x, y) => x - y);
      process.stderr.write(
        `  ${target}: resynced after ${[50, 90, 99, 100].map((p) => `p${p} ${resyncAt[Math.min(resyncAt.length - 1, Math.floor((p / 100) * resyncAt.length))]?.toFixed(1)} s`).join(', ')}\n`,
      );
      return {
        'resynced (of clients)': resynced,
        'all resynced after SIGTERM (s)': (done - t0) / 1000,
        'connect p50 (ms)': Client.connects.percentile(50) / 1000,
        'connect p99 (ms)': Client.connects.percentile(99) / 1000,
        'join ack p50 (ms)': Client.joinAcks.percentile(50) / 1000,
        'join ack p99 (ms)': Client.joinAcks.percentile(99) / 1000,
        'messages sent during the storm': sent,
        // The bare server keeps no history, so its clients cannot catch up: not counted.
        'messages missing after resync': target === 'roomcast' ? missing : Number.NaN,
        'messages delivered twice (merged by seq)': clients.reduce((n, c) => n + c.duplicates, 0),
        'B CPU per reconnect+join (ms)': cpuMs / resynced,
        'A exit code': exit.code ?? -1,
        'A exited after SIGTERM (s)': (exit.at - t0) / 1000,
        'generator event-loop delay p99 (ms)': loop.percentile(99) / 1e6,
        'other programs during the storm (% of 2 CPUs)': Math.max(0, others),
      };
    } finally {
      Client.stopping = true;
      await balancer.close();
    }
  } finally {
    for (const node of started) await node.stop();
    await cleanup();
  }
}

const results: Record<Target, Figures[]> = { roomcast: [], bare: [] };
for (let run = 1; run <= runs; run++) {
  for (const target of targets) {
    process.stderr.write(`storm run ${run}/${runs} ${target} ...\n`);
    const figures = await storm(target);
    process.stderr.write(`  ${JSON.stringify(figures)}\n`);
    results[target].push(figures);
  }
}

const keys = Object.keys(results[targets[0] as Target][0] ?? {}) as (keyof Figures)[];
const med = (target: Target, key: keyof Figures) => median(results[target].map((f) => f[key]));
const table: Record<string, Record<string, string>> = {};
for (const key of keys) {
  const row: Record<string, string> = {};
  for (const target of targets) row[target] = med(target, key).toFixed(key.includes('(ms)') || key.includes('(s)') ? 2 : 0);
  if (targets.length === 2 && key === 'B CPU per reconnect+join (ms)') {
    row.ratio = (med('roomcast', key) / med('bare', key)).toFixed(2);
  }
  table[key] = row;
}
console.log(
  `\nstorm: ${clientCount} clients in rooms of ${roomSize} on node A, SIGTERM, all move to B; ` +
    `${senderCount} senders x ${rate} msg/s on B; DRAIN_RATE ${drainRate}, DRAIN_MS ${drainMs}; ${runs > 1 ? `median of ${runs} runs` : '1 run'}`,
);
console.table(table);
if (targets.includes('roomcast')) {
  const resync = med('roomcast', 'all resynced after SIGTERM (s)');
  const missing = med('roomcast', 'messages missing after resync');
  const ratio = targets.includes('bare')
    ? med('roomcast', 'B CPU per reconnect+join (ms)') / med('bare', 'B CPU per reconnect+join (ms)')
    : Number.NaN;
  console.log('Targets (roomcast):');
  console.log(`  ${resync <= 15 ? 'PASS' : 'FAIL'}  all ${clientCount} resynced within 15 s: ${resync.toFixed(1)} s`);
  console.log(`  ${missing === 0 ? 'PASS' : 'FAIL'}  nothing lost: ${missing} missing`);
  console.log(
    `  ${ratio <= 1.5 ? 'PASS' : Number.isNaN(ratio) ? 'n/a ' : 'FAIL'}  at most 1.5x bare CPU per reconnect+join: ${ratio.toFixed(2)}x`,
  );
}
