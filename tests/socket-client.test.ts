import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import * as engineParser from 'engine.io-parser';
import { Server } from 'socket.io';
import * as textEngine from '../web-components/engine-parser.js';
import type { AckResult, JoinResult, Message, SessionEvent } from '../src/protocol.js';
import { io, type Socket } from '../web-components/socket-client.js';
import { acked, connectChat, startApp, waitFor } from './helpers.js';

/** A widget-style socket on /chat: not connected yet, auth asked for on every attempt. */
function widgetSocket(url: string, auth: () => object): Socket {
  return io(`${url}/chat`, {
    forceNew: true,
    autoConnect: false,
    reconnection: false,
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    auth: (cb) => cb(auth()),
  });
}

for (const transports of [['websocket', 'polling'], ['polling']]) {
  test(`socket-client (${transports.join(', ')}): connects with auth, acks requests, hears broadcasts, and disconnects both ways`, async () => {
    const app = await startApp();
    let attempts = 0;
    const socket = io(`${app.url}/chat`, {
      autoConnect: false,
      transports,
      auth: (cb) => {
        attempts++;
        cb({ name: 'Slim' });
      },
    });
    const session = waitFor<SessionEvent>(socket, 'session');
    socket.connect();
    await waitFor(socket, 'connect');
    assert.equal(socket.connected, true);
    assert.equal(socket.active, true);
    assert.equal((await session).user.name, 'Slim');
    assert.equal(attempts, 1);

    const join = (await socket.timeout(5000).emitWithAck('room:join', { room: 'slim' })) as AckResult<JoinResult>;
    assert.equal(join.ok, true);
    const other = await connectChat(app.url, { name: 'Other' });
    assert.equal((await acked(other.socket).emitWithAck('room:join', { room: 'slim' })).ok, true);
    const heard = waitFor<Message>(socket, 'message:new');
    await acked(other.socket).emitWithAck('message:send', { room: 'slim', text: 'to the slim one', clientId: randomUUID() });
    assert.equal((await heard).text, 'to the slim one');
    // Without timeout(), emitWithAck resolves with the ack's argument too.
    const sent = (await socket.emitWithAck('message:send', { room: 'slim', text: 'back', clientId: randomUUID() })) as AckResult<unknown>;
    assert.equal(sent.ok, true);

    // What the server does not know it answers too (bad_request).
    const unknown = (await socket.timeout(5000).emitWithAck('no:such:event', {})) as AckResult<unknown>;
    assert.equal(unknown.ok, false);

    const left = waitFor(other.socket, 'presence:update');
    const reason = waitFor<string>(socket, 'disconnect');
    socket.disconnect();
    assert.equal(await reason, 'io client disconnect');
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false);
    await left;
    // A request while disconnected fails at once; a volatile emit is dropped.
    await assert.rejects(socket.timeout(5000).emitWithAck('room:join', { room: 'slim' }), /not connected/);
    socket.volatile.emit('typing:update', { room: 'slim', typing: true });

    // Connects again on the same object; the server closing is a disconnect the widget retries.
    socket.connect();
    await waitFor(socket, 'connect');
    assert.equal(attempts, 2);
    const dropped = waitFor<string>(socket, 'disconnect', 10_000);
    await app.close();
    assert.match(await dropped, /transport close|io server disconnect/);
    assert.equal(socket.connected, false);
  });
}

test('socket-client: a refusal by the server (bad token) is connect_error with its data, and active turns false', async () => {
  const app = await startApp({ JWT_SECRET: 'x'.repeat(32) });
  const socket = widgetSocket(app.url, () => ({ token: 'not-a-jwt' }));
  const error = waitFor<Error & { data?: { code: string } }>(socket, 'connect_error');
  socket.connect();
  assert.equal((await error).data?.code, 'invalid_token');
  assert.equal(socket.active, false);
  assert.equal(socket.connected, false);
});

test('socket-client: an unreachable server is connect_error with active still true (the link retries)', async () => {
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const { port } = free.address() as { port: number };
  await new Promise((resolve) => free.close(resolve));
  const socket = widgetSocket(`http://127.0.0.1:${port}`, () => ({}));
  let disconnects = 0;
  socket.on('disconnect', () => disconnects++);
  const error = waitFor<Error>(socket, 'connect_error', 10_000);
  socket.connect();
  assert.ok((await error) instanceof Error);
  assert.equal(socket.active, true);
  assert.equal(socket.connected, false);
  assert.equal(disconnects, 0);
});

test('socket-client: an unanswered request times out; one pending when the server disconnects the socket fails; the reason is io server disconnect', async () => {
  const server = new Server(0, { transports: ['websocket', 'polling'] });
  after(() => server.close());
  const { port } = server.httpServer.address() as { port: number };
  server.of('/chat').on('connection', (s) => {
    s.on('hold', () => undefined); // never acknowledged
    s.on('kick', () => s.disconnect());
  });
  const socket = widgetSocket(`http://127.0.0.1:${port}`, () => ({}));
  socket.connect();
  await waitFor(socket, 'connect');
  await assert.rejects(socket.timeout(100).emitWithAck('hold', {}), /timed out/);
  const pending = socket.timeout(10_000).emitWithAck('hold', {});
  const reason = waitFor<string>(socket, 'disconnect');
  socket.emit('kick');
  assert.equal(await reason, 'io server disconnect');
  await assert.rejects(pending, /disconnected/);
  assert.equal(socket.active, false);
});

test('engine-parser: text packets and payloads as engine.io-parser writes and reads them; binary is a parser error', () => {
  const packets = [
    { type: 'open', data: '{"sid":"abc","upgrades":["websocket"],"pingInterval":25000}' },
    { type: 'close' },
    { type: 'ping' },
    { type: 'pong', data: 'probe' },
    { type: 'message', data: '2/chat,["message:new",{"text":"a\\u001eb é"}]' },
    { type: 'upgrade' },
    { type: 'noop' },
  ] as const;
  for (const packet of packets) {
    let ours = '';
    let theirs = '';
    textEngine.encodePacket(packet, true, (e) => (ours = e));
    engineParser.encodePacket(packet, true, (e) => (theirs = e as string));
    assert.equal(ours, theirs);
    assert.deepEqual(textEngine.decodePacket(theirs), engineParser.decodePacket(theirs));
  }
  let ours = '';
  let theirs = '';
  textEngine.encodePayload([...packets], (e) => (ours = e));
  engineParser.encodePayload([...packets], (e) => (theirs = e));
  assert.equal(ours, theirs);
  assert.deepEqual(textEngine.decodePayload(theirs), engineParser.decodePayload(theirs));
  assert.equal(textEngine.protocol, engineParser.protocol);
  for (const bad of ['bAQID', '', '9', new ArrayBuffer(3)]) assert.equal(textEngine.decodePacket(bad).type, 'error');
  assert.deepEqual(
    textEngine.decodePayload('4hello\x1ebAQID\x1e4after').map((p) => p.type),
    ['message', 'error'],
  );
});
