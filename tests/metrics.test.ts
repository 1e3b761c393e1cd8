import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { AckResult, RequestFailedEvent, SubscribeRequest } from '../src/protocol.js';
import { eventually } from './chaos-helpers.js';
import { ownRedis, redisAvailable, testPrefix } from './cluster-helpers.js';
import { acked, chatClient, connectChat, connectPush, postPush, receiver, startApp, waitFor } from './helpers.js';

// Debian's python3-prometheus-client; `python3` on PATH may be another build without it.
const python = '/usr/bin/python3';
const jwtSecret = 'metrics-jwt-secret-0123456789';
const apiKey = 'metrics-api-key-0123456789';
const metricsToken = 'metrics-token-0123456789';

/** Prometheus's own Python client parses the text: what a real scraper would understand. */
const parser = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
families = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    samples = [[s.name, s.labels, s.value if math.isfinite(s.value) else str(s.value)] for s in f.samples]
    families[f.name] = {'type': f.type, 'help': f.documentation, 'samples': samples}
print(json.dumps(families))
`;

interface Family {
  type: string;
  help: string;
  samples: [name: string, labels: Record<string, string>, value: number][];
}
type Families = Record<string, Family>;

/** True when the parser imports; says so loudly when not (and fails in CI). */
function parserAvailable(): boolean {
  const probe = spawnSync(python, ['-c', 'import prometheus_client.parser'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const why = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1);
  if (process.env.CI) throw new Error(`prometheus_client is missing (${why}); .ci/run installs python3-prometheus-client`);
  console.warn(`SKIPPING the metrics suite: ${why} (apt-get install python3-prometheus-client)`);
  return false;
}

function getMetrics(url: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/metrics`, { headers });
}

/** Scrapes `/metrics` and parses it with the real parser. */
async function scrape(url: string, headers: Record<string, string> = {}): Promise<Families> {
  const res = await getMetrics(url, headers);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const parsed = spawnSync(python, ['-c', parser], { input: await res.text(), encoding: 'utf8' });
  assert.equal(parsed.status, 0, parsed.stderr);
  return JSON.parse(parsed.stdout) as Families;
}

/** The value of the sample named `name` whose labels include `labels`; 0 when there is none yet. */
function sampleValue(families: Families, family: string, name: string, labels: Record<string, string> = {}): number {
  const sample = families[family]?.samples.find(([n, l]) => n === name && Object.entries(labels).every(([k, v]) => l[k] === v));
  return sample ? Number(sample[2]) : 0;
}

/** A socket that emits any event with any arguments, as clients other than ours do. */
type RawSocket = {
  emit(event: string, ...args: unknown[]): void;
  emitWithAck(event: string, ...args: unknown[]): Promise<AckResult<object>>;
};
const raw = (socket: { timeout(ms: number): unknown }) => socket as unknown as RawSocket;

function token(claims: Record<string, unknown>, key = jwtSecret) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(key));
}

describe('GET /metrics', () => {
  test('every family with its type and help; counters move by exactly the traffic made', async (t) => {
    if (!parserAvailable()) return t.skip('python3-prometheus-client is not installed');
    // A receiver that never answers: four webhooks stay in flight, the rest wait in the queue.
    const hooks = await receiver(() => undefined);
    const app = await startApp({
      JWT_SECRET: jwtSecret,
      API_KEY: apiKey,
      NEW_ROOMS_PER_ADDRESS: '1',
      WEBHOOK_URL: hooks.url,
      WEBHOOK_SECRET: 'metrics-webhook-secret-0123',
      WEBHOOK_EVENTS: 'push.sent',
      WEBHOOK_TIMEOUT_MS: '60000',
    });
    const before = await scrape(app.url);

    const families: Record<string, string> = {
      roomcast_connections: 'gauge',
      roomcast_rooms_active: 'gauge',
      roomcast_messages: 'counter',
      roomcast_pushes: 'counter',
      roomcast_acks: 'counter',
      roomcast_handshake_refusals: 'counter',
      roomcast_rate_limited: 'counter',
      roomcast_store_duration_seconds: 'histogram',
      roomcast_webhook_queue_depth: 'gauge',
      process_cpu_seconds: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_eventloop_lag_p99_seconds: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(families)) {
      assert.equal(before[name]?.type, type, name);
      assert.ok((before[name]?.help.length ?? 0) > 10, `${name} has help`);
    }
    // Without REDIS_URL there is no Redis to be up or down.
    assert.equal(before.roomcast_redis_up, undefined);

    const previews = await connectPush(app.url);
    const subscribe: SubscribeRequest = { topic: 'room:metrics-a' };
    assert.equal((await acked(previews.socket).emitWithAck('push:subscribe', subscribe)).ok, true);
    const { socket } = await connectChat(app.url);
    assert.equal((await acked(socket).emitWithAck('room:join', { room: 'metrics-a' })).ok, true);
    assert.equal((await acked(socket).emitWithAck('message:send', { room: 'metrics-a', text: 'one', clientId: 'c1' })).ok, true);
    assert.equal((await acked(socket).emitWithAck('room:join', { room: 'metrics-b' })).ok, true);
    // NEW_ROOMS_PER_ADDRESS=1: a second new room is refused.
    const refused = await acked(socket).emitWithAck('message:send', { room: 'metrics-b', text: 'two', clientId: 'c2' });
    assert.equal(refused.ok ? 'ok' : refused.error.code, 'rate_limited');
    const bad = await raw(acked(socket)).emitWithAck('message:send', { room: 5, text: 'x', clientId: 'c3' });
    assert.equal(bad.ok ? 'ok' : bad.error.code, 'bad_request');
    // Without an ack the failure is told as request:failed, and counted all the same.
    const failed = waitFor<RequestFailedEvent>(socket, 'request:failed');
    raw(socket).emit('message:send', { room: 'metrics-a' });
    assert.equal((await failed).error.code, 'bad_request');
    const unknown = await raw(acked(socket)).emitWithAck('metrics:nope', {});
    assert.equal(unknown.ok ? 'ok' : unknown.error.code, 'bad_request');
    const stranger = chatClient(app.url, { token: await token({ sub: 'u1' }, 'another-secret-0123456789') });
    const refusal = waitFor<{ data: { code: string } }>(stranger, 'connect_error');
    stranger.connect();
    assert.equal((await refusal).data.code, 'invalid_token');
    const posted = await fetch(`${app.url}/api/rooms/metrics-a/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ text: 'from the backend' }),
    });
    assert.equal(posted.status, 201);
    const batch = await postPush(app.url, apiKey, { pushes: [1, 2, 3, 4, 5].map((n) => ({ topic: 'metrics', data: { n } })) });
    assert.equal(batch.status, 202);
    // Both messages' previews were pushed (the counter moves once they are).
    await eventually(async () => previews.pushes.length === 2, 'two previews', 5000, 20);
    // 7 webhooks: 4 in flight once the receiver has them, 3 queued.
    await eventually(async () => hooks.received.length === 4, 'four webhooks in flight', 5000, 20);

    const after = await scrape(app.url);
    const moved = (family: string, name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, family, name, labels) - sampleValue(before, family, name, labels);
    assert.equal(moved('roomcast_messages', 'roomcast_messages_total'), 2);
    assert.equal(moved('roomcast_pushes', 'roomcast_pushes_total'), 7);
    const acks = (event: string, code: string) => moved('roomcast_acks', 'roomcast_acks_total', { event, code });
    assert.equal(acks('room:join', 'ok'), 2);
    assert.equal(acks('message:send', 'ok'), 1);
    assert.equal(acks('message:send', 'rate_limited'), 1);
    assert.equal(acks('message:send', 'bad_request'), 2);
    assert.equal(acks('unknown', 'bad_request'), 1);
    assert.equal(acks('push:subscribe', 'ok'), 1);
    // A made-up event name never becomes a label.
    assert.ok(!after.roomcast_acks?.samples.some(([, l]) => l.event === 'metrics:nope'));
    assert.equal(moved('roomcast_handshake_refusals', 'roomcast_handshake_refusals_total', { code: 'invalid_token' }), 1);
    assert.equal(moved('roomcast_rate_limited', 'roomcast_rate_limited_total', { limit: 'new-rooms' }), 1);
    assert.equal(moved('roomcast_rate_limited', 'roomcast_rate_limited_total', { limit: 'messages' }), 0);
    // The refused send never reached the store.
    assert.equal(moved('roomcast_store_duration_seconds', 'roomcast_store_duration_seconds_count', { op: 'append' }), 2);
    assert.ok(
      sampleValue(after, 'roomcast_store_duration_seconds', 'roomcast_store_duration_seconds_bucket', { op: 'append', le: '+Inf' }) >= 2,
    );
    assert.equal(sampleValue(after, 'roomcast_connections', 'roomcast_connections', { namespace: '/chat' }), 1);
    assert.equal(sampleValue(after, 'roomcast_connections', 'roomcast_connections', { namespace: '/push' }), 1);
    assert.equal(sampleValue(after, 'roomcast_rooms_active', 'roomcast_rooms_active'), 2);
    assert.equal(sampleValue(after, 'roomcast_webhook_queue_depth', 'roomcast_webhook_queue_depth'), 3);

    // A leave and a disconnect show at the next scrape.
    assert.equal((await acked(socket).emitWithAck('room:leave', { room: 'metrics-b' })).ok, true);
    assert.equal(sampleValue(await scrape(app.url), 'roomcast_rooms_active', 'roomcast_rooms_active'), 1);
    socket.disconnect();
    await eventually(
      async () => sampleValue(await scrape(app.url), 'roomcast_connections', 'roomcast_connections', { namespace: '/chat' }) === 0,
      'the chat socket gone',
      5000,
      50,
    );
  });

  test('METRICS_TOKEN: none or a wrong one is 401, the right one reads', async () => {
    const app = await startApp({ METRICS_TOKEN: metricsToken });
    const wrong: Record<string, string>[] = [{}, { authorization: 'Bearer metrics-token-0123456780' }, { authorization: metricsToken }];
    for (const headers of wrong) {
      const res = await getMetrics(app.url, headers);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
    }
    const res = await getMetrics(app.url, { authorization: `Bearer ${metricsToken}` });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^# HELP roomcast_/m);
  });

  test('without METRICS_TOKEN: loopback clients only, also through a trusted proxy', async () => {
    // X-Forwarded-For from an untrusted peer is not believed: the loopback peer is the client.
    const direct = await startApp();
    assert.equal((await getMetrics(direct.url, { 'x-forwarded-for': '203.0.113.9' })).status, 200);

    // A proxy on this machine forwarding the world: its requests come from loopback, its clients do not.
    const proxied = await startApp({ TRUST_PROXY: '127.0.0.1' });
    const outside = await getMetrics(proxied.url, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(outside.status, 403);
    assert.equal(((await outside.json()) as { error: { code: string } }).error.code, 'forbidden');
    assert.equal((await getMetrics(proxied.url, { 'x-forwarded-for': '2001:db8::1' })).status, 403);
    assert.equal((await getMetrics(proxied.url, { 'x-forwarded-for': '127.0.0.1' })).status, 200);
    assert.equal((await getMetrics(proxied.url, { 'x-forwarded-for': '::1' })).status, 200);
    assert.equal((await getMetrics(proxied.url)).status, 200);
  });

  test('two nodes with Redis: roomcast_redis_up is 1 on each, 0 while Redis is down', async (t) => {
    if (!parserAvailable()) return t.skip('python3-prometheus-client is not installed');
    if (!(await redisAvailable())) return t.skip('needs Redis');
    const redis = await ownRedis();
    const prefix = testPrefix(redis.url);
    const nodes = await Promise.all([1, 2].map((n) => startApp({ REDIS_URL: redis.url, REDIS_PREFIX: prefix, NODE_NAME: `node${n}` })));
    const redisUp = async (url: string) => sampleValue(await scrape(url), 'roomcast_redis_up', 'roomcast_redis_up');
    for (const node of nodes) {
      const families = await scrape(node.url);
      assert.equal(families.roomcast_redis_up?.type, 'gauge');
      assert.equal(await redisUp(node.url), 1);
    }
    await redis.stop();
    for (const node of nodes) await eventually(async () => (await redisUp(node.url)) === 0, 'redis_up 0', 10_000);
    await redis.start();
    for (const node of nodes) await eventually(async () => (await redisUp(node.url)) === 1, 'redis_up 1 again', 15_000);
  });
});
