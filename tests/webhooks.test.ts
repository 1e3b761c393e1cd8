import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { createBus } from '../src/bus.js';
import type { Message } from '../src/protocol.js';
import { startWebhooks } from '../src/webhooks.js';
import { acked, connectChat, type Received, receiver, startApp, waitFor } from './helpers.js';

const secret = 'webhook-secret-0123456789';

/** What docs/webhooks.md tells receivers to do. */
function verify(secretKey: string, req: Received): boolean {
  const timestamp = String(req.headers['x-roomcast-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secretKey).update(`${timestamp}.${req.body}`).digest('hex')}`);
  const given = Buffer.from(String(req.headers['x-roomcast-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks', () => {
  test('chosen events are POSTed signed; a 500 is retried', async () => {
    const hook = await receiver((_req, n, res) => res.writeHead(n === 1 ? 500 : 204).end());
    const { url } = await startApp({
      WEBHOOK_URL: hook.url,
      WEBHOOK_SECRET: secret,
      WEBHOOK_EVENTS: 'message.created',
    });
    const chat = await connectChat(url, { name: 'Ana' });
    await acked(chat.socket).emitWithAck('room:join', { room: 'hooks' });
    const ack = await acked(chat.socket).emitWithAck('message:send', { room: 'hooks', text: 'hello hooks', clientId: 'h1' });
    assert.ok(ack.ok);
    await waitFor(hook.events, 'request');
    await waitFor(hook.events, 'request', 5000);
    const [first, retried] = hook.received;
    assert.ok(first && retried);
    assert.equal(first.body, retried.body, 'the retry is the same event');
    assert.equal(first.headers['x-roomcast-delivery'], retried.headers['x-roomcast-delivery']);
    assert.ok(verify(secret, retried));
    assert.ok(!verify('another-secret-0123456789', retried));
    assert.equal(retried.headers['x-roomcast-event'], 'message.created');
    const body = JSON.parse(retried.body) as { event: string; ts: number; data: { message: Message } };
    assert.equal(body.event, 'message.created');
    assert.ok(Math.abs(body.ts - Date.now()) < 10_000);
    assert.deepEqual(body.data.message, ack.message);
    // Only the chosen events: the join above sent no member.joined.
    assert.equal(hook.received.length, 2);
  });

  test('a receiver that hangs never delays chat', async () => {
    const hook = await receiver(() => {
      // Never answers.
    });
    const { url } = await startApp({
      WEBHOOK_URL: hook.url,
      WEBHOOK_SECRET: secret,
      WEBHOOK_TIMEOUT_MS: '60000',
    });
    const a = await connectChat(url);
    const b = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 'busy' });
    await acked(b.socket).emitWithAck('room:join', { room: 'busy' });
    const seen: Message[] = [];
    const all = new Promise<void>((resolve) =>
      b.socket.on('message:new', (m) => {
        seen.push(m);
        if (seen.length === 10) resolve();
      }),
    );
    const hanging = waitFor(hook.events, 'request');
    for (let i = 0; i < 10; i++) {
      const ack = await acked(a.socket).emitWithAck('message:send', { room: 'busy', text: `m${i}`, clientId: `c${i}` });
      assert.ok(ack.ok);
    }
    // Every send was answered and broadcast while the receiver holds its requests open.
    await all;
    await hanging;
    assert.deepEqual(
      seen.map((m) => m.text),
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
  });

  test('WEBHOOK_URL without WEBHOOK_SECRET stops the start', async () => {
    await assert.rejects(startApp({ WEBHOOK_URL: 'http://127.0.0.1:9/hooks' }), /WEBHOOK_SECRET/);
  });
});

describe('the webhook queue', () => {
  test('is bounded: past it, events are dropped and the log says which', async () => {
    const hook = await receiver(() => {
      // Never answers, so every request stays in flight.
    });
    const lines: { msg: string; event?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const bus = createBus(log);
    const webhooks = startWebhooks({
      url: hook.url,
      secret,
      events: ['member.joined'],
      maxAttempts: 1,
      queueSize: 2,
      timeoutMs: 60_000,
      bus,
      log,
    });
    after(() => webhooks.close());
    const member = { id: 'u', name: 'U', kind: 'user' as const };
    // Four requests in flight, two waiting, then the queue is full.
    for (let i = 0; i < 8; i++) bus.emit('member.joined', { room: `r${i}`, member, count: 1 });
    const dropped = lines.filter((l) => l.msg === 'webhook queue full: event dropped');
    assert.equal(dropped.length, 2);
    assert.ok(dropped.every((l) => l.event === 'member.joined'));
    webhooks.close();
    assert.ok(lines.some((l) => l.msg === 'webhooks not delivered at shutdown'));
  });
});

describe('webhook redirects and URLs', () => {
  test('a redirect is a failed attempt, retried as such; the place it points to receives nothing', async () => {
    const elsewhere = await receiver((_req, _n, res) => res.writeHead(204).end());
    const hook = await receiver((_req, _n, res) => res.writeHead(307, { location: elsewhere.url }).end());
    const { url } = await startApp({
      WEBHOOK_URL: hook.url,
      WEBHOOK_SECRET: secret,
      WEBHOOK_EVENTS: 'message.created',
      WEBHOOK_MAX_ATTEMPTS: '2',
    });
    const chat = await connectChat(url);
    await acked(chat.socket).emitWithAck('room:join', { room: 'hooks' });
    await acked(chat.socket).emitWithAck('message:send', { room: 'hooks', text: 'hi', clientId: 'r1' });
    await waitFor(hook.events, 'request');
    // The retry comes after the first attempt ended, so a followed redirect would have landed by now.
    await waitFor(hook.events, 'request', 5000);
    assert.equal(hook.received.length, 2);
    assert.equal(hook.received[0]?.body, hook.received[1]?.body);
    assert.equal(elsewhere.received.length, 0);
  });

  test('logs show the URL without its query string, and a 3xx as the failure it is', async () => {
    const hook = await receiver((_req, _n, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/' }).end());
    const lines: { msg: string; url?: string; failure?: string }[] = [];
    const logged = new EventEmitter();
    const log = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg: string };
          lines.push(entry);
          logged.emit(entry.msg, entry);
        },
      },
    );
    const bus = createBus(log);
    const webhooks = startWebhooks({
      url: `${hook.url}?token=s3cret-token`,
      secret,
      events: ['member.joined'],
      maxAttempts: 1,
      queueSize: 10,
      timeoutMs: 5000,
      bus,
      log,
    });
    after(() => webhooks.close());
    const dropped = waitFor<{ failure: string }>(logged, 'webhook failed for good: event dropped');
    bus.emit('member.joined', { room: 'r', member: { id: 'u', name: 'U', kind: 'user' }, count: 1 });
    assert.equal((await dropped).failure, 'HTTP 302');
    assert.equal(lines.find((l) => l.msg === 'webhooks on')?.url, `${hook.url}?***`);
    assert.ok(lines.every((l) => !JSON.stringify(l).includes('s3cret-token')));
  });
});
