import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { createClient } from 'redis';
import type { HistoryResult, SubscribeResult } from '../src/protocol.js';
import { redisAvailable, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, connectChat, connectPush, createTestDatabase, postPush, startApp } from './helpers.js';

const apiKey = 'epoch-api-key-0123456789';

/** The rooms' epoch as a node gives it in `room:join`, `message:history` and over HTTP, which must agree. */
async function roomEpoch(url: string): Promise<string> {
  const { socket } = await connectChat(url);
  const join = await acked(socket).emitWithAck('room:join', { room: 'lobby' });
  const history = await acked(socket).emitWithAck('message:history', { room: 'lobby' });
  const http = (await (await fetch(`${url}/api/rooms/lobby/messages`)).json()) as HistoryResult;
  socket.disconnect();
  assert.ok(join.ok && history.ok);
  assert.match(join.epoch, /^[\w-]{16,}$/);
  assert.equal(history.epoch, join.epoch);
  assert.equal(http.epoch, join.epoch);
  return join.epoch;
}

/** Subscribes a new `/push` client to `topic` (with `after` when given) and returns the ack. */
async function subscribe(url: string, topic: string, after?: number): Promise<SubscribeResult> {
  const { socket } = await connectPush(url);
  const ack = await acked(socket).emitWithAck('push:subscribe', after === undefined ? { topic } : { topic, after });
  socket.disconnect();
  assert.ok(ack.ok, JSON.stringify(ack));
  assert.match(ack.epoch, /^[\w-]{16,}$/);
  return ack;
}

async function push(url: string, topic: string, count: number): Promise<void> {
  const res = await postPush(url, apiKey, { pushes: Array.from({ length: count }, (_, i) => ({ topic, data: i })) });
  assert.equal(res.status, 202);
}

describe('room epochs', () => {
  test('SQLite: kept across a restart on the same file, new with a new file', async () => {
    const first = await startApp();
    const epoch = await roomEpoch(first.url);
    await first.close();
    const again = await startApp({ DATABASE_PATH: first.databasePath });
    assert.equal(await roomEpoch(again.url), epoch);
    const other = await startApp();
    assert.notEqual(await roomEpoch(other.url), epoch);
  });

  test('PostgreSQL: the same on every node of one database', async (t: TestContext) => {
    const databaseUrl = await createTestDatabase();
    if (!databaseUrl) return t.skip('no PostgreSQL');
    const [a, b] = await Promise.all([startApp({ DATABASE_URL: databaseUrl }), startApp({ DATABASE_URL: databaseUrl })]);
    const epoch = await roomEpoch(a.url);
    assert.equal(await roomEpoch(b.url), epoch);
    await a.close();
    const restarted = await startApp({ DATABASE_URL: databaseUrl });
    assert.equal(await roomEpoch(restarted.url), epoch);
  });
});

describe('push topic epochs', () => {
  test('in-memory log: a restart gives a new epoch, so an old `after` the new numbering reached is not taken silently', async () => {
    const first = await startApp({ API_KEY: apiKey });
    await push(first.url, 'feed', 3);
    const before = await subscribe(first.url, 'feed', 3);
    assert.equal(before.lastSeq, 3);
    assert.equal((await subscribe(first.url, 'other')).epoch, before.epoch, 'one epoch per process');
    await first.close();

    // The client held seq 3; the restarted server numbers three new pushes 1..3 before it comes back.
    const restarted = await startApp({ API_KEY: apiKey, DATABASE_PATH: first.databasePath });
    await push(restarted.url, 'feed', 3);
    const after = await subscribe(restarted.url, 'feed', 3);
    assert.equal(after.lastSeq, 3);
    assert.deepEqual(after.missed, []);
    assert.notEqual(after.epoch, before.epoch, 'the client cannot tell its seq 3 from the new seq 3');
  });

  test('Redis log: kept across a node restart and through the first push; new when the topic loses its keys', async (t: TestContext) => {
    if (!(await redisAvailable())) return t.skip('no Redis');
    const prefix = testPrefix();
    const env = { API_KEY: apiKey, REDIS_URL: testRedisUrl, REDIS_PREFIX: prefix };
    const redis = createClient({ url: testRedisUrl });
    await redis.connect();
    t.after(() => redis.close());
    const seqKey = (topic: string) => `${prefix}{push:${topic}}:seq`;
    const dropKeys = (topic: string) => redis.del([seqKey(topic), `${prefix}{push:${topic}}:log`, `${prefix}{push:${topic}}:epoch`]);

    const node = await startApp(env);
    // A topic nobody pushed to has an epoch, which its first pushes keep: its numbering only goes on.
    const empty = await subscribe(node.url, 'news');
    assert.equal(empty.lastSeq, 0);
    await push(node.url, 'news', 2);
    const numbered = await subscribe(node.url, 'news', 0);
    assert.equal(numbered.epoch, empty.epoch);
    assert.deepEqual(
      numbered.missed.map((p) => p.seq),
      [1, 2],
    );
    await node.close();

    const restarted = await startApp(env);
    assert.equal((await subscribe(restarted.url, 'news', 2)).epoch, empty.epoch, 'a node restart changed the epoch');

    // Redis loses the topic (a restart without persistence); a subscribe comes first.
    await dropKeys('news');
    const lost = await subscribe(restarted.url, 'news', 2);
    assert.equal(lost.lastSeq, 0);
    assert.notEqual(lost.epoch, empty.epoch);
    await push(restarted.url, 'news', 1);
    assert.equal((await subscribe(restarted.url, 'news', 1)).epoch, lost.epoch);

    // The same with a push first.
    await dropKeys('news');
    await push(restarted.url, 'news', 1);
    const pushedFirst = await subscribe(restarted.url, 'news', 1);
    assert.equal(pushedFirst.lastSeq, 1);
    assert.notEqual(pushedFirst.epoch, lost.epoch);

    // Only the seq is lost (its epoch stays): the numbering restarts all the same, and so does the epoch.
    await redis.del(seqKey('news'));
    const seqLost = await subscribe(restarted.url, 'news', 1);
    assert.equal(seqLost.lastSeq, 0);
    assert.notEqual(seqLost.epoch, pushedFirst.epoch);
    await push(restarted.url, 'news', 3);
    await redis.del(seqKey('news'));
    await push(restarted.url, 'news', 1);
    const seqLostThenPushed = await subscribe(restarted.url, 'news', 1);
    assert.equal(seqLostThenPushed.lastSeq, 1);
    assert.notEqual(seqLostThenPushed.epoch, seqLost.epoch);
  });
});
