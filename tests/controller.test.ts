import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ChatConnection } from '../web-components/chat-connection.js';
import { backoffDelay } from '../web-components/socket-link.js';
import { acked, connectChat, controllerHost as host, memoryStorage, startApp, waitFor } from './helpers.js';

describe('ChatConnection (the components socket logic) against the real server', () => {
  test('sends, receives, and after a server restart resumes with every message once, in order', async () => {
    const first = await startApp();
    const { port } = first.app.server.address() as AddressInfo;
    const h = host();
    const conn = new ChatConnection(h, { url: first.url, room: 'lobby', name: 'Ctl', storage: memoryStorage() });
    await conn.connect();
    assert.equal(conn.status, 'connected');
    const guestId = conn.user?.id;

    const other = await connectChat(first.url, { name: 'Other' });
    await acked(other.socket).emitWithAck('room:join', { room: 'lobby' });
    await conn.send('one');
    await acked(other.socket).emitWithAck('message:send', { room: 'lobby', text: 'two', clientId: 'c2' });
    await h.changed(() => conn.messages.length === 2);

    await first.close();
    await h.changed(() => conn.status === 'reconnecting');
    // While it is away, the room moves on.
    const second = await startApp({ DATABASE_PATH: first.databasePath, PORT: String(port) });
    const writer = await connectChat(second.url, { name: 'Writer' });
    await acked(writer.socket).emitWithAck('room:join', { room: 'lobby' });
    for (const text of ['three', 'four', 'five']) {
      await acked(writer.socket).emitWithAck('message:send', { room: 'lobby', text, clientId: text });
    }
    await h.changed(() => conn.status === 'connected' && conn.messages.length === 5, 15_000);
    assert.deepEqual(
      conn.messages.map((m) => [m.seq, m.text]),
      [
        [1, 'one'],
        [2, 'two'],
        [3, 'three'],
        [4, 'four'],
        [5, 'five'],
      ],
    );
    assert.equal(conn.user?.id, guestId, 'the guest session was not kept');
    conn.close();
    assert.equal(conn.status, 'offline');
  });

  test('a server on another database (a new epoch) makes it drop what it held and show the new room', async () => {
    const first = await startApp();
    const { port } = first.app.server.address() as AddressInfo;
    const h = host();
    const conn = new ChatConnection(h, { url: first.url, room: 'epoch', name: 'Ed', storage: memoryStorage() });
    await conn.connect();
    await conn.send('old a');
    await conn.send('old b');
    conn.close();
    await first.close();
    // A new database with more messages than the client held: by seq alone it would look like a resume.
    const second = await startApp({ PORT: String(port) });
    const writer = await connectChat(second.url, { name: 'Writer' });
    await acked(writer.socket).emitWithAck('room:join', { room: 'epoch' });
    for (const text of ['new x', 'new y', 'new z']) {
      await acked(writer.socket).emitWithAck('message:send', { room: 'epoch', text, clientId: text });
    }
    await conn.connect();
    await h.changed(() => conn.messages.length === 3 && conn.messages[0]?.text === 'new x');
    assert.deepEqual(
      conn.messages.map((m) => [m.seq, m.text]),
      [
        [1, 'new x'],
        [2, 'new y'],
        [3, 'new z'],
      ],
    );
    assert.equal(conn.lastSeq, 3);
    conn.close();
  });

  test('a gap in seq on a live connection is filled from history', async () => {
    const app = await startApp();
    const h = host();
    const conn = new ChatConnection(h, { url: app.url, room: 'gaps', name: 'Gappy' });
    await conn.connect();
    const writer = await connectChat(app.url);
    await acked(writer.socket).emitWithAck('room:join', { room: 'gaps' });
    const [server] = (await app.io.of('/chat').fetchSockets()).filter((s) => s.data.identity.user.name === 'Gappy');
    assert.ok(server);
    // Take the controller's socket out of the room, so it misses seq 1 and 2 live.
    server.leave('gaps');
    await acked(writer.socket).emitWithAck('message:send', { room: 'gaps', text: 'missed 1', clientId: 'm1' });
    await acked(writer.socket).emitWithAck('message:send', { room: 'gaps', text: 'missed 2', clientId: 'm2' });
    server.join('gaps');
    await acked(writer.socket).emitWithAck('message:send', { room: 'gaps', text: 'live 3', clientId: 'm3' });
    await h.changed(() => conn.messages.length === 3);
    assert.deepEqual(
      conn.messages.map((m) => m.text),
      ['missed 1', 'missed 2', 'live 3'],
    );
    conn.close();
  });

  test('a sync:hint from the server makes it catch up by cursor on what it missed', async () => {
    const app = await startApp({ MESSAGE_RATE_BURST: '1000' });
    const h = host();
    const conn = new ChatConnection(h, { url: app.url, room: 'hinted', name: 'Hinted' });
    await conn.connect();
    const writer = await connectChat(app.url);
    await acked(writer.socket).emitWithAck('room:join', { room: 'hinted' });
    await acked(writer.socket).emitWithAck('message:send', { room: 'hinted', text: 'seen 1', clientId: 'h1' });
    await h.changed(() => conn.messages.length === 1);
    const [server] = (await app.io.of('/chat').fetchSockets()).filter((s) => s.data.identity.user.name === 'Hinted');
    assert.ok(server);
    // As if this node's broadcasts from other nodes were lost: the socket misses 2..251 live,
    // more than one catch-up page, and nothing live follows that would show a gap.
    server.leave('hinted');
    for (let i = 2; i <= 251; i++) {
      await acked(writer.socket).emitWithAck('message:send', { room: 'hinted', text: `missed ${i}`, clientId: `h${i}` });
    }
    server.join('hinted');
    assert.equal(conn.messages.length, 1);
    app.io.of('/chat').local.emit('sync:hint', {});
    await h.changed(() => conn.messages.length === 251);
    assert.deepEqual(
      conn.messages.map((m) => m.seq),
      Array.from({ length: 251 }, (_, i) => i + 1),
    );
    assert.equal(conn.lastSeq, 251);
    conn.close();
  });

  test('server:draining: it comes back at its retryInMs, also when the node closes its transport sooner', async (t) => {
    const app = await startApp();
    const h = host();
    const conn = new ChatConnection(h, { url: app.url, room: 'drain', name: 'Dee', storage: memoryStorage() });
    t.after(() => conn.close());
    await conn.connect();
    const [server] = [...app.io.of('/chat').sockets.values()];
    assert.ok(server);
    const drainedAt = Date.now();
    server.emit('server:draining', { retryInMs: 3000 });
    server.conn.close();
    await h.changed(() => conn.status === 'reconnecting');
    const { state } = conn;
    assert.ok(
      state.status === 'reconnecting' && state.nextAttemptAt !== undefined && state.nextAttemptAt >= drainedAt + 3000,
      JSON.stringify(state),
    );
    await h.changed(() => conn.status === 'connected', 10_000);
    assert.ok(Date.now() - drainedAt >= 3000, `back after ${Date.now() - drainedAt} ms`);
  });

  test('a refused handshake leaves it failed, with the reason', async () => {
    const app = await startApp({ ALLOW_GUESTS: 'false' });
    const conn = new ChatConnection(host(), { url: app.url, room: 'x' });
    await assert.rejects(conn.connect(), { code: 'guests_disabled' });
    assert.equal(conn.state.status, 'failed');
    assert.equal(conn.state.status === 'failed' && conn.state.error.code, 'guests_disabled');
    assert.equal(conn.error?.code, 'guests_disabled');
  });

  test('typing from others shows and clears', async () => {
    const app = await startApp();
    const h = host();
    const conn = new ChatConnection(h, { url: app.url, room: 'typing', name: 'Reader' });
    await conn.connect();
    const writer = await connectChat(app.url, { name: 'Writer' });
    await acked(writer.socket).emitWithAck('room:join', { room: 'typing' });
    writer.socket.emit('typing:update', { room: 'typing', typing: true });
    await h.changed(() => conn.typing.members.some((m) => m.name === 'Writer'));
    writer.socket.emit('typing:update', { room: 'typing', typing: false });
    await h.changed(() => conn.typing.members.length === 0);
    const left = waitFor(writer.socket, 'disconnect');
    writer.socket.disconnect();
    await left;
    await h.changed(() => conn.memberCount === 1);
    conn.close();
  });

  test('every change of state is announced, and a drop says when the next attempt is', async () => {
    const first = await startApp();
    const { port } = first.app.server.address() as AddressInfo;
    const h = host();
    const conn = new ChatConnection(h, { url: first.url, room: 'states', name: 'Sam', storage: memoryStorage() });
    const seen: string[] = [];
    conn.addEventListener('statechange', () => seen.push(conn.state.status));
    await conn.connect();
    await first.close();
    await h.changed(() => conn.state.status === 'reconnecting' && conn.state.nextAttemptAt !== undefined);
    const { nextAttemptAt } = conn.state as { nextAttemptAt: number };
    assert.ok(nextAttemptAt > Date.now() - 50 && nextAttemptAt < Date.now() + 30_000, `next attempt at ${nextAttemptAt - Date.now()} ms`);
    await startApp({ DATABASE_PATH: first.databasePath, PORT: String(port) });
    conn.reconnectNow(); // "Retry now": no waiting out the backoff
    await h.changed(() => conn.status === 'connected', 5_000);
    assert.deepEqual([seen[0], seen[1], seen[2], seen.at(-1)], ['connecting', 'connected', 'reconnecting', 'connected']);
    assert.ok(!seen.includes('offline') && !seen.includes('failed'), seen.join());
    conn.close();
    assert.equal(conn.status, 'offline');
  });

  test('server:draining is honoured: the client stays until its retryInMs, then moves at once', async () => {
    const app = await startApp();
    const h = host();
    const conn = new ChatConnection(h, { url: app.url, room: 'drain', name: 'Dora', storage: memoryStorage() });
    await conn.connect();
    const [socket] = app.io.of('/chat').sockets.values();
    assert.ok(socket);
    const left = new Promise<number>((resolve) => socket.once('disconnect', () => resolve(Date.now())));
    const told = Date.now();
    socket.emit('server:draining', { retryInMs: 700 });
    const stayed = (await left) - told;
    assert.ok(stayed >= 650, `left after ${stayed} ms, before its retryInMs`);
    await h.changed(() => conn.status === 'connected' && app.io.of('/chat').sockets.size === 1, 5_000);
    conn.close();
  });

  test('reconnect delays back off exponentially with full jitter, capped at 30 s', () => {
    for (const [attempt, cap] of [
      [0, 500],
      [3, 4_000],
      [6, 30_000],
      [40, 30_000],
    ] as const) {
      const delays = Array.from({ length: 2_000 }, () => backoffDelay(attempt));
      assert.ok(Math.min(...delays) >= 0 && Math.max(...delays) < cap, `attempt ${attempt}: outside [0, ${cap})`);
      // Full jitter: spread over the whole window, not bunched at its end.
      assert.ok(Math.min(...delays) < cap * 0.05 && Math.max(...delays) > cap * 0.95, `attempt ${attempt}: not spread`);
    }
  });

  test('gathered presence updates (joins and leaves of one window) keep its member list whole', async () => {
    const app = await startApp();
    const h = host();
    const conn = new ChatConnection(h, { url: app.url, room: 'crowd', name: 'Host', storage: memoryStorage() });
    await conn.connect();
    const guests = await Promise.all(Array.from({ length: 6 }, (_, i) => connectChat(app.url, { name: `G${i}` })));
    await Promise.all(guests.map((g) => acked(g.socket).emitWithAck('room:join', { room: 'crowd' })));
    await h.changed(() => conn.memberCount === 7 && conn.members.length === 7);
    for (const g of guests.slice(0, 3)) g.socket.disconnect();
    await h.changed(() => conn.memberCount === 4);
    assert.deepEqual(conn.members.map((m) => m.name).sort(), ['G3', 'G4', 'G5', 'Host']);
    conn.close();
  });
});
