import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import type { Push } from '../src/protocol.js';
import { ChatConnection } from '../web-components/chat-connection.js';
import { PushConnection } from '../web-components/push-connection.js';
import { controllerHost, memoryStorage, type Running, startApp } from './helpers.js';

const apiKey = 'push-controller-key-0123456789';

/** Publishes through the HTTP API, one request for all of `data`, in order. */
async function publish(url: string, topic: string, ...data: unknown[]): Promise<void> {
  const res = await fetch(`${url}/api/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ pushes: data.map((d) => ({ topic, event: 'tick', data: d })) }),
  });
  assert.equal(res.status, 202);
}

/** A PushConnection that records every push it delivers and every gap it reports. */
function subscriber(url: string) {
  const h = controllerHost();
  const seen: Push[] = [];
  const gaps: string[] = [];
  const conn = new PushConnection(h, {
    url,
    name: 'Subscriber',
    storage: memoryStorage(),
    onPush: (push) => seen.push(push),
    onGap: (topic) => gaps.push(topic),
  });
  after(() => conn.close());
  /** The data of a topic's pushes, in the order delivered. */
  const data = (topic: string) => seen.filter((p) => p.topic === topic).map((p) => p.data);
  return { h, conn, seen, gaps, data };
}

/** Closes the server side of every /push transport: the clients see "transport close" and come back. */
function dropTransports(app: Running): void {
  for (const socket of app.io.of('/push').sockets.values()) socket.conn.close();
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('PushConnection (the push components socket logic) against the real server', () => {
  test('delivers a topic and the user’s own topic, each push once, and stops after unsubscribing', async () => {
    const app = await startApp({ API_KEY: apiKey });
    const { h, conn, seen, data } = subscriber(app.url);
    // Asked before connecting: sent once connected.
    const subscribed = conn.subscribe('news');
    await conn.connect();
    assert.equal(conn.status, 'connected');
    assert.equal((await subscribed).lastSeq, 0);
    assert.deepEqual(conn.subscriptions, ['news']);

    await publish(app.url, 'news', 'a', 'b', 'c');
    await h.changed(() => data('news').length === 3);
    const mine = `user:${conn.user?.id}`;
    await h.changed(() => conn.lastSeq(mine) !== undefined);
    await publish(app.url, mine, 'for you');
    await h.changed(() => data(mine).length === 1);

    await conn.unsubscribe('news');
    await publish(app.url, 'news', 'not for us');
    // Pushes reach a socket in the order sent: once this one is in, the one before would be too.
    await publish(app.url, mine, 'later');
    await h.changed(() => data(mine).length === 2);
    assert.deepEqual(data('news'), ['a', 'b', 'c']);
    assert.deepEqual(data(mine), ['for you', 'later']);
    assert.equal(new Set(seen.map((p) => p.id)).size, seen.length);
  });

  test('the transport drops while pushes are sent: after reconnecting, every push once, in order', async () => {
    const app = await startApp({ API_KEY: apiKey });
    const { h, conn, gaps, data } = subscriber(app.url);
    await conn.connect();
    await conn.subscribe('feed');
    const mine = `user:${conn.user?.id}`;
    await h.changed(() => conn.lastSeq(mine) !== undefined);
    await publish(app.url, 'feed', 1, 2, 3);
    await h.changed(() => data('feed').length === 3);

    dropTransports(app);
    await h.changed(() => conn.status === 'reconnecting');
    await publish(app.url, 'feed', 4, 5, 6);
    await publish(app.url, mine, 'while away');
    await h.changed(() => conn.status === 'connected', 15_000);
    await publish(app.url, 'feed', 7);

    // Again, in the middle of a stream of pushes sent one at a time.
    const stream = (async () => {
      for (const n of range(8, 40)) await publish(app.url, 'feed', n);
    })();
    await h.changed(() => data('feed').length >= 12);
    dropTransports(app);
    await stream;
    await h.changed(() => data('feed').length >= 40, 15_000);
    assert.deepEqual(data('feed'), range(1, 40));
    assert.deepEqual(data(mine), ['while away']);
    assert.deepEqual(gaps, []);
    assert.equal(conn.lastSeq('feed'), 40);
  });

  test('pushes no longer retained after a drop are reported as a gap; the retained ones still come', async () => {
    const app = await startApp({ API_KEY: apiKey, PUSH_RETENTION_COUNT: '2' });
    const { h, conn, gaps, data } = subscriber(app.url);
    await conn.connect();
    await conn.subscribe('feed');
    await publish(app.url, 'feed', 1);
    await h.changed(() => data('feed').length === 1);

    dropTransports(app);
    await h.changed(() => conn.status === 'reconnecting');
    await publish(app.url, 'feed', 2, 3, 4, 5);
    await h.changed(() => conn.status === 'connected', 15_000);
    assert.deepEqual(data('feed'), [1, 4, 5]);
    assert.deepEqual(gaps, ['feed']);
    assert.ok(conn.gaps.has('feed'));

    await publish(app.url, 'feed', 6);
    await h.changed(() => data('feed').length === 4);
    assert.deepEqual(data('feed'), [1, 4, 5, 6]);
    assert.deepEqual(gaps, ['feed'], 'a second gap was reported');
  });

  test('a live push that skips seqs makes it fetch the ones it missed, in order', async () => {
    const app = await startApp({ API_KEY: apiKey });
    const { h, conn, gaps, data } = subscriber(app.url);
    await conn.connect();
    await conn.subscribe('holes');
    const [server] = app.io.of('/push').sockets.values();
    assert.ok(server);
    // Take the socket out of the topic, so it misses seq 1 and 2 live.
    await server.leave('holes');
    await publish(app.url, 'holes', 'missed 1', 'missed 2');
    await server.join('holes');
    await publish(app.url, 'holes', 'live 3');
    await h.changed(() => data('holes').length === 3);
    assert.deepEqual(data('holes'), ['missed 1', 'missed 2', 'live 3']);
    assert.deepEqual(gaps, []);
  });

  test('a sync:hint from the server makes every topic subscribe again after its last seq', async () => {
    const app = await startApp({ API_KEY: apiKey });
    const { h, conn, gaps, data } = subscriber(app.url);
    await conn.connect();
    await conn.subscribe('hinted');
    await publish(app.url, 'hinted', 'seen 1');
    await h.changed(() => data('hinted').length === 1);
    const [server] = app.io.of('/push').sockets.values();
    assert.ok(server);
    // As if this node's broadcasts from other nodes were lost; nothing live follows to show a gap.
    await server.leave('hinted');
    await publish(app.url, 'hinted', 'missed 2', 'missed 3');
    await server.join('hinted');
    assert.equal(data('hinted').length, 1);
    app.io.of('/push').local.emit('sync:hint', {});
    await h.changed(() => data('hinted').length === 3);
    assert.deepEqual(data('hinted'), ['seen 1', 'missed 2', 'missed 3']);
    assert.equal(conn.lastSeq('hinted'), 3);
    assert.deepEqual(gaps, []);
  });

  test('after a server restart on the same port it subscribes again and takes up the new pushes', async () => {
    const first = await startApp({ API_KEY: apiKey });
    const { port } = first.app.server.address() as AddressInfo;
    const { h, conn, data } = subscriber(first.url);
    await conn.connect();
    await conn.subscribe('feed');
    const guest = conn.user?.id;
    await publish(first.url, 'feed', 'one', 'two');
    await h.changed(() => data('feed').length === 2);

    await first.close();
    await h.changed(() => conn.status === 'reconnecting');
    const second = await startApp({ API_KEY: apiKey, DATABASE_PATH: first.databasePath, PORT: String(port) });
    // The restarted server's draining delay is up to 5.5 s.
    await h.changed(() => conn.status === 'connected', 15_000);
    await publish(second.url, 'feed', 'three', 'four');
    await h.changed(() => data('feed').length === 4);
    assert.deepEqual(data('feed'), ['one', 'two', 'three', 'four']);
    assert.equal(conn.user?.id, guest, 'the guest session was not kept');
  });

  test('a restart that numbers a topic up to the client’s seq again before it resubscribes loses nothing (epochs)', async () => {
    const first = await startApp({ API_KEY: apiKey });
    const { port } = first.app.server.address() as AddressInfo;
    const { h, conn, data, gaps } = subscriber(first.url);
    await conn.connect();
    await conn.subscribe('feed');
    await publish(first.url, 'feed', 'one', 'two');
    await h.changed(() => data('feed').length === 2);
    conn.close();
    await first.close();
    // The in-memory log starts again at 1 and reaches the client's seq 2 while it is away.
    const second = await startApp({ API_KEY: apiKey, DATABASE_PATH: first.databasePath, PORT: String(port) });
    await publish(second.url, 'feed', 'three', 'four');
    await conn.connect();
    await h.changed(() => data('feed').length === 4);
    assert.deepEqual(data('feed'), ['one', 'two', 'three', 'four']);
    assert.ok(gaps.includes('feed'), 'what was published between the two servers cannot be known: a gap is reported');
  });

  test('a chat and a push connection that share storage start as one guest, even on a first visit', async () => {
    const app = await startApp();
    const storage = memoryStorage();
    const chat = new ChatConnection(controllerHost(), { url: app.url, room: 'both', name: 'Both', storage });
    const push = new PushConnection(controllerHost(), { url: app.url, name: 'Both', storage });
    after(() => {
      chat.close();
      push.close();
    });
    await Promise.all([chat.connect(), push.connect()]);
    assert.ok(chat.user);
    assert.equal(push.user?.id, chat.user.id);
  });

  test('a topic the server refuses rejects with its code and is dropped', async () => {
    const app = await startApp();
    const { conn } = subscriber(app.url);
    await conn.connect();
    await assert.rejects(conn.subscribe('user:someone-else'), { code: 'forbidden' });
    await assert.rejects(conn.subscribe('bad topic!'), { code: 'bad_request' });
    assert.deepEqual(conn.subscriptions, []);
    assert.equal(conn.error?.code, 'bad_request');
    assert.equal(conn.status, 'connected');
  });
});
