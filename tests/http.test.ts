import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { Message } from '../src/protocol.js';
import { acked, connectChat, presenceLog, startApp, waitFor } from './helpers.js';

const apiKey = 'api-key-0123456789abcdef';
const jwtSecret = 'jwt-secret-0123456789abcdef';

async function json(res: Response) {
  return (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } };
}

function post(url: string, body: unknown, key = apiKey) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('HTTP API', () => {
  test('healthz and readyz', async () => {
    const { url } = await startApp();
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { ok: true });
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
  });

  test('GET /api/rooms lists public rooms with people in them, busiest first', async () => {
    const { url } = await startApp({ JWT_SECRET: jwtSecret });
    const users = await Promise.all([connectChat(url), connectChat(url), connectChat(url)]);
    await acked(users[0].socket).emitWithAck('room:join', { room: 'quiet' });
    for (const u of users) await acked(u.socket).emitWithAck('room:join', { room: 'busy' });
    await acked(users[0].socket).emitWithAck('message:send', { room: 'busy', text: 'hi', clientId: randomUUID() });
    const admin = await connectChat(url, {
      token: await new SignJWT({ sub: 'root', admin: true })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(jwtSecret)),
    });
    await acked(admin.socket).emitWithAck('room:join', { room: 'private-ops' });
    // A private room's history is not listed either.
    await acked(admin.socket).emitWithAck('message:send', { room: 'private-ops', text: 'secret', clientId: randomUUID() });
    const res = await fetch(`${url}/api/rooms`);
    const body = (await res.json()) as { recent: { lastActivity: number }[] };
    const lastActivity = body.recent[0]?.lastActivity;
    assert.equal(typeof lastActivity, 'number');
    assert.deepEqual(body, {
      rooms: [
        { room: 'busy', members: 3, count: 3, lastSeq: 1 },
        { room: 'quiet', members: 1, count: 1, lastSeq: 0 },
      ],
      recent: [{ room: 'busy', lastSeq: 1, lastActivity }],
    });
    const seen = presenceLog(users[1].socket);
    users[0].socket.disconnect();
    await seen.until((log) => log.leaves.some((m) => m.id === users[0].user.id));
    const after = (await (await fetch(`${url}/api/rooms`)).json()) as { rooms: { room: string }[] };
    assert.deepEqual(
      after.rooms.map((r) => r.room),
      ['busy'],
    );
  });

  test('POST /api/rooms/:room/messages stores, broadcasts and dedupes a backend message', async () => {
    const { url } = await startApp({ API_KEY: apiKey });
    const reader = await connectChat(url);
    await acked(reader.socket).emitWithAck('room:join', { room: 'news' });
    const live = waitFor<Message>(reader.socket, 'message:new');
    const created = await post(`${url}/api/rooms/news/messages`, { text: ' deploy done ', clientId: 'dep-1' });
    assert.equal(created.status, 201);
    const { message } = (await created.json()) as { message: Message };
    assert.deepEqual(message.author, { id: 'system', name: 'System', kind: 'system' });
    assert.equal(message.text, 'deploy done');
    assert.deepEqual(await live, message);

    const again = await post(`${url}/api/rooms/news/messages`, { text: 'deploy done', clientId: 'dep-1' });
    assert.equal(again.status, 201);
    assert.deepEqual(((await again.json()) as { message: Message }).message, message);

    const named = await post(`${url}/api/rooms/news/messages`, { text: 'hi', author: { id: 'bot', name: 'Bot' } });
    const byBot = ((await named.json()) as { message: Message }).message;
    assert.deepEqual(byBot.author, { id: 'bot', name: 'Bot', kind: 'user' });
    assert.equal(byBot.seq, 2, 'the duplicate was stored or broadcast');
  });

  test('POST refuses a missing or wrong key, malformed bodies and oversized ones', async () => {
    const { url } = await startApp({ API_KEY: apiKey, MAX_MESSAGE_LENGTH: '5' });
    const target = `${url}/api/rooms/news/messages`;
    const cases: [Response, number, string][] = [
      [await post(target, { text: 'hi' }, ''), 401, 'unauthorized'],
      [await post(target, { text: 'hi' }, 'wrong-key-0123456789abcdef'), 401, 'unauthorized'],
      [await post(target, { text: 'hi' }, apiKey.slice(0, -1)), 401, 'unauthorized'],
      [await post(target, {}), 400, 'bad_request'],
      [await post(target, '{"text": '), 400, 'bad_request'],
      [await post(target, { text: { html: 1 } }), 400, 'bad_request'],
      [await post(target, { text: 'hi', author: { id: 'x' } }), 400, 'bad_request'],
      [await post(target, { text: '   ' }), 400, 'bad_request'],
      [await post(target, { text: 'too long' }), 413, 'too_large'],
      [await post(target, { text: 'x'.repeat(2 * 1024 * 1024) }), 413, 'too_large'],
      [await post(`${url}/api/rooms/bad%20room/messages`, { text: 'hi' }), 400, 'bad_request'],
    ];
    for (const [res, status, code] of cases) {
      assert.equal(res.status, status);
      assert.equal((await json(res)).error?.code, code);
    }
    const history = await json(await fetch(target));
    assert.deepEqual(history, { messages: [], hasMore: false, epoch: history.epoch });

    const off = await startApp();
    const noKey = await post(`${off.url}/api/rooms/news/messages`, { text: 'hi' });
    assert.equal(noKey.status, 401);
  });

  test('GET messages pages by seq; private rooms need a token that lists them', async () => {
    const { url } = await startApp({ API_KEY: apiKey, JWT_SECRET: jwtSecret });
    for (let i = 1; i <= 5; i++) await post(`${url}/api/rooms/log/messages`, { text: `m${i}` });
    const page = (await json(await fetch(`${url}/api/rooms/log/messages?before=5&limit=2`))) as unknown as {
      messages: Message[];
      hasMore: boolean;
    };
    assert.deepEqual(
      page.messages.map((m) => m.seq),
      [3, 4],
    );
    assert.equal(page.hasMore, true);
    const newer = (await json(await fetch(`${url}/api/rooms/log/messages?after=3`))) as unknown as { messages: Message[] };
    assert.deepEqual(
      newer.messages.map((m) => m.seq),
      [4, 5],
    );
    for (const bad of ['limit=0', 'after=-1', 'before=x', 'limit=2.5']) {
      const res = await fetch(`${url}/api/rooms/log/messages?${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal((await json(res)).error?.code, 'bad_request');
    }

    await post(`${url}/api/rooms/private-hr/messages`, { text: 'secret' });
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));
    const anonymous = await fetch(`${url}/api/rooms/private-hr/messages`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${url}/api/rooms/private-hr/messages`, {
      headers: { authorization: `Bearer ${await sign({ sub: 'x', rooms: ['private-it'] })}` },
    });
    assert.equal(wrong.status, 403);
    assert.equal((await json(wrong)).error?.code, 'forbidden');
    const invalid = await fetch(`${url}/api/rooms/private-hr/messages`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(invalid.status, 401);
    assert.equal((await json(invalid)).error?.code, 'invalid_token');
    const allowed = await fetch(`${url}/api/rooms/private-hr/messages`, {
      headers: { authorization: `Bearer ${await sign({ sub: 'x', rooms: ['private-hr'] })}` },
    });
    assert.equal(allowed.status, 200);
    assert.equal(((await allowed.json()) as { messages: Message[] }).messages[0]?.text, 'secret');
  });

  test('pages are served with a strict CSP; unknown paths are JSON 404s', async () => {
    const { url } = await startApp();
    for (const path of ['/', '/rooms/lobby']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /object-src 'none'/);
      assert.match(csp, new RegExp(`connect-src 'self' ws://${new URL(url).host}`));
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
    const asset = await fetch(`${url}/assets/room-page.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    for (const path of ['/rooms/bad%20name', '/nope', '/api/nope']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal((await json(res)).error?.code, 'not_found');
    }
    // A browser following a bad link gets a page saying so, under the same CSP; the API stays JSON.
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    // One template for both; its script puts in the words (tests/browser-languages.test.ts reads them).
    for (const [path, problem] of [
      ['/rooms/bad%20name', 'bad-room'],
      ['/nope/deeper', 'not-found'],
    ] as const) {
      const res = await fetch(`${url}${path}`, { headers: html });
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const page = await res.text();
      assert.match(page, new RegExp(`<html lang="en" data-problem="${problem}">`));
      assert.match(page, /<script type="module" src="\/assets\/problem-page.js"><\/script>/);
    }
    const api = await fetch(`${url}/api/nope`, { headers: html });
    assert.deepEqual([api.status, (await json(api)).error?.code], [404, 'not_found']);
  });
});
