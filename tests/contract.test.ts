import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type WebSocket from 'ws';
import type { AckResult, ErrorCode, Message, RequestFailedEvent, TypingEvent } from '../src/protocol.js';
import { acked, type ChatClient, collect, connectChat, connectPush, postPush, rawSocket, startApp, waitFor } from './helpers.js';

/** A socket that emits any event with any arguments, as clients other than ours do. */
type RawSocket = { emit(event: string, ...args: unknown[]): void; emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
const raw = (socket: { timeout(ms: number): unknown }) => socket as unknown as RawSocket;

/** Emits with an ack (the last argument, after `args`) and returns the error code it was answered with. */
async function codeOf(socket: ChatClient | { timeout(ms: number): unknown }, event: string, ...args: unknown[]): Promise<ErrorCode> {
  const ack = (await raw(acked(socket)).emitWithAck(event, ...args)) as AckResult<object>;
  assert.equal(ack.ok, false, `${event} ${JSON.stringify(args)} was accepted`);
  if (ack.ok) throw new Error('unreachable');
  return ack.error.code;
}

/** Joins `room` with two clients; `seen` collects what the observer is broadcast. */
async function roomOfTwo(url: string, room: string) {
  const sender = await connectChat(url);
  const observer = await connectChat(url);
  await acked(sender.socket).emitWithAck('room:join', { room });
  await acked(observer.socket).emitWithAck('room:join', { room });
  return { sender: sender.socket, observer: observer.socket, seen: collect<Message>(observer.socket, 'message:new') };
}

describe('the contract every client can read (protocol 6.1)', () => {
  test('the ack is the last argument; no payload, extra arguments and unknown events are bad_request', async () => {
    const { url } = await startApp();
    const { sender, observer, seen } = await roomOfTwo(url, 'r');
    const send = { room: 'r', text: 'hi', clientId: randomUUID() };
    assert.equal(await codeOf(sender, 'message:send'), 'bad_request', 'an ack and no payload');
    assert.equal(await codeOf(sender, 'room:join'), 'bad_request', 'an ack and no payload');
    assert.equal(await codeOf(sender, 'message:send', send, 'extra'), 'bad_request', 'an extra argument');
    assert.equal(await codeOf(sender, 'message:history', { room: 'r' }, { room: 'r' }), 'bad_request');
    assert.equal(await codeOf(sender, 'no:such:event', { x: 1 }), 'bad_request', 'an unknown event');
    assert.equal(await codeOf(sender, 'no:such:event'), 'bad_request', 'an unknown event without payload');
    const push = await connectPush(url);
    assert.equal(await codeOf(push.socket, 'push:publish', { topic: 't' }), 'bad_request', 'an unknown /push event');
    assert.equal(await codeOf(push.socket, 'push:subscribe', { topic: 't' }, 1), 'bad_request');

    // A known event gets its own answer, not the unknown-event one.
    const broadcast = waitFor<Message>(observer, 'message:new');
    const ack = await raw(acked(sender)).emitWithAck('message:send', send);
    assert.deepEqual(ack, { ok: true, message: await broadcast });
    assert.deepEqual(
      seen.map((m) => m.text),
      ['hi'],
      'a refused event was broadcast',
    );
  });

  test('a numeric event name with an ack, on a raw socket, is answered bad_request', async () => {
    const { url } = await startApp();
    const { ws, frame } = rawSocket(url);
    await frame('0{');
    ws.send('40/chat,{}');
    await frame('40/chat,');
    ws.send('42/chat,9[7,{"room":"r"}]');
    assert.match(await frame('43/chat,9['), /"code":"bad_request"/);
    ws.close();
  });

  test("an event without an ack is processed: stored and broadcast (Artillery's default emit)", async () => {
    const { url } = await startApp();
    const { sender, observer } = await roomOfTwo(url, 'quiet');
    const failures = collect<RequestFailedEvent>(sender, 'request:failed');
    const broadcast = waitFor<Message>(observer, 'message:new');
    raw(sender).emit('message:send', { room: 'quiet', text: 'fire and forget', clientId: 'c-1' });
    const message = await broadcast;
    assert.equal(message.text, 'fire and forget');
    assert.equal(message.clientId, 'c-1');
    const history = await acked(observer).emitWithAck('message:history', { room: 'quiet' });
    assert.ok(history.ok);
    assert.deepEqual(history.messages, [message]);
    // Joining without an ack works too: the socket then gets the room's broadcasts.
    const other = await connectChat(url);
    raw(other.socket).emit('room:join', { room: 'quiet' });
    const reached = waitFor<Message>(other.socket, 'message:new');
    const ack = await acked(sender).emitWithAck('message:send', { room: 'quiet', text: 'after the join', clientId: randomUUID() });
    assert.ok(ack.ok);
    assert.equal((await reached).text, 'after the join');
    assert.deepEqual(failures, []);
  });

  test('an event without an ack that fails is told to its socket alone as request:failed', async () => {
    const { url } = await startApp({ MAX_MESSAGE_LENGTH: '10' });
    const { sender, observer, seen } = await roomOfTwo(url, 'r');
    const heard = collect<RequestFailedEvent>(observer, 'request:failed');
    const failures: RequestFailedEvent[] = [];
    sender.on('request:failed', (event: RequestFailedEvent) => failures.push(event));
    const next = () => waitFor<RequestFailedEvent>(sender, 'request:failed');

    const cases: [string, unknown[], RequestFailedEvent][] = [
      [
        'message:send',
        [{ room: 'r', text: 'x'.repeat(11), clientId: 'long-1' }],
        { event: 'message:send', clientId: 'long-1', error: { code: 'too_large', message: '' } },
      ],
      [
        'message:send',
        [{ room: 'elsewhere', text: 'hi', clientId: 'c-2' }],
        { event: 'message:send', clientId: 'c-2', error: { code: 'forbidden', message: '' } },
      ],
      ['message:send', [{ room: 'r', text: 'hi' }], { event: 'message:send', error: { code: 'bad_request', message: '' } }],
      ['message:send', [], { event: 'message:send', error: { code: 'bad_request', message: '' } }],
      ['room:join', [{ room: 'r' }, 'extra'], { event: 'room:join', error: { code: 'bad_request', message: '' } }],
      ['no:such:event', [{ clientId: 'c-3' }], { event: 'no:such:event', clientId: 'c-3', error: { code: 'bad_request', message: '' } }],
    ];
    for (const [event, args, expected] of cases) {
      const failed = next();
      raw(sender).emit(event, ...args);
      const got = await failed;
      assert.equal(typeof got.error.message, 'string');
      assert.deepEqual({ ...got, error: { ...got.error, message: '' } }, expected, `${event} ${JSON.stringify(args)}`);
    }
    // typing:update is never answered, good or bad, with or without an ack; a good one is relayed.
    const typing = waitFor<TypingEvent>(observer, 'typing:update');
    raw(sender).emit('typing:update', 'garbage');
    raw(sender).emit('typing:update', { room: 'r', typing: 'yes' });
    raw(sender).emit('typing:update', { room: 'r', typing: true }, () => assert.fail('typing:update was answered'));
    assert.equal((await typing).typing, true);

    const marker = waitFor<Message>(observer, 'message:new');
    assert.ok((await acked(sender).emitWithAck('message:send', { room: 'r', text: 'marker', clientId: randomUUID() })).ok);
    await marker;
    assert.deepEqual(
      seen.map((m) => m.text),
      ['marker'],
      'a failed event was broadcast',
    );
    assert.equal(failures.length, cases.length, 'typing:update was answered with request:failed');
    assert.deepEqual(heard, [], 'request:failed reached another socket');
  });

  test('null for an optional field means absent, on /chat and /push alike', async () => {
    const apiKey = 'contract-api-key-0123456789';
    const { url } = await startApp({ API_KEY: apiKey, HISTORY_LIMIT: '2' });
    const { sender } = await roomOfTwo(url, 'n');
    for (const text of ['one', 'two', 'three']) {
      assert.ok((await acked(sender).emitWithAck('message:send', { room: 'n', text, clientId: randomUUID() })).ok);
    }
    const texts = (ack: AckResult<{ messages: Message[] }>) => (ack.ok ? ack.messages.map((m) => m.text) : ack.error.code);
    const anyJoin = raw(acked(sender));
    assert.deepEqual(
      texts((await anyJoin.emitWithAck('room:join', { room: 'n', after: null, limit: null })) as AckResult<{ messages: Message[] }>),
      ['two', 'three'],
    );
    assert.deepEqual(
      texts(
        (await anyJoin.emitWithAck('message:history', { room: 'n', before: null, after: null, limit: null })) as AckResult<{
          messages: Message[];
        }>,
      ),
      ['two', 'three'],
    );
    assert.deepEqual(
      texts((await anyJoin.emitWithAck('message:history', { room: 'n', after: 1, before: null })) as AckResult<{ messages: Message[] }>),
      ['two', 'three'],
    );
    // A required field that is null is missing.
    assert.equal(await codeOf(sender, 'message:history', { room: null }), 'bad_request');
    assert.equal(await codeOf(sender, 'message:send', { room: 'n', text: 'x', clientId: null }), 'bad_request');

    const push = await connectPush(url);
    for (const data of [1, 2]) assert.equal((await postPush(url, apiKey, { topic: 'feed', data })).status, 202);
    const plain = await acked(push.socket).emitWithAck('push:subscribe', { topic: 'feed' });
    const withNull = await raw(acked(push.socket)).emitWithAck('push:subscribe', { topic: 'feed', after: null });
    assert.ok(plain.ok);
    assert.deepEqual(withNull, plain, 'after: null must be no after');
    assert.deepEqual(plain.missed, []);
  });

  test('seq parameters above 2^53-1 are bad_request, on both namespaces', async () => {
    const { url } = await startApp();
    const { sender } = await roomOfTwo(url, 's');
    const max = Number.MAX_SAFE_INTEGER;
    for (const [event, payload] of [
      ['room:join', { room: 's', after: max + 1 }],
      ['room:join', { room: 's', after: 1e20 }],
      ['message:history', { room: 's', before: 2 ** 63 }],
      ['message:history', { room: 's', after: 1e308 }],
    ] as const) {
      assert.equal(await codeOf(sender, event, payload), 'bad_request', JSON.stringify(payload));
    }
    const atMax = await acked(sender).emitWithAck('message:history', { room: 's', after: max });
    assert.deepEqual(atMax.ok && atMax.messages, []);
    const push = await connectPush(url);
    assert.equal(await codeOf(push.socket, 'push:subscribe', { topic: 't', after: 2 ** 63 }), 'bad_request');
  });

  test('a text longer than MAX_MESSAGE_LENGTH is too_large on the socket and over HTTP', async () => {
    const apiKey = 'contract-api-key-0123456789';
    const { url } = await startApp({ API_KEY: apiKey, MAX_MESSAGE_LENGTH: '100' });
    const { sender } = await roomOfTwo(url, 'long');
    const byHttp = async (text: string) => {
      const res = await fetch(`${url}/api/rooms/long/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ text }),
      });
      return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
    };
    // Just over, far over (once bad_request on the socket), and over only in characters, not bytes.
    for (const text of ['x'.repeat(101), 'x'.repeat(30_000), '😀'.repeat(101)]) {
      assert.equal(await codeOf(sender, 'message:send', { room: 'long', text, clientId: randomUUID() }), 'too_large');
      assert.deepEqual(await byHttp(text), { status: 413, code: 'too_large' });
    }
    const fits = await acked(sender).emitWithAck('message:send', { room: 'long', text: '😀'.repeat(100), clientId: randomUUID() });
    assert.ok(fits.ok);
  });

  test('documented wire forms: maxPayload in the open packet, a refused connect as 44/chat', async () => {
    const { url } = await startApp({ ALLOW_GUESTS: 'false', MAX_HTTP_BUFFER_SIZE: '4096' });
    const ws = rawSocket(url).ws;
    const frames: string[] = [];
    const next = () => waitFor<WebSocket.RawData>(ws, 'message').then(String);
    ws.on('message', (data) => frames.push(data.toString()));
    const open = await next();
    assert.equal(open[0], '0');
    assert.equal((JSON.parse(open.slice(1)) as { maxPayload: number }).maxPayload, 4096);
    const refused = next();
    ws.send('40/chat,{"token":null}');
    const frame = await refused;
    assert.match(frame, /^44\/chat,/);
    const body = JSON.parse(frame.slice('44/chat,'.length)) as { message: string; data: { code: string; message: string } };
    assert.deepEqual(
      { ...body, data: { ...body.data, message: typeof body.data.message } },
      {
        message: 'guests_disabled',
        data: { code: 'guests_disabled', message: 'string' },
      },
    );
    // Above maxPayload the transport is closed.
    const closed = waitFor<number>(ws, 'close');
    ws.send(`42/chat,["message:send",{"text":"${'x'.repeat(5000)}"}]`);
    assert.equal(await closed, 1009);
  });
});
