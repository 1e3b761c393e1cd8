/**
 * Push benchmark: the site's backend POSTs to /api/push at a set rate, N browsers subscribed to
 * the topic receive each push. Reports pushes accepted per second, deliveries per second, loss,
 * POST-to-delivery latency and server CPU per delivery. The built server runs on core 0, this
 * process (HTTP client and subscribers) on core 1.
 *
 *   node --import tsx bench/push.ts [--subscribers 100] [--rate 100] [--batch 1] [--duration 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import type { Push, PushClientToServer, PushServerToClient } from '../src/protocol.js';
import { Histogram, nowMs } from './lib.js';
import { drain, openLoop, startBenchNode } from './node-process.js';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100' },
    rate: { type: 'string', default: '100' },
    batch: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('node --import tsx bench/push.ts [--subscribers N] [--rate POSTs/s] [--batch pushes per POST] [--duration s]');
  process.exit(0);
}
const subscribers = Number(args.subscribers);
const rate = Number(args.rate);
const batch = Number(args.batch);
const durationMs = Number(args.duration) * 1000;
const apiKey = 'bench-api-key-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'roomcast-push-bench-'));
const node = await startBenchNode(0, { API_KEY: apiKey, DATABASE_PATH: join(dir, 'db.sqlite') });
const sockets: Socket<PushServerToClient, PushClientToServer>[] = [];
try {
  for (let i = 0; i < subscribers; i++) {
    const socket: Socket<PushServerToClient, PushClientToServer> = io(`${node.url}/push`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    await new Promise((resolve) => socket.once('session', resolve));
    const ack = await socket.emitWithAck('push:subscribe', { topic: 'bench' });
    if (!ack.ok) throw new Error(ack.error.message);
  }

  const latency = new Histogram();
  let delivered = 0;
  let measuring = true;
  for (const socket of sockets) {
    socket.on('push:new', (push: Push) => {
      if (!measuring) return;
      delivered++;
      latency.add((nowMs() - (push.data as { sentAt: number }).sentAt) * 1000);
    });
  }

  let accepted = 0;
  let refused = 0;
  const started = nowMs();
  const cpuBefore = node.cpuMs();
  await openLoop(rate, durationMs, async () => {
    const sentAt = nowMs();
    const pushes = Array.from({ length: batch }, () => ({ topic: 'bench', event: 'tick', data: { sentAt } }));
    try {
      const res = await fetch(`${node.url}/api/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch === 1 ? pushes[0] : { pushes }),
      });
      await res.arrayBuffer();
      if (res.status === 202) accepted += batch;
      else refused += batch;
    } catch {
      refused += batch;
    }
  });
  const expected = accepted * subscribers;
  await drain(() => delivered >= expected);
  measuring = false;
  const seconds = (nowMs() - started) / 1000;
  const cpuMs = node.cpuMs() - cpuBefore;

  const result = {
    subscribers,
    batch,
    'pushes accepted/s': Math.round(accepted / (durationMs / 1000)),
    refused: refused,
    'deliveries/s': Math.round(delivered / seconds),
    loss: expected - delivered,
    'latency p50 ms': Number((latency.percentile(50) / 1000).toFixed(1)),
    'latency p99 ms': Number((latency.percentile(99) / 1000).toFixed(1)),
    'server CPU µs/delivery': Number(((cpuMs * 1000) / Math.max(delivered, 1)).toFixed(2)),
    'server CPU µs/push accepted': Number(((cpuMs * 1000) / Math.max(accepted, 1)).toFixed(1)),
  };
  console.log('\npush: POST /api/push -> /push subscribers (server on core 0, client on core 1)');
  console.table([result]);
} finally {
  for (const socket of sockets) socket.disconnect();
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
}
