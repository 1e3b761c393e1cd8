import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AckResult, ErrorCode, Message } from '../src/protocol.js';
import { acked, type ChatClient, collect, connectChat, rawSocket, startApp, waitFor } from './helpers.js';

/** Emits an event with an ack and returns the error code it was answered with. */
async function codeOf(socket: ChatClient, event: string, payload: unknown): Promise<ErrorCode> {
  const ack = (await (acked(socket) as unknown as { emitWithAck(e: string, p: unknown): Promise<AckResult<object>> }).emitWithAck(
    event,
    payload,
  )) as AckResult<object>;
  assert.equal(ack.ok, false, `${event} ${JSON.stringify(payload)} was accepted`);
  if (ack.ok) throw new Error('unreachable');
  assert.equal(typeof ack.error.message, 'string');
  return ack.error.code;
}

/**
 * Proves nothing was broadcast: after the bad inputs a good message is sent, and the observer's
 * first message:new must be that one.
 */
async function assertNothingBroadcast(sender: ChatClient, observer: ChatClient, room: string, seen: Message[]) {
  const marker = waitFor<Message>(observer, 'message:new');
  const ack = await acked(sender).emitWithAck('message:send', { room, text: 'marker', clientId: randomUUID() });
  assert.ok(ack.ok);
  await marker;
  assert.deepEqual(
    seen.map((m) => m.text),
    ['marker'],
  );
  assert.equal(seen[0]?.seq, 1, 'a bad input was stored');
}

describe('bad input gets a clear error and is never broadcast', () => {
  test('each socket error code of the contract', async () => {
    const { url } = await startApp({ MAX_MESSAGE_LENGTH: '10', MESSAGE_RATE_PER_SEC: '1', MESSAGE_RATE_BURST: '3' });
    const a = await connectChat(url);
    const observer = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 'r' });
    await acked(observer.socket).emitWithAck('room:join', { room: 'r' });
    const seen = collect<Message>(observer.socket, 'message:new');

    const badRequests: [string, unknown][] = [
      ['room:join', {}],
      ['room:join', 'r'],
      ['room:join', null],
      ['room:join', { room: 'bad room!' }],
      ['room:join', { room: 'x'.repeat(65) }],
      ['room:join', { room: 'r', after: -1 }],
      ['room:join', { room: 'r', limit: 0 }],
      ['room:join', { room: 'r', limit: 'ten' }],
      ['room:leave', { room: 42 }],
      ['message:send', { room: 'r', text: 'hi' }],
      ['message:send', { room: 'r', text: 'hi', clientId: '' }],
      ['message:send', { room: 'r', text: 'hi', clientId: 'x'.repeat(65) }],
      ['message:send', { room: 'r', text: '   ', clientId: randomUUID() }],
      ['message:send', { room: 'r', text: 42, clientId: randomUUID() }],
      ['message:send', [1, 2, 3]],
      ['message:history', { room: 'r', before: 1.5 }],
      ['message:history', { room: 'r', after: '3' }],
    ];
    for (const [event, payload] of badRequests) {
      assert.equal(await codeOf(a.socket, event, payload), 'bad_request', `${event} ${JSON.stringify(payload)}`);
    }
    assert.equal(await codeOf(a.socket, 'message:send', { room: 'r', text: 'x'.repeat(11), clientId: randomUUID() }), 'too_large');
    assert.equal(await codeOf(a.socket, 'message:send', { room: 'other', text: 'hi', clientId: randomUUID() }), 'forbidden');
    assert.equal(await codeOf(a.socket, 'room:join', { room: 'private-staff' }), 'forbidden');
    assert.equal(await codeOf(a.socket, 'message:history', { room: 'private-staff' }), 'forbidden');

    await assertNothingBroadcast(a.socket, observer.socket, 'r', seen);
  });

  test('rate_limited comes with retryAfterMs and loses nothing else', async () => {
    const { url } = await startApp({ MESSAGE_RATE_PER_SEC: '1', MESSAGE_RATE_BURST: '3' });
    const a = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 'fast' });
    const acks = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        acked(a.socket).emitWithAck('message:send', { room: 'fast', text: `m${i}`, clientId: randomUUID() }),
      ),
    );
    assert.deepEqual(
      acks.map((ack) => ack.ok),
      [true, true, true, false, false],
    );
    const limited = acks[3];
    assert.ok(limited && !limited.ok);
    assert.equal(limited.error.code, 'rate_limited');
    // Counted per user in windows of burst/rate seconds: 3 s here.
    assert.ok(limited.error.retryAfterMs !== undefined && limited.error.retryAfterMs > 0 && limited.error.retryAfterMs <= 3000);
    const history = await acked(a.socket).emitWithAck('message:history', { room: 'fast' });
    assert.ok(history.ok);
    assert.deepEqual(
      history.messages.map((m) => m.text),
      ['m0', 'm1', 'm2'],
    );
  });

  test('unavailable when the store cannot answer, and /readyz says so', async () => {
    const app = await startApp();
    const a = await connectChat(app.url);
    await acked(a.socket).emitWithAck('room:join', { room: 'down' });
    await app.store.close();
    assert.equal(await codeOf(a.socket, 'message:send', { room: 'down', text: 'hi', clientId: randomUUID() }), 'unavailable');
    const ready = await fetch(`${app.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { error: { code: string } }).error.code, 'unavailable');
  });

  test('garbage frames on a raw WebSocket do not crash the server or disturb others', async () => {
    const { url } = await startApp();
    const a = await connectChat(url);
    const b = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 'calm' });
    await acked(b.socket).emitWithAck('room:join', { room: 'calm' });

    const { ws, frame } = rawSocket(url);
    await frame('0{'); // Engine.IO open
    ws.send('40/chat,{}');
    await frame('40/chat,');
    ws.send('42/chat,7["message:send",12345]');
    assert.match(await frame('43/chat,7['), /"bad_request"/);
    const closed = waitFor(ws, 'close');
    for (const junk of ['hello', '4{', '42/chat,["message:send"', '42/nope,["x"]', '\u0000\uffff', '49', '42/chat,1']) ws.send(junk);
    ws.send(Buffer.from([0xff, 0x00, 0x13, 0x37]));
    await closed;

    const tooBig = rawSocket(url).ws;
    await waitFor(tooBig, 'open');
    const tooBigClosed = waitFor(tooBig, 'close');
    tooBig.send(`42/chat,["message:send",{"text":"${'x'.repeat(200_000)}"}]`);
    await tooBigClosed;

    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const delivered = waitFor<Message>(b.socket, 'message:new');
    const ack = await acked(a.socket).emitWithAck('message:send', { room: 'calm', text: 'still here', clientId: randomUUID() });
    assert.ok(ack.ok);
    assert.equal((await delivered).text, 'still here');
    assert.ok(a.socket.connected && b.socket.connected);
  });
});
