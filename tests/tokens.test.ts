import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type JWTPayload, SignJWT } from 'jose';
import { chatClient, startApp, waitFor } from './helpers.js';

const secret = 'test-secret-0123456789abcdef';
const hour = 3600;

function sign(claims: JWTPayload): Promise<string> {
  return new SignJWT({ sub: 'u1', rooms: ['private-x'], ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

/** What a token gets from `GET /api/rooms/private-x/messages`: 200 or its error code. */
async function answer(url: string, claims: JWTPayload): Promise<string> {
  const res = await fetch(`${url}/api/rooms/private-x/messages`, { headers: { authorization: `Bearer ${await sign(claims)}` } });
  if (res.status === 200) return 'ok';
  assert.equal(res.status, 401);
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('token lifetime (JWT_MAX_AGE, default 24 h, clocks may differ by 30 s)', () => {
  test('tokens issued in the future or living past the limit are refused; the rest pass', async () => {
    const { url } = await startApp({ JWT_SECRET: secret });
    const now = Math.floor(Date.now() / 1000);
    const year9999 = Math.floor(Date.UTC(9999, 0, 1) / 1000);
    const cases: [string, JWTPayload, string][] = [
      ['an hour, issued now', { iat: now, exp: now + hour }, 'ok'],
      ['issued a day ahead', { iat: now + 24 * hour, exp: now + 25 * hour }, 'invalid_token'],
      ['issued 20 s ahead (clock skew)', { iat: now + 20, exp: now + hour }, 'ok'],
      ['exp in 9999, no iat', { exp: year9999 }, 'invalid_token'],
      ['exp in 9999, issued now', { iat: now, exp: year9999 }, 'invalid_token'],
      ['25 h as issued, 2 h left', { iat: now - 23 * hour, exp: now + 2 * hour }, 'invalid_token'],
      ['exactly 24 h as issued', { iat: now - hour, exp: now + 23 * hour }, 'ok'],
      ['no iat, 23 h left', { exp: now + 23 * hour }, 'ok'],
      ['no iat, 25 h left', { exp: now + 25 * hour }, 'invalid_token'],
      ['not before an hour from now', { nbf: now + hour, exp: now + 2 * hour }, 'invalid_token'],
      ['not before 20 s from now (clock skew)', { nbf: now + 20, exp: now + hour }, 'ok'],
      ['expired 10 s ago (clock skew)', { exp: now - 10 }, 'ok'],
      ['expired a minute ago', { exp: now - 60 }, 'token_expired'],
      ['a NUL in sub', { sub: 'u\u00001', exp: now + hour }, 'invalid_token'],
    ];
    for (const [name, claims, expected] of cases) assert.equal(await answer(url, claims), expected, name);

    // The handshake uses the same check.
    const socket = chatClient(url, { token: await sign({ exp: year9999 }) });
    const refused = waitFor<Error & { data?: { code: string } }>(socket, 'connect_error');
    socket.connect();
    assert.equal((await refused).data?.code, 'invalid_token');
  });

  test('JWT_MAX_AGE sets the limit', async () => {
    const { url } = await startApp({ JWT_SECRET: secret, JWT_MAX_AGE: String(hour) });
    const now = Math.floor(Date.now() / 1000);
    assert.equal(await answer(url, { iat: now, exp: now + hour }), 'ok');
    assert.equal(await answer(url, { iat: now, exp: now + 2 * hour }), 'invalid_token');
    assert.equal(await answer(url, { exp: now + 2 * hour }), 'invalid_token');
  });
});
