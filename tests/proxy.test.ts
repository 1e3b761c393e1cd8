import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { httpRequest, type RawResponse, startApp } from './helpers.js';

/** `POST /api/rooms/:room/live` (10 a minute per address) as if from behind `forwardedFor`. */
function live(url: string, forwardedFor: string): Promise<RawResponse> {
  return httpRequest(`${url}/api/rooms/lobby/live`, { method: 'POST', headers: { 'x-forwarded-for': forwardedFor } });
}

function body(res: RawResponse): { ok: boolean; error?: { code: string; message: string; retryAfterMs?: number } } {
  return JSON.parse(res.body);
}

/** Engine.IO's first handshake request: 200 when `allowRequest` lets it through, else 403. */
function handshake(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return httpRequest(`${url}/socket.io/?EIO=4&transport=polling`, { headers });
}

describe('TRUST_PROXY', () => {
  test('off (the default): a client rotating X-Forwarded-For is still one address, limited after 10', async () => {
    const { url } = await startApp();
    const answers: number[] = [];
    for (let i = 0; i < 12; i++) answers.push((await live(url, `203.0.113.${i}`)).status);
    assert.deepEqual(answers, [...Array(10).fill(202), 429, 429]);
    const refused = body(await live(url, '198.51.100.1'));
    assert.equal(refused.error?.code, 'rate_limited');
    assert.ok((refused.error?.retryAfterMs ?? 0) > 0);
  });

  test('a hop count takes the address the proxy appended, not what the client wrote before it', async () => {
    const { url } = await startApp({ TRUST_PROXY: '1' });
    const answers: number[] = [];
    for (let i = 0; i < 11; i++) answers.push((await live(url, `198.51.100.${i}, 203.0.113.7`)).status);
    assert.deepEqual(answers, [...Array(10).fill(202), 429]);
    // Another visitor behind the same proxy has a limit of their own.
    assert.equal((await live(url, '203.0.113.8')).status, 202);
  });

  test('proxy addresses and ranges: the first address from the right that is not a proxy is the client', async () => {
    const { url } = await startApp({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' });
    const answers: number[] = [];
    for (let i = 0; i < 11; i++) answers.push((await live(url, `198.51.100.${i}, 203.0.113.9, 10.1.2.3`)).status);
    assert.deepEqual(answers, [...Array(10).fill(202), 429]);
    assert.equal((await live(url, '203.0.113.10, 10.1.2.3')).status, 202);
  });
});

describe('Host and PUBLIC_URL', () => {
  test('without PUBLIC_URL a malformed Host is a 400, never a 500 nor part of the CSP', async () => {
    const { url } = await startApp();
    for (const host of ['evil;x', "evil.example;script-src 'unsafe-inline'", 'a b', 'evil.example/x', 'evil.example:99999999']) {
      for (const path of ['/', '/rooms/lobby', '/healthz', '/api/rooms']) {
        const res = await httpRequest(`${url}${path}`, { headers: { host } });
        assert.equal(res.status, 400, `${path} Host: ${host}`);
        assert.equal(body(res).error?.code, 'bad_request');
        assert.equal(res.headers['content-security-policy'], undefined);
      }
      const socket = await handshake(url, { host, origin: `http://${host}` });
      assert.equal(socket.status, 403, `handshake Host: ${host}`);
    }
    for (const host of ['chat.example.com', 'localhost:3000', '[::1]:8080', '192.0.2.1', 'my_app:3000']) {
      const res = await httpRequest(`${url}/rooms/lobby`, { headers: { host } });
      assert.equal(res.status, 200, host);
      assert.match(
        String(res.headers['content-security-policy']),
        new RegExp(`connect-src 'self' ws://${host.replace(/[[\]]/g, '\\$&')} wss://`),
      );
    }
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });

  test('with PUBLIC_URL, same origin and the CSP follow it, whatever the Host says', async () => {
    const publicUrl = 'https://chat.example.com';
    const { url } = await startApp({ PUBLIC_URL: `${publicUrl}/` });
    const own = new URL(url).host;
    const page = await httpRequest(`${url}/rooms/lobby`, { headers: { host: 'evil.example' } });
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /connect-src 'self' wss:\/\/chat\.example\.com;/);
    assert.doesNotMatch(csp, /evil|127\.0\.0\.1/);

    // The attack of the issue: Host and Origin both the attacker's, so "same origin" by Host.
    assert.equal((await handshake(url, { host: 'evil.example', origin: 'https://evil.example' })).status, 403);
    assert.equal((await handshake(url, { origin: `http://${own}` })).status, 403);
    assert.equal((await handshake(url, { origin: publicUrl })).status, 200);
    const refused = await httpRequest(`${url}/api/origin`, { headers: { host: 'evil.example', origin: 'https://evil.example' } });
    assert.equal(refused.status, 403);
    assert.equal(body(refused).error?.code, 'forbidden');
    assert.equal((await httpRequest(`${url}/api/origin`, { headers: { origin: publicUrl } })).status, 200);
  });
});
