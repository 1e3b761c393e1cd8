import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { Message } from '../src/protocol.js';
import { ChatConnection } from '../web-components/chat-connection.js';
import { acked, connectChat, controllerHost, memoryStorage, startApp } from './helpers.js';

/** A ChatConnection of a guest named `name` on `storage`, with a host to wait on. */
function tab(url: string, room: string, name: string, storage = memoryStorage()) {
  const h = controllerHost();
  const conn = new ChatConnection(h, { url, room, name, storage });
  return { h, conn, storage };
}

/** The room as the server holds it, read by a fresh client. */
async function stored(url: string, room: string): Promise<Message[]> {
  const reader = await connectChat(url, { name: 'Reader' });
  await acked(reader.socket).emitWithAck('room:join', { room });
  const res = await acked(reader.socket).emitWithAck('message:history', { room, after: 0, limit: 200 });
  reader.socket.disconnect();
  assert.equal(res.ok, true);
  return res.ok ? res.messages : [];
}

describe('the outbox: what the user sends is kept until the server has it, and stored once', () => {
  test('sent while the server is away: shown at once as sending, delivered once and in order when it is back', async () => {
    const app = await startApp();
    const { port } = app.app.server.address() as AddressInfo;
    const { h, conn } = tab(app.url, 'away', 'Ada');
    await conn.connect();
    await app.close();
    await h.changed(() => conn.status === 'reconnecting');

    const sent = [conn.send('one'), conn.send('two'), conn.send('three')];
    assert.deepEqual(
      conn.log.map((item) => [item.pending?.text, item.pending?.state]),
      [
        ['one', 'sending'],
        ['two', 'sending'],
        ['three', 'sending'],
      ],
    );
    const again = await startApp({ DATABASE_PATH: app.databasePath, PORT: String(port) });
    const messages = await Promise.all(sent);
    assert.deepEqual(
      messages.map((m) => [m.seq, m.text]),
      [
        [1, 'one'],
        [2, 'two'],
        [3, 'three'],
      ],
    );
    await h.changed(() => conn.outbox.entries.length === 0 && conn.messages.length === 3);
    assert.deepEqual(
      conn.log.map((item) => item.message?.text),
      ['one', 'two', 'three'],
    );
    assert.deepEqual(
      (await stored(again.url, 'away')).map((m) => m.text),
      ['one', 'two', 'three'],
    );
    conn.close();
  });

  test('a reload or a closed tab loses nothing: the next page sends the outbox and keeps the draft', async () => {
    const app = await startApp();
    const { port } = app.app.server.address() as AddressInfo;
    const first = tab(app.url, 'kept', 'Bea');
    await first.conn.connect();
    await app.close();
    await first.h.changed(() => first.conn.status === 'reconnecting');
    void first.conn.send('typed offline').catch(() => undefined);
    first.conn.outbox.setDraft('half a thought');
    first.conn.close(); // the tab is closed

    // Opened again on the same storage: the outbox and the draft show before any connection.
    const second = tab(app.url, 'kept', 'Bea', first.storage);
    assert.deepEqual(
      second.conn.log.map((item) => [item.pending?.text, item.pending?.state]),
      [['typed offline', 'sending']],
    );
    assert.equal(second.conn.outbox.draft, 'half a thought');
    const again = await startApp({ DATABASE_PATH: app.databasePath, PORT: String(port) });
    await second.conn.connect();
    await second.h.changed(() => second.conn.outbox.entries.length === 0 && second.conn.messages.length === 1);
    assert.equal(second.conn.messages[0]?.author.id, second.conn.user?.id, 'sent as the same guest');
    assert.deepEqual(
      (await stored(again.url, 'kept')).map((m) => m.text),
      ['typed offline'],
    );
    assert.equal(second.conn.outbox.draft, 'half a thought');
    assert.ok(!first.storage.keys().some((key) => key.startsWith('roomcast:outbox:')), 'an acknowledged message left storage');
    second.conn.close();
  });

  test('an acknowledgement lost with the connection: the retry with the same clientId is stored and shown once', async () => {
    const app = await startApp();
    const { h, conn } = tab(app.url, 'lost-ack', 'Cy');
    await conn.connect();
    const watcher = await connectChat(app.url, { name: 'Watcher' });
    await acked(watcher.socket).emitWithAck('room:join', { room: 'lost-ack' });
    const seen: Message[] = [];
    watcher.socket.on('message:new', (m) => seen.push(m));
    // The server stores the first send, then the transport goes before the acknowledgement.
    for (const socket of app.io.of('/chat').sockets.values()) {
      if (socket.data.identity.user.name !== 'Cy') continue;
      socket.use(([event], next) => {
        next();
        if (event === 'message:send') setImmediate(() => socket.conn.close());
      });
    }
    const message = await conn.send('only once');
    await h.changed(() => conn.status === 'connected' && conn.outbox.entries.length === 0);
    assert.deepEqual(
      conn.messages.map((m) => m.text),
      ['only once'],
    );
    assert.deepEqual(
      (await stored(app.url, 'lost-ack')).map((m) => [m.seq, m.text, m.clientId]),
      [[1, 'only once', message.clientId]],
    );
    assert.deepEqual(
      seen.map((m) => m.seq),
      [1],
    );
    conn.close();
  });

  test('a refusal retrying cannot fix fails that message with its reason; Retry and Delete; the next ones still go', async () => {
    const app = await startApp({ MAX_MESSAGE_LENGTH: '10' });
    const { h, conn, storage } = tab(app.url, 'refused', 'Dee');
    await conn.connect();
    const tooLong = conn.send('far too long for this room');
    await assert.rejects(tooLong, (err: { code?: string }) => ['bad_request', 'too_large'].includes(err.code ?? ''));
    const [failed] = conn.outbox.entries;
    assert.equal(failed?.state, 'failed');
    assert.match(failed?.error?.code ?? '', /^(bad_request|too_large)$/);
    assert.equal(await conn.send('short'), conn.messages.at(-1));
    assert.deepEqual(
      conn.log.map((item) => item.message?.text ?? `${item.pending?.state}: ${item.pending?.text}`),
      ['short', 'failed: far too long for this room'],
    );

    conn.outbox.retry(failed?.clientId ?? '');
    assert.equal(conn.outbox.entries[0]?.state, 'sending');
    await h.changed(() => conn.outbox.entries[0]?.state === 'failed');
    conn.outbox.delete(failed?.clientId ?? '');
    assert.deepEqual(conn.outbox.entries, []);
    assert.ok(!storage.keys().some((key) => key.startsWith('roomcast:outbox:')));
    conn.close();
  });

  test('rate-limited sends wait their turn by themselves and arrive in the order typed', async () => {
    const app = await startApp({ MESSAGE_RATE_PER_SEC: '4', MESSAGE_RATE_BURST: '1' });
    const { conn } = tab(app.url, 'limited', 'Eve');
    await conn.connect();
    const texts = ['a', 'b', 'c', 'd'];
    const messages = await Promise.all(texts.map((text) => conn.send(text)));
    assert.deepEqual(
      messages.map((m) => m.text),
      texts,
    );
    assert.deepEqual(
      messages.map((m) => m.seq),
      [1, 2, 3, 4],
    );
    assert.deepEqual(conn.outbox.entries, []);
    conn.close();
  });

  test('two tabs of one user share the outbox: what one could not send, the other sends, once', async () => {
    const app = await startApp();
    const storage = memoryStorage();
    const a = tab(app.url, 'shared', 'Fay', storage);
    const b = tab(app.url, 'shared', 'Fay', storage);
    await Promise.all([a.conn.connect(), b.conn.connect()]);
    assert.equal(a.conn.user?.id, b.conn.user?.id);
    // Tab a is closed in the middle of a send: the entry is stored, but never acknowledged to it.
    for (const socket of app.io.of('/chat').sockets.values())
      socket.use(([event], next) => (event === 'message:send' ? undefined : next()));
    void a.conn.send('from a').catch(() => undefined);
    a.conn.close();
    for (const socket of app.io.of('/chat').sockets.values()) socket.conn.close();
    b.conn.outbox.reload(); // what the page's `storage` event does in a browser
    await b.h.changed(() => b.conn.messages.length === 1 && b.conn.outbox.entries.length === 0, 15_000);
    assert.deepEqual(
      (await stored(app.url, 'shared')).map((m) => m.text),
      ['from a'],
    );
    b.conn.close();
  });
});
