import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { io } from 'socket.io-client';
import type { AckResult, ErrorBody, Message, TypingEvent } from '../src/protocol.js';
import {
  acked,
  type ChatClient,
  chatClient,
  collect,
  connectChat,
  connectPush,
  nextMessages,
  rawSocket,
  type Running,
  startApp,
  waitFor,
} from './helpers.js';

/** Client options that make a socket come from `address`, as a proxy trusted by TRUST_PROXY=1 says. */
function from(address: string) {
  return { extraHeaders: { 'x-forwarded-for': address } };
}

/** Connects a `/chat` client (from `address` when given): its session, or the `connect_error` data. */
async function tryConnect(url: string, address?: string, auth: Record<string, unknown> = {}) {
  const socket = chatClient(url, auth, address ? from(address) : {});
  const outcome = new Promise<{ ok: true } | { ok: false; error: ErrorBody }>((resolve) => {
    socket.once('session', () => resolve({ ok: true }));
    socket.once('connect_error', (err: Error & { data?: ErrorBody }) => resolve({ ok: false, error: err.data as ErrorBody }));
  });
  socket.connect();
  return { socket, outcome: await outcome };
}

function assertLimited(error: ErrorBody | undefined, maxRetryMs: number, what: string): void {
  assert.equal(error?.code, 'rate_limited', what);
  assert.ok((error?.retryAfterMs ?? 0) > 0 && (error?.retryAfterMs ?? 0) <= maxRetryMs, `${what}: retryAfterMs ${error?.retryAfterMs}`);
}

function send(socket: ChatClient, room: string, text: string) {
  return acked(socket).emitWithAck('message:send', { room, text, clientId: randomUUID() });
}

async function join(socket: ChatClient, room: string) {
  const res = await acked(socket).emitWithAck('room:join', { room });
  assert.ok(res.ok, `join ${room}: ${JSON.stringify(res)}`);
  return res;
}

async function healthy(app: Running): Promise<void> {
  assert.equal((await fetch(`${app.url}/healthz`)).status, 200);
}

/** Ack time of one message from a user the flood has nothing to do with. */
async function timedSend(socket: ChatClient, room: string, text: string) {
  const started = performance.now();
  const ack = await send(socket, room, text);
  return { ack, ms: performance.now() - started };
}

describe('limits per user', () => {
  test('one guest on 20 sockets shares one message allowance; another user is neither slowed nor refused', async () => {
    const app = await startApp({ MESSAGE_RATE_PER_SEC: '5', MESSAGE_RATE_BURST: '10' });
    const first = await connectChat(app.url, { name: 'Flood' });
    const more = await Promise.all(Array.from({ length: 19 }, () => connectChat(app.url, { name: 'Flood', session: first.session })));
    const flooders = [first.socket, ...more.map((c) => c.socket)];
    assert.ok(
      more.every((c) => c.user.id === first.user.id),
      'one guest',
    );
    const calm = await connectChat(app.url, { name: 'Calm' });
    await Promise.all([...flooders, calm.socket].map((s) => join(s, 'busy')));

    // Each flooding socket sends every 25 ms for 3 s (2,400 sends), as in the issue.
    const acks: Promise<AckResult<{ message: Message }>>[] = [];
    const timers = flooders.map((s, i) => setInterval(() => acks.push(send(s, 'busy', `flood ${i} ${acks.length}`)), 25));
    const calmSends: { ack: AckResult<{ message: Message }>; ms: number }[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        calmSends.push(await timedSend(calm.socket, 'busy', `calm ${i}`));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      for (const t of timers) clearInterval(t);
    }
    const results = await Promise.all(acks);
    const stored = results.filter((r) => r.ok);
    // 10 per window of 2 s: the 3 s of flood and the tail the server still works through touch three at most.
    assert.ok(acks.length > 1000, `the flood sent ${acks.length}`);
    assert.ok(stored.length >= 10 && stored.length <= 30, `stored ${stored.length} of ${acks.length}`);
    for (const r of results) if (!r.ok) assertLimited(r.error, 2000, 'a flood send');
    assert.ok(
      calmSends.every((s) => s.ack.ok),
      'the other user is never refused',
    );
    assert.ok(Math.max(...calmSends.map((s) => s.ms)) < 1000, `calm acks took ${calmSends.map((s) => Math.round(s.ms))} ms`);

    const history = await acked(calm.socket).emitWithAck('message:history', { room: 'busy', limit: 200 });
    assert.ok(history.ok);
    assert.equal(history.messages.filter((m) => m.author.id === first.user.id).length, stored.length);
    assert.equal(history.messages.filter((m) => m.author.id === calm.user.id).length, 6);
    await healthy(app);
  });

  test('history reads: a few at once per socket, a budget per user; another user reads on', async () => {
    const app = await startApp({ HISTORY_READS_PER_SOCKET: '2', HISTORY_RATE_PER_SEC: '4' });
    const reader = await connectChat(app.url);
    const other = await connectChat(app.url);
    await join(reader.socket, 'old');
    await join(other.socket, 'old');
    for (let i = 0; i < 5; i++) assert.ok((await send(other.socket, 'old', `m${i}`)).ok);

    // 2,000 at once, as in the issue: two are read at a time, the rest refused at once.
    const burst = await Promise.all(
      Array.from({ length: 2000 }, () => acked(reader.socket, 10_000).emitWithAck('message:history', { room: 'old', limit: 200 })),
    );
    const read = burst.filter((r) => r.ok).length;
    assert.ok(read >= 1 && read <= 19, `read ${read} of 2000`);
    for (const r of burst) if (!r.ok) assertLimited(r.error, 5000, 'a burst read');

    // One at a time, the user's budget (20 in 5 s: a join and 19 reads left at most) runs out.
    let refused: ErrorBody | undefined;
    for (let i = 0; i < 25 && !refused; i++) {
      const res = await acked(reader.socket).emitWithAck('message:history', { room: 'old' });
      if (!res.ok) refused = res.error;
    }
    assertLimited(refused, 5000, 'past the budget');
    const theirs = await acked(other.socket).emitWithAck('message:history', { room: 'old' });
    assert.ok(theirs.ok && theirs.messages.length === 5, 'another user still reads');
    await healthy(app);
  });

  test('typing: a burst of 20,000 relays one typing:true; one false clears it; the rest are dropped', async () => {
    // Long enough that the whole test runs within one interval on a slow machine.
    const app = await startApp({ TYPING_INTERVAL_SECONDS: '30' });
    const typist = await connectChat(app.url, { name: 'Typist' });
    const watcher = await connectChat(app.url, { name: 'Watcher' });
    await join(typist.socket, 'keys');
    await join(watcher.socket, 'keys');
    const seen = collect<TypingEvent>(watcher.socket, 'typing:update');

    for (let i = 0; i < 20_000; i++) typist.socket.emit('typing:update', { room: 'keys', typing: true });
    // The typist's message goes out after the burst: once the watcher has it, the burst was handled.
    let done = nextMessages(watcher.socket, 1);
    assert.ok((await send(typist.socket, 'keys', 'after the burst')).ok);
    await done;
    assert.deepEqual(
      seen.map((e) => e.typing),
      [true, false],
      'one true, then the send cleared it',
    );

    for (let i = 0; i < 1000; i++) typist.socket.emit('typing:update', { room: 'keys', typing: i % 2 === 0 });
    done = nextMessages(watcher.socket, 1);
    assert.ok((await send(typist.socket, 'keys', 'after the toggles')).ok);
    await done;
    assert.equal(seen.length, 2, `within the interval, nothing more: ${JSON.stringify(seen.slice(2))}`);
    assert.ok(seen.every((e) => e.user.id === typist.user.id));
    await healthy(app);
  });
});

describe('limits per socket', () => {
  test('rooms and topics per socket: past the limit a join is rate_limited; leaving one makes room', async () => {
    const app = await startApp({ ROOMS_PER_SOCKET: '3' });
    const { socket } = await connectChat(app.url);
    for (const room of ['r1', 'r2', 'r3']) await join(socket, room);
    const fourth = await acked(socket).emitWithAck('room:join', { room: 'r4' });
    assert.ok(!fourth.ok);
    assertLimited(fourth.error, 60_000, 'a fourth room');
    await join(socket, 'r2'); // already in it: not one more
    assert.ok((await acked(socket).emitWithAck('room:leave', { room: 'r1' })).ok);
    await join(socket, 'r4');

    const push = await connectPush(app.url);
    for (const topic of ['t1', 't2', 't3']) assert.ok((await acked(push.socket).emitWithAck('push:subscribe', { topic })).ok);
    const more = await acked(push.socket).emitWithAck('push:subscribe', { topic: 't4' });
    assert.ok(!more.ok);
    assertLimited(more.error, 60_000, 'a fourth topic');
    await healthy(app);
  });
});

describe('limits per address', () => {
  test('connections open per address: the one too many hears rate_limited and is closed; others connect', async () => {
    const app = await startApp({ CONNECTIONS_PER_ADDRESS: '5', TRUST_PROXY: '1' });
    const conns: ServerSocket['conn'][] = [];
    const record = (conn: ServerSocket['conn']) => conns.push(conn);
    app.io.engine.on('connection', record);
    const held = await Promise.all(Array.from({ length: 5 }, () => tryConnect(app.url, '203.0.113.1')));
    app.io.engine.off('connection', record);
    assert.ok(held.every((h) => h.outcome.ok));
    // Resolves when the server has seen one of those close: the address's count then goes down.
    const closedOne = Promise.race(conns.map((conn) => waitFor(conn, 'close', 3000)));

    const sixth = await tryConnect(app.url, '203.0.113.1');
    assert.ok(!sixth.outcome.ok);
    assertLimited(sixth.outcome.error, 60_000, 'a sixth connection');
    const push = io(`${app.url}/push`, { transports: ['websocket'], reconnection: false, forceNew: true, ...from('203.0.113.1') });
    const pushRefusal = await waitFor<Error & { data: ErrorBody }>(push, 'connect_error');
    push.close();
    assertLimited(pushRefusal.data, 60_000, '/push on one more connection');

    const another = await tryConnect(app.url, '203.0.113.2');
    assert.ok(another.outcome.ok, 'another address is not refused');

    held[0]?.socket.disconnect();
    await closedOne;
    const again = await tryConnect(app.url, '203.0.113.1');
    assert.ok(again.outcome.ok, 'room again once one closed');
    await healthy(app);
  });

  test('a refused raw Engine.IO client gets the refusal frame and is closed within a second or two', async () => {
    const app = await startApp({ CONNECTIONS_PER_ADDRESS: '1' });
    const kept = await tryConnect(app.url);
    assert.ok(kept.outcome.ok);
    const raw = rawSocket(app.url);
    await raw.frame('0{');
    raw.ws.send('40/chat,');
    const refusal = JSON.parse((await raw.frame('44/chat,')).slice('44/chat,'.length)) as { data: ErrorBody };
    assertLimited(refusal.data, 60_000, 'raw client');
    await waitFor(raw.ws, 'close', 3000);
    const res = await send(kept.socket, 'x', 'still here');
    assert.equal(!res.ok && res.error.code, 'forbidden', 'the kept connection still answers');
  });

  test('new connections per address a minute; a rotated X-Forwarded-For counts only behind a trusted proxy', async () => {
    const app = await startApp({ CONNECTION_RATE_PER_ADDRESS: '3', TRUST_PROXY: '1' });
    for (let i = 0; i < 3; i++) {
      const c = await tryConnect(app.url, '198.51.100.7');
      assert.ok(c.outcome.ok);
      c.socket.disconnect();
    }
    const fourth = await tryConnect(app.url, '198.51.100.7');
    assert.ok(!fourth.outcome.ok);
    assertLimited(fourth.outcome.error, 60_000, 'a fourth connection within the minute');
    assert.ok((await tryConnect(app.url, '198.51.100.8')).outcome.ok, 'another address');

    const direct = await startApp({ CONNECTION_RATE_PER_ADDRESS: '3' });
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const c = await tryConnect(direct.url, `192.0.2.${i}`);
      outcomes.push(c.outcome.ok);
      c.socket.disconnect();
    }
    assert.deepEqual(outcomes, [true, true, true, false], 'without TRUST_PROXY the header is not believed');
    await healthy(app);
  });

  test('new rooms per address an hour: past it a first message is refused, existing rooms and other addresses go on', async () => {
    const app = await startApp({ NEW_ROOMS_PER_ADDRESS: '3', TRUST_PROXY: '1' });
    const a = await tryConnect(app.url, '203.0.113.50', { name: 'Maker' });
    const b = await tryConnect(app.url, '203.0.113.60', { name: 'Other' });
    assert.ok(a.outcome.ok && b.outcome.ok);

    for (const room of ['new-1', 'new-2']) {
      await join(a.socket, room);
      assert.ok((await send(a.socket, room, 'first')).ok);
    }
    // A room that was empty at the join but that someone else created first costs nothing.
    await join(a.socket, 'shared');
    await join(b.socket, 'shared');
    assert.ok((await send(b.socket, 'shared', 'I was first')).ok);
    assert.ok((await send(a.socket, 'shared', 'me second')).ok);
    await join(a.socket, 'new-3');
    assert.ok((await send(a.socket, 'new-3', 'first')).ok, 'the third new room');

    await join(a.socket, 'new-4');
    const refused = await send(a.socket, 'new-4', 'first');
    assert.ok(!refused.ok);
    assertLimited(refused.error, 3_600_000, 'a fourth new room');
    assert.ok((await send(a.socket, 'new-1', 'an existing room')).ok);
    await join(b.socket, 'theirs');
    assert.ok((await send(b.socket, 'theirs', 'first')).ok, 'another address creates rooms');
    const history = await acked(b.socket).emitWithAck('message:history', { room: 'new-4' });
    assert.ok(history.ok && history.messages.length === 0, 'nothing stored in the refused room');
    await healthy(app);
  });
});
