import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Message } from '../src/protocol.js';
import {
  acked,
  collect,
  connectChat,
  connectPush,
  createTestDatabase,
  httpRequest,
  postPush,
  type RawResponse,
  startApp,
  waitFor,
} from './helpers.js';

const apiKey = 'api-key-0123456789abcdef';

/** A push body whose data nests `depth` arrays deep: 6.4 MB at the depth the attacker used. */
function nested(depth: number): string {
  return `{"topic":"t","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function errorCode(res: RawResponse): string | undefined {
  return (JSON.parse(res.body) as { error?: { code: string } }).error?.code;
}

describe('credentials before bodies', () => {
  test('without a key, a 6.4 MB deeply nested body is refused 401 at once; /healthz and chat stay fast and lose nothing', async () => {
    // The per-socket send limit is not what this test is about.
    const { url } = await startApp({ API_KEY: apiKey, MESSAGE_RATE_PER_SEC: '1000', MESSAGE_RATE_BURST: '1000' });
    const sender = await connectChat(url, { name: 'Ana' });
    const reader = await connectChat(url, { name: 'Bo' });
    for (const { socket } of [sender, reader]) await acked(socket).emitWithAck('room:join', { room: 'calm' });
    const received = collect<Message>(reader.socket, 'message:new');

    const attack = Buffer.from(nested(3_200_000));
    let flooding = true;
    const refusals: RawResponse[] = [];
    // Two attackers, each sending the next body as soon as the last one is answered (the test).
    const attackers = Promise.all(
      [1, 2].map(async () => {
        for (let i = 0; i < 4; i++) refusals.push(await post(`${url}/api/push`, attack));
      }),
    ).finally(() => (flooding = false));
    const health: number[] = [];
    const probe = (async () => {
      while (flooding) health.push((await httpRequest(`${url}/healthz`)).ms);
    })();
    // Meanwhile a guest chats, and another one reads.
    const sent: string[] = [];
    const acks: number[] = [];
    while (flooding) {
      const text = `m${sent.length}`;
      const started = performance.now();
      const ack = await acked(sender.socket).emitWithAck('message:send', { room: 'calm', text, clientId: randomUUID() });
      assert.ok(ack.ok);
      acks.push(performance.now() - started);
      sent.push(text);
    }
    await attackers;
    await probe;
    await acked(sender.socket).emitWithAck('message:send', { room: 'calm', text: 'end', clientId: randomUUID() });
    while (received.at(-1)?.text !== 'end') await waitFor(reader.socket, 'message:new');

    assert.equal(refusals.length, 8);
    for (const res of refusals) {
      assert.equal(res.status, 401);
      assert.equal(errorCode(res), 'unauthorized');
      // Unread, the rest of the body is not worth keeping the connection for.
      assert.equal(res.headers.connection, 'close');
      // Before: 4.9 s for the 401, the body read, parsed and validated first.
      assert.ok(res.ms < 1000, `401 took ${res.ms.toFixed(0)} ms`);
    }
    assert.ok(health.length > 0);
    assert.ok(Math.max(...health) < 1000, `/healthz took up to ${Math.max(...health).toFixed(0)} ms`);
    assert.ok(Math.max(...acks) < 1000, `a chat ack took up to ${Math.max(...acks).toFixed(0)} ms`);
    assert.ok(acks.length > 0);
    assert.deepEqual(
      received.map((m) => m.text),
      [...sent, 'end'],
    );
  });

  test('a bad body without a key is 401, not 400, on every keyed route; the scheme is case-insensitive', async () => {
    const { url } = await startApp({ API_KEY: apiKey });
    const keyed = [`${url}/api/push`, `${url}/api/rooms/news/messages`];
    for (const target of keyed) {
      for (const body of ['{"topic": ', nested(100_000), '{"text": {"html": 1}}', '[]']) {
        for (const authorization of [undefined, `Bearer ${apiKey.slice(0, -1)}x`, `Basic ${apiKey}`, apiKey]) {
          const res = await post(target, body, authorization ? { authorization } : {});
          assert.equal(res.status, 401, `${target} ${authorization}`);
          assert.equal(errorCode(res), 'unauthorized');
        }
      }
    }
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await post(`${url}/api/push`, '{"topic":"t","data":1}', { authorization: `${scheme} ${apiKey}` });
      assert.equal(res.status, 202, scheme);
    }
    const off = await startApp();
    const res = await post(`${off.url}/api/push`, nested(100_000), { authorization: `Bearer ${apiKey}` });
    assert.equal(res.status, 401);
  });

  test('with the key, JSON nested deeper than 32 levels is 400 and an oversized body 413, per route', async () => {
    const { url } = await startApp({ API_KEY: apiKey });
    const listener = await connectPush(url);
    await acked(listener.socket).emitWithAck('push:subscribe', { topic: 't' });
    const delivered = new Promise<void>((resolve) => listener.socket.on('push:new', () => listener.pushes.length === 3 && resolve()));
    const auth = { authorization: `Bearer ${apiKey}` };

    // The body object is level 1, so data may nest 31 deep.
    const deepest = await post(`${url}/api/push`, nested(31), auth);
    assert.equal(deepest.status, 202);
    const cases: [string, string | Buffer, number, string][] = [
      [`${url}/api/push`, nested(32), 400, 'bad_request'],
      [`${url}/api/push`, nested(3_200_000), 400, 'bad_request'],
      [`${url}/api/push`, JSON.stringify({ topic: 't', data: '['.repeat(100) }), 202, ''],
      [`${url}/api/push`, JSON.stringify({ topic: 't', data: `\\"${'{'.repeat(100)}` }), 202, ''],
      [`${url}/api/push`, Buffer.alloc(7 * 1024 * 1024, ' '), 413, 'too_large'],
      [`${url}/api/rooms/news/messages`, JSON.stringify({ text: 'x'.repeat(40_000) }), 413, 'too_large'],
      [`${url}/api/rooms/news/messages`, `{"text":"hi","author":${nested(40).slice(20, -1)}}`, 400, 'bad_request'],
      [`${url}/api/rooms/news/live`, JSON.stringify({ pad: 'x'.repeat(2000) }), 413, 'too_large'],
      [`${url}/no/such/route`, JSON.stringify({ pad: 'x'.repeat(100_000) }), 413, 'too_large'],
    ];
    for (const [target, body, status, code] of cases) {
      const res = await post(target, body, auth);
      assert.equal(res.status, status, `${target} ${body.slice(0, 40)}`);
      if (code) assert.equal(errorCode(res), code);
    }
    // Brackets inside strings are text, not nesting: those two pushes went out too.
    await delivered;
    assert.deepEqual(
      listener.pushes.map((p) => p.seq),
      [1, 2, 3],
    );
    const live = await httpRequest(`${url}/api/rooms/news/live`, { method: 'POST' });
    assert.equal(live.status, 202);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});

describe('seq bounds and NUL characters at the HTTP edge', () => {
  async function checkBounds(url: string) {
    const auth = { authorization: `Bearer ${apiKey}` };
    assert.equal((await post(`${url}/api/rooms/log/messages`, JSON.stringify({ text: 'one' }), auth)).status, 201);
    for (const query of ['after=9007199254740992', 'before=1e20', 'after=18446744073709551616', 'before=9223372036854775808']) {
      const res = await httpRequest(`${url}/api/rooms/log/messages?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(errorCode(res), 'bad_request');
    }
    const edge = await httpRequest(`${url}/api/rooms/log/messages?after=0&before=9007199254740991`);
    assert.equal(edge.status, 200);
    assert.deepEqual(
      (JSON.parse(edge.body) as { messages: Message[] }).messages.map((m) => m.text),
      ['one'],
    );
    // Ids are refused as on the socket: NUL, other control characters and lone surrogates.
    const oddIds = ['a\u0000b', 'a\u0001b', 'a\u009Fb', 'a\uD800b'];
    for (const body of oddIds.flatMap((id) => [
      { text: 'hi', clientId: id },
      { text: 'hi', author: { id, name: 'Bot' } },
    ])) {
      const res = await post(`${url}/api/rooms/log/messages`, JSON.stringify(body), auth);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(errorCode(res), 'bad_request');
    }
    // Text is cleaned of control characters where messages are made; either way it is no 500.
    const text = await post(`${url}/api/rooms/log/messages`, JSON.stringify({ text: 'nul\u0000here' }), auth);
    assert.ok(text.status === 201 || errorCode(text) === 'bad_request', text.body);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  }

  test('on SQLite', async () => {
    const { url } = await startApp({ API_KEY: apiKey });
    await checkBounds(url);
  });

  test('on PostgreSQL, where a NUL or a seq past 2^63 reaching the database is bad_request, never a 500', async (t) => {
    const databaseUrl = await createTestDatabase();
    if (!databaseUrl) return t.skip('no PostgreSQL');
    const { url } = await startApp({ API_KEY: apiKey, DATABASE_URL: databaseUrl });
    await checkBounds(url);
    // The socket's own checks are another layer's; whatever passes them, the store refuses cleanly.
    const chat = await connectChat(url);
    await acked(chat.socket).emitWithAck('room:join', { room: 'log' });
    const send = await acked(chat.socket).emitWithAck('message:send', { room: 'log', text: 'hi', clientId: 'c\u0000' });
    assert.equal(send.ok ? 'ok' : send.error.code, 'bad_request');
    const history = await acked(chat.socket).emitWithAck('message:history', { room: 'log', after: 2 ** 64 });
    assert.equal(history.ok ? 'ok' : history.error.code, 'bad_request');
    const ok = await postPush(url, apiKey, { topic: 't', data: 1 });
    assert.equal(ok.status, 202);
  });
});
