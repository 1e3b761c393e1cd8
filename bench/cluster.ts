/**
 * Multi-node benchmark: the same chat load on one node (embedded SQLite), one node on Redis and
 * PostgreSQL, and two nodes on Redis and PostgreSQL with the clients split between them. Reports
 * deliveries/s, loss, end-to-end latency and the servers' CPU per delivery (all nodes together).
 * Nodes share core 0 (this machine has two cores), this process holds the clients on core 1.
 *
 *   node --import tsx bench/cluster.ts [--clients 100] [--senders 5] [--rate 20] [--duration 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import type { ChatClientToServer, ChatServerToClient, Message } from '../src/protocol.js';
import { connectionConfig } from '../src/store/postgres.js';
import { Histogram, nowMs } from './lib.js';
import { type BenchNode, drain, openLoop, startBenchNode } from './node-process.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    senders: { type: 'string', default: '5' },
    rate: { type: 'string', default: '20' },
    duration: { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('node --import tsx bench/cluster.ts [--clients N] [--senders N] [--rate msg/s per sender] [--duration s]');
  process.exit(0);
}
const clients = Number(args.clients);
const senders = Number(args.senders);
const rate = Number(args.rate);
const durationMs = Number(args.duration) * 1000;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

type ChatSocket = Socket<ChatServerToClient, ChatClientToServer>;

/** Runs the load against the nodes (clients spread evenly) and measures it. */
async function measure(label: string, nodes: BenchNode[]) {
  const sockets: ChatSocket[] = [];
  const latency = new Histogram();
  let received = 0;
  let measuring = false;
  for (let i = 0; i < clients; i++) {
    const node = nodes[i % nodes.length] as BenchNode;
    const socket: ChatSocket = io(`${node.url}/chat`, { transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.push(socket);
    await new Promise((resolve) => socket.once('session', resolve));
    const ack = await socket.emitWithAck('room:join', { room: 'bench' });
    if (!ack.ok) throw new Error(ack.error.message);
    socket.on('message:new', (m: Message) => {
      if (!measuring) return;
      received++;
      latency.add((nowMs() - Number(m.text)) * 1000);
    });
  }
  const cpuBefore = nodes.map((n) => n.cpuMs());
  measuring = true;
  const started = nowMs();
  const acks = await openLoop(rate * senders, durationMs, (i) =>
    (sockets[i % senders] as ChatSocket).emitWithAck('message:send', {
      room: 'bench',
      text: String(nowMs()),
      clientId: uuidv7(),
    }),
  );
  const expected = acks.length * clients;
  await drain(() => received >= expected);
  measuring = false;
  const seconds = (nowMs() - started) / 1000;
  const cpuMs = nodes.reduce((sum, n, i) => sum + n.cpuMs() - (cpuBefore[i] as number), 0);
  for (const socket of sockets) socket.disconnect();
  return {
    setup: label,
    'deliveries/s': Math.round(received / seconds),
    loss: expected - received,
    'latency p50 ms': Number((latency.percentile(50) / 1000).toFixed(1)),
    'latency p99 ms': Number((latency.percentile(99) / 1000).toFixed(1)),
    'server CPU µs/delivery': Number(((cpuMs * 1000) / Math.max(received, 1)).toFixed(2)),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'roomcast-cluster-bench-'));
const admin = new pg.Client(connectionConfig(adminUrl));
await admin.connect();
const database = `roomcast_bench_${process.pid}`;
await admin.query(`CREATE DATABASE ${database}`);
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${database}`;
const prefix = `roomcast-bench-${process.pid}:`;
const shared = { DATABASE_URL: databaseUrl.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
const started: BenchNode[] = [];
const start = async (env: Record<string, string>) => {
  const node = await startBenchNode(0, env);
  started.push(node);
  return node;
};
const results = [];
try {
  const embedded = await start({ DATABASE_PATH: join(dir, 'db.sqlite') });
  results.push(await measure('1 node, SQLite, no Redis', [embedded]));
  await embedded.stop();
  const single = await start(shared);
  results.push(await measure('1 node, PostgreSQL + Redis', [single]));
  const second = await start(shared);
  results.push(await measure('2 nodes, PostgreSQL + Redis', [single, second]));
} finally {
  for (const node of started) await node.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
  await redis.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\ncluster: 1 room x ${clients} clients, ${senders} senders x ${rate} msg/s (nodes on core 0, clients on core 1)`);
console.table(results);
