import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { AckResult, LivePushData, MessagePushData, Push, SubscribeResult } from '../src/protocol.js';
import { acked, connectChat, connectPush, type PushClient, postPush, startApp } from './helpers.js';

const apiKey = 'push-api-key-0123456789';
const jwtSecret = 'push-jwt-secret-0123456789';

const post = (url: string, body: unknown, key = apiKey) => postPush(url, key, body);

function token(claims: Record<string, unknown>) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));
}

async function subscribe(socket: PushClient, topic: string, after?: number): Promise<AckResult<SubscribeResult>> {
  return acked(socket).emitWithAck('push:subscribe', after === undefined ? { topic } : { topic, after });
}

/** Resolves once `pushes` holds `count` entries (checked on every push:new). */
function until(socket: PushClient, pushes: Push[], count: number, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pushes.length < count) return;
      clearTimeout(timer);
      socket.off('push:new', check);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`saw ${pushes.length} of ${count} pushes`)), ms);
    socket.on('push:new', check);
    check();
  });
}

describe('/push', () => {
  test('subscribers of a topic get its pushes, others do not, and seq has no gap', async () => {
    const { url } = await startApp({ API_KEY: apiKey });
    const a = await connectPush(url);
    const b = await connectPush(url);
    const first = await subscribe(a.socket, 'news.eu');
    assert.ok(first.ok);
    assert.deepEqual(first, { ok: true, topic: 'news.eu', missed: [], lastSeq: 0, epoch: first.epoch });
    assert.equal((await subscribe(b.socket, 'sport')).ok, true);
    const res = await post(url, { topic: 'news.eu', event: 'headline', data: { title: 'hi' } });
    assert.equal(res.status, 202);
    const batch = await post(url, {
      pushes: [
        { topic: 'news.eu', data: 2 },
        { topic: 'sport', event: 'goal', data: { score: '1-0' } },
      ],
    });
    assert.deepEqual(await batch.json(), {
      pushes: [
        { id: 'news.eu:2', seq: 2, topic: 'news.eu' },
        { id: 'sport:1', seq: 1, topic: 'sport' },
      ],
    });
    await until(a.socket, a.pushes, 2);
    await until(b.socket, b.pushes, 1);
    assert.deepEqual(
      a.pushes.map((p) => [p.topic, p.seq, p.event, p.data]),
      [
        ['news.eu', 1, 'headline', { title: 'hi' }],
        ['news.eu', 2, 'message', 2],
      ],
    );
    assert.deepEqual(
      b.pushes.map((p) => [p.topic, p.seq, p.event]),
      [['sport', 1, 'goal']],
    );
    assert.equal((await acked(a.socket).emitWithAck('push:unsubscribe', { topic: 'news.eu' })).ok, true);
    await post(url, { topic: 'news.eu', data: 3 });
    const marker = until(b.socket, b.pushes, 2);
    await post(url, { topic: 'sport', data: 'after' });
    await marker;
    assert.equal(a.pushes.length, 2, 'an unsubscribed socket still got a push');
  });

  test('user topics reach every tab of that user unasked; nobody else may subscribe', async () => {
    const { url } = await startApp({ API_KEY: apiKey, JWT_SECRET: jwtSecret });
    const tab1 = await connectPush(url, { token: await token({ sub: 'u1' }) });
    const tab2 = await connectPush(url, { token: await token({ sub: 'u1' }) });
    const other = await connectPush(url, { token: await token({ sub: 'u2' }) });
    const refused = await subscribe(other.socket, 'user:u1');
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'forbidden');
    assert.equal((await subscribe(tab1.socket, 'user:u1')).ok, true);
    await post(url, { topic: 'user:u1', event: 'notice', data: 'for u1' });
    await until(tab1.socket, tab1.pushes, 1);
    await until(tab2.socket, tab2.pushes, 1);
    const marker = until(other.socket, other.pushes, 1);
    await post(url, { topic: 'user:u2', data: 'for u2' });
    await marker;
    assert.deepEqual(
      other.pushes.map((p) => p.data),
      ['for u2'],
    );
    assert.equal(tab1.pushes.length, 1, 'the own user topic was delivered twice');
  });

  test('private topics and private rooms need the token', async () => {
    const { url } = await startApp({ JWT_SECRET: jwtSecret });
    const guest = await connectPush(url);
    const member = await connectPush(url, { token: await token({ sub: 'm', topics: ['private-ops'], rooms: ['private-team'] }) });
    const admin = await connectPush(url, { token: await token({ sub: 'root', admin: true }) });
    for (const topic of ['private-ops', 'room:private-team']) {
      const ack = await subscribe(guest.socket, topic);
      assert.ok(!ack.ok);
      assert.equal(ack.error.code, 'forbidden');
      assert.equal((await subscribe(member.socket, topic)).ok, true);
      assert.equal((await subscribe(admin.socket, topic)).ok, true);
    }
    for (const payload of [{}, { topic: 'bad topic' }, { topic: 'x'.repeat(129) }, { topic: 't', after: -1 }, 'news']) {
      const ack = await acked(guest.socket).emitWithAck('push:subscribe', payload as never);
      assert.ok(!ack.ok);
      assert.equal(ack.error.code, 'bad_request');
    }
  });

  test('subscribe with after returns exactly what was missed, and says when some is gone', async () => {
    const { url } = await startApp({ API_KEY: apiKey, PUSH_RETENTION_COUNT: '5' });
    await post(url, { pushes: Array.from({ length: 8 }, (_, i) => ({ topic: 'feed', data: i + 1 })) });
    const client = await connectPush(url);
    const recent = await subscribe(client.socket, 'feed', 5);
    assert.ok(recent.ok);
    assert.deepEqual(
      recent.missed.map((p) => [p.seq, p.data]),
      [
        [6, 6],
        [7, 7],
        [8, 8],
      ],
    );
    assert.equal(recent.lastSeq, 8);
    assert.equal(recent.truncated, undefined);
    const old = await subscribe(client.socket, 'feed', 1);
    assert.ok(old.ok);
    assert.deepEqual(
      old.missed.map((p) => p.seq),
      [4, 5, 6, 7, 8],
    );
    assert.equal(old.truncated, true);
    const current = await subscribe(client.socket, 'feed', 8);
    assert.ok(current.ok);
    assert.deepEqual(current.missed, []);
    const live = until(client.socket, client.pushes, 1);
    await post(url, { topic: 'feed', data: 9 });
    await live;
    assert.deepEqual(
      client.pushes.map((p) => p.seq),
      [9],
    );
  });

  test('retention ends after its time', async () => {
    const { url } = await startApp({ API_KEY: apiKey, PUSH_RETENTION_SECONDS: '0' });
    await post(url, { topic: 'gone', data: 1 });
    const client = await connectPush(url);
    const ack = await subscribe(client.socket, 'gone', 0);
    assert.ok(ack.ok);
    assert.deepEqual(ack, { ok: true, topic: 'gone', missed: [], lastSeq: 1, truncated: true, epoch: ack.epoch });
  });

  test('every new chat message is also pushed to room:<room>', async () => {
    const { url } = await startApp();
    const badge = await connectPush(url);
    assert.equal((await subscribe(badge.socket, 'room:lobby')).ok, true);
    const chat = await connectChat(url, { name: 'Ana' });
    await acked(chat.socket).emitWithAck('room:join', { room: 'lobby' });
    const text = `${'long '.repeat(30)}end`;
    await acked(chat.socket).emitWithAck('message:send', { room: 'lobby', text, clientId: 'x1' });
    await until(badge.socket, badge.pushes, 1);
    const [push] = badge.pushes;
    assert.equal(push?.event, 'message');
    assert.deepEqual(push?.data as MessagePushData, { room: 'lobby', seq: 1, author: chat.user, preview: text.slice(0, 100) });
  });

  test('POST /api/push: auth, validation, size and batch limits, all or nothing', async () => {
    const { url } = await startApp({ API_KEY: apiKey });
    const watcher = await connectPush(url);
    await subscribe(watcher.socket, 't');
    const big = 'x'.repeat(64 * 1024);
    const cases: [Response, number, string][] = [
      [await post(url, { topic: 't', data: 1 }, ''), 401, 'unauthorized'],
      [await post(url, { topic: 't', data: 1 }, 'wrong-key-0123456789abc'), 401, 'unauthorized'],
      [await post(url, { topic: 'bad topic', data: 1 }), 400, 'bad_request'],
      [await post(url, { topic: 't' }), 400, 'bad_request'],
      [await post(url, { topic: 't', event: 'no spaces', data: 1 }), 400, 'bad_request'],
      [await post(url, { pushes: [] }), 400, 'bad_request'],
      [await post(url, { pushes: Array.from({ length: 101 }, () => ({ topic: 't', data: 1 })) }), 400, 'bad_request'],
      [
        await post(url, {
          pushes: [
            { topic: 't', data: 'fine' },
            { topic: 't', data: big },
          ],
        }),
        413,
        'too_large',
      ],
      [await post(url, { topic: 't', data: big }), 413, 'too_large'],
    ];
    for (const [i, [res, status, code]] of cases.entries()) {
      assert.equal(res.status, status, `case ${i}`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, `case ${i}`);
    }
    const ok = await post(url, { pushes: Array.from({ length: 100 }, (_, i) => ({ topic: 't', data: i })) });
    assert.equal(ok.status, 202);
    await until(watcher.socket, watcher.pushes, 100);
    assert.equal(watcher.pushes[0]?.seq, 1, 'a refused push was sent');
    assert.deepEqual(
      watcher.pushes.map((p) => p.data),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  test('live data: pushes at its interval, a second call extends the one timer, and it stops by itself', async () => {
    const app = await startApp({ LIVE_INTERVAL_MS: '100', LIVE_DURATION_MS: '600' });
    const viewer = await connectPush(app.url);
    await subscribe(viewer.socket, 'room:lobby');
    const start = await fetch(`${app.url}/api/rooms/lobby/live`, { method: 'POST' });
    assert.equal(start.status, 202);
    const first = (await start.json()) as { ok: true; until: number };
    await until(viewer.socket, viewer.pushes, 2);
    const again = (await (await fetch(`${app.url}/api/rooms/lobby/live`, { method: 'POST' })).json()) as { until: number };
    assert.ok(again.until > first.until);
    assert.deepEqual(app.live.active(), ['lobby']);
    const ended = new Promise<Push>((resolve) => viewer.socket.on('push:new', (p) => p.event === 'live.end' && resolve(p)));
    const end = await ended;
    assert.deepEqual(end.data, { until: again.until });
    assert.deepEqual(app.live.active(), []);
    const live = viewer.pushes.filter((p) => p.event === 'live');
    for (const p of live) {
      const data = p.data as LivePushData;
      assert.equal(data.node, app.config.nodeName);
      assert.ok(data.connections >= 1);
      assert.ok(!Number.isNaN(Date.parse(data.time)));
    }
    // One timer: consecutive pushes are an interval apart, never two at once.
    for (let i = 1; i < live.length; i++) {
      assert.ok((live[i]?.ts ?? 0) - (live[i - 1]?.ts ?? 0) >= 50, 'two timers pushed at once');
    }
    assert.ok(live.length >= 6, `only ${live.length} live pushes before the extended deadline`);
  });

  test('live data stops when nobody listens, refuses bad rooms and is rate limited', async () => {
    const app = await startApp({ LIVE_INTERVAL_MS: '100' });
    assert.equal((await fetch(`${app.url}/api/rooms/lobby/live`, { method: 'POST' })).status, 202);
    assert.deepEqual(app.live.active(), [], 'a timer ran for a room nobody listens to');
    const bad = await fetch(`${app.url}/api/rooms/bad%20room/live`, { method: 'POST' });
    assert.equal(bad.status, 400);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await fetch(`${app.url}/api/rooms/r${i}/live`, { method: 'POST' })).status);
    assert.ok(statuses.includes(429));
    const limited = await fetch(`${app.url}/api/rooms/lobby/live`, { method: 'POST' });
    assert.equal(limited.status, 429);
    const body = (await limited.json()) as { ok: boolean; error: { code: string; retryAfterMs: number } };
    assert.equal(body.ok, false);
    assert.equal(body.error.code, 'rate_limited');
    assert.ok(body.error.retryAfterMs > 0);
  });
});
