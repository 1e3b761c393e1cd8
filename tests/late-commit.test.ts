import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import pg from 'pg';
import type { Message, MessagePushData } from '../src/protocol.js';
import { createLateCommits } from '../src/realtime/late-commits.js';
import { connectionConfig } from '../src/store/postgres.js';
import { tcpProxy } from './cluster-helpers.js';
import { acked, type ChatClient, collect, connectChat, connectPush, createTestDatabase, receiver, startApp, waitFor } from './helpers.js';

const secret = 'late-commit-secret-0123456789';
const ana = { id: 'u1', name: 'Ana', kind: 'user' as const };

function send(socket: ChatClient, text: string, clientId: string) {
  return acked(socket).emitWithAck('message:send', { room: 'stall', text, clientId });
}

/** A message as the store would return it for an attempt's ts. */
function stored(seq: number, ts: number, clientId: string): Message {
  return { id: `r:${seq}`, seq, room: 'r', text: 'hi', author: ana, clientId, ts };
}

/** Resolves once `check()` holds, looking every 50 ms, or rejects after `ms`. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each seq, in order, with how often it was seen. */
function counts(seqs: number[]): [number, number][] {
  const seen = new Map<number, number>();
  for (const seq of seqs) seen.set(seq, (seen.get(seq) ?? 0) + 1);
  return [...seen].sort(([a], [b]) => a - b);
}

describe('a send the store committed after answering with an error', () => {
  test('PostgreSQL stalled: the retry broadcasts it once, with its webhook and room: preview', async (t: TestContext) => {
    const databaseUrl = await createTestDatabase();
    if (!databaseUrl) return t.skip('no PostgreSQL');
    const direct = new URL(databaseUrl);
    const proxy = await tcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(databaseUrl);
    proxied.port = String(proxy.port);
    const hook = await receiver((_req, _n, res) => res.writeHead(204).end());
    const { url } = await startApp({
      DATABASE_URL: proxied.toString(),
      WEBHOOK_URL: hook.url,
      WEBHOOK_SECRET: secret,
      WEBHOOK_EVENTS: 'message.created',
      MESSAGE_RATE_BURST: '100',
    });
    const sender = await connectChat(url, { name: 'Ana' });
    const watcher = await connectChat(url, { name: 'Bo' });
    for (const c of [sender, watcher]) assert.ok((await acked(c.socket).emitWithAck('room:join', { room: 'stall' })).ok);
    const badge = await connectPush(url);
    assert.ok((await acked(badge.socket).emitWithAck('push:subscribe', { topic: 'room:stall' })).ok);
    const seen = collect<Message>(watcher.socket, 'message:new');

    // Sent at once, these leave three connections open in the pool, which the stall then holds.
    const warm = await Promise.all([0, 1, 2].map((i) => send(sender.socket, `warm ${i}`, `w${i}`)));
    assert.ok(warm.every((ack) => ack.ok));

    proxy.stall();
    const failed = await Promise.all([
      send(sender.socket, 'late 1', 'l1'),
      send(sender.socket, 'late 2', 'l2'),
      send(sender.socket, 'warm 0', 'w0'),
    ]);
    for (const ack of failed) assert.equal(ack.ok ? 'ok' : ack.error.code, 'unavailable');
    proxy.resume();

    // The stalled queries reach PostgreSQL now, after their senders were told `unavailable`.
    const db = new pg.Client(connectionConfig(databaseUrl));
    await db.connect();
    await eventually(
      async () => (await db.query("SELECT 1 FROM messages WHERE client_id IN ('l1', 'l2')")).rowCount === 2,
      'the stalled sends committed',
    ).finally(() => db.end());

    // Two racing retries of late 1, one of late 2, and one of warm 0, which was broadcast before.
    const retries = await Promise.all([
      send(sender.socket, 'late 1', 'l1'),
      send(sender.socket, 'late 1', 'l1'),
      send(sender.socket, 'late 2', 'l2'),
      send(sender.socket, 'warm 0', 'w0'),
    ]);
    assert.ok(retries.every((ack) => ack.ok));
    const [l1, l1again] = retries;
    assert.deepEqual(l1, l1again);

    const marker = waitFor<Message>(watcher.socket, 'message:new', 5000);
    const markerAck = await send(sender.socket, 'marker', 'm');
    assert.ok(markerAck.ok);
    const last = markerAck.message.seq;
    assert.equal(last, 6, 'three warm, two late, the marker');
    await marker;
    await eventually(async () => badge.pushes.some((p) => (p.data as MessagePushData).seq === last), 'the marker preview');
    await eventually(async () => hook.received.some((r) => JSON.parse(r.body).data.message.seq === last), 'the marker webhook');

    const everyOnce = Array.from({ length: last }, (_, i): [number, number] => [i + 1, 1]);
    assert.deepEqual(counts(seen.map((m) => m.seq)), everyOnce, 'message:new to the room');
    assert.deepEqual(counts(badge.pushes.map((p) => (p.data as MessagePushData).seq)), everyOnce, 'room: previews');
    assert.deepEqual(counts(hook.received.map((r) => JSON.parse(r.body).data.message.seq)), everyOnce, 'message.created webhooks');
    assert.deepEqual(
      seen
        .filter((m) => m.text.startsWith('late'))
        .map((m) => m.clientId)
        .sort(),
      ['l1', 'l2'],
    );
  });
});

describe('the late-commit memory', () => {
  test('a failed attempt that stored its message is announced by the first answer that finds it, once', () => {
    const late = createLateCommits();
    const first = late.begin('r', 'u1', 'c');
    late.failed(first, true);
    const message = stored(1, first.ts, 'c');
    assert.equal(late.answered(late.begin('r', 'u1', 'c'), { created: false, message }), true);
    assert.equal(late.answered(late.begin('r', 'u1', 'c'), { created: false, message }), false);
  });

  test('never for a message an attempt answered as created, nor after a refusal', () => {
    const late = createLateCommits();
    const first = late.begin('r', 'u1', 'c');
    const message = stored(1, first.ts, 'c');
    assert.equal(late.answered(first, { created: true, message }), true);
    late.failed(late.begin('r', 'u1', 'c'), true);
    assert.equal(late.answered(late.begin('r', 'u1', 'c'), { created: false, message }), false);

    const refused = late.begin('r', 'u1', 'd');
    late.failed(refused, false);
    assert.equal(late.answered(late.begin('r', 'u1', 'd'), { created: false, message: stored(2, refused.ts, 'd') }), false);
  });

  test('a retry that finds the message while its storer is still under way leaves the broadcast to the storer', () => {
    const late = createLateCommits();
    const storer = late.begin('r', 'u1', 'c');
    const retry = late.begin('r', 'u1', 'c');
    assert.notEqual(retry.ts, storer.ts);
    const message = stored(1, storer.ts, 'c');
    assert.equal(late.answered(retry, { created: false, message }), false);
    assert.deepEqual(late.failed(storer, true), message);
  });

  test('is bounded in size and in age', () => {
    let now = 1_000_000;
    const late = createLateCommits({ maxEntries: 2, maxAgeMs: 1000, now: () => now });
    const attempts = ['a', 'b', 'c'].map((clientId) => {
      const attempt = late.begin('r', 'u1', clientId);
      late.failed(attempt, true);
      now += 1;
      return { clientId, ts: attempt.ts };
    });
    const found = ({ clientId, ts }: { clientId: string; ts: number }) =>
      late.answered(late.begin('r', 'u1', clientId), { created: false, message: stored(1, ts, clientId) });
    const [a, b, c] = attempts as [(typeof attempts)[0], (typeof attempts)[0], (typeof attempts)[0]];
    assert.equal(found(a), false, 'the oldest was kept beyond maxEntries');
    assert.equal(found(b), true);
    now += 1000;
    assert.equal(found(c), false, 'kept beyond maxAgeMs');
  });
});
