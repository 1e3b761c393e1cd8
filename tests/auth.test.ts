import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { acked, chatClient, connectChat, startApp, waitFor } from './helpers.js';

const secret = 'test-secret-0123456789abcdef';

function token(claims: Record<string, unknown>, expiresIn: string | number = '1h', key = secret) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(expiresIn).sign(new TextEncoder().encode(key));
}

/** Connects and returns the `connect_error` the handshake ends in. */
async function refusal(url: string, auth: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const socket = chatClient(url, auth, extra);
  const error = waitFor<Error & { data?: { code: string; message: string } }>(socket, 'connect_error');
  socket.connect();
  return error;
}

describe('identity at the handshake', () => {
  test('a valid JWT makes a user with its name and claims', async () => {
    const { url } = await startApp({ JWT_SECRET: secret });
    const { user, session } = await connectChat(url, { token: await token({ sub: 'u42', name: 'Ada' }) });
    assert.deepEqual(user, { id: 'u42', name: 'Ada', kind: 'user' });
    assert.equal(typeof session, 'string');
  });

  test('a numeric sub is its decimal string; token null is no token', async () => {
    const { url } = await startApp({ JWT_SECRET: secret });
    const numeric = await connectChat(url, { token: await token({ sub: 42, name: 'Ada' }) });
    assert.deepEqual(numeric.user, { id: '42', name: 'Ada', kind: 'user' });
    const same = await connectChat(url, { token: await token({ sub: '42' }) });
    assert.equal(same.user.id, '42');
    for (const sub of [2 ** 53, 1.5, -0.5, true, { id: 1 }]) {
      const err = await refusal(url, { token: await token({ sub }) });
      assert.equal(err.data?.code, 'invalid_token', JSON.stringify(sub));
    }
    const guest = await connectChat(url, { token: null, name: 'Bo', session: null });
    assert.equal(guest.user.kind, 'guest');
    assert.equal(guest.user.name, 'Bo');
    const closed = await startApp({ ALLOW_GUESTS: 'false', JWT_SECRET: secret });
    assert.equal((await refusal(closed.url, { token: null })).data?.code, 'guests_disabled');
  });

  test('bad, expired, unsigned and unaccepted tokens are refused with their codes', async () => {
    const { url } = await startApp({ JWT_SECRET: secret });
    const cases: [unknown, string][] = [
      ['not-a-jwt', 'invalid_token'],
      [await token({ sub: 'u1' }, '1h', 'another-secret-0123456789'), 'invalid_token'],
      [await token({ name: 'no sub' }), 'invalid_token'],
      [await token({ sub: 'u1' }, Math.floor(Date.now() / 1000) - 60), 'token_expired'],
      [await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret)), 'invalid_token'],
      [42, 'invalid_token'],
    ];
    for (const [tok, code] of cases) {
      const err = await refusal(url, { token: tok });
      assert.equal(err.message, code, String(tok));
      assert.equal(err.data?.code, code);
      assert.equal(typeof err.data?.message, 'string');
    }
    const off = await startApp();
    const err = await refusal(off.url, { token: await token({ sub: 'u1' }) });
    assert.equal(err.message, 'unauthorized');
  });

  test('guests: refused when disabled, names cleaned, session keeps the id, forged sessions do not', async () => {
    const closed = await startApp({ ALLOW_GUESTS: 'false', JWT_SECRET: secret });
    assert.equal((await refusal(closed.url, { name: 'x' })).message, 'guests_disabled');

    const { url } = await startApp();
    const first = await connectChat(url, { name: '  Zoë\u0000\u0007 the\u200b Great  ' });
    assert.equal(first.user.kind, 'guest');
    assert.match(first.user.id, /^guest_/);
    assert.equal(first.user.name, 'Zoë the Great');
    const again = await connectChat(url, { name: 'Zoë', session: first.session });
    assert.equal(again.user.id, first.user.id);
    const forged = await connectChat(url, { session: `guest_abcdefghijkl.${first.session.split('.')[1]}` });
    assert.notEqual(forged.user.id, 'guest_abcdefghijkl');
    assert.match(forged.user.name, /^Guest \d{4}$/);
    const long = await connectChat(url, { name: 'n'.repeat(100) });
    assert.equal(long.user.name.length, 40);
  });

  test('private rooms: by the rooms claim, "*" or admin, never for guests', async () => {
    const { url } = await startApp({ JWT_SECRET: secret });
    const guest = await connectChat(url);
    const member = await connectChat(url, { token: await token({ sub: 'm', rooms: ['private-team'] }) });
    const all = await connectChat(url, { token: await token({ sub: 'a', rooms: ['*'] }) });
    const admin = await connectChat(url, { token: await token({ sub: 'root', admin: true }) });
    const other = await connectChat(url, { token: await token({ sub: 'o', rooms: ['private-else'] }) });
    for (const [client, ok] of [
      [guest, false],
      [member, true],
      [all, true],
      [admin, true],
      [other, false],
    ] as const) {
      const ack = await acked(client.socket).emitWithAck('room:join', { room: 'private-team' });
      assert.equal(ack.ok, ok, client.user.id);
      if (!ack.ok) assert.equal(ack.error.code, 'forbidden');
    }
  });

  test('browser origins: same origin and ALLOWED_ORIGINS pass, others are refused', async () => {
    const { url } = await startApp({ ALLOWED_ORIGINS: 'https://shop.example' });
    for (const origin of [url, 'https://shop.example']) {
      const ok = chatClient(url, {}, { extraHeaders: { origin } });
      const session = waitFor(ok, 'session');
      ok.connect();
      await session;
    }
    const err = await refusal(url, {}, { extraHeaders: { origin: 'https://evil.example' } });
    assert.ok(err instanceof Error);
    const polling = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    assert.equal(polling.status, 403);
  });
});
