import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { createClient } from 'redis';
import type { Push } from '../src/protocol.js';
import { redisAvailable, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, connectPush, postPush, startApp } from './helpers.js';

const apiKey = 'push-bytes-api-key-0123456789';
const topics = Array.from({ length: 30 }, (_, i) => `t${i}`);
const rounds = 10;
const cap = 200_000;

/**
 * 30 topics x 10 pushes of 5 KB (1.5 MB), one push to each topic per round, against a cap of
 * 200 KB: what stays retained is the newest pushes of all topics together, within the cap; a
 * client asking for the rest is told `truncated`. Returns the app for store-specific checks.
 */
async function pushPastTheCap(env: Record<string, string>) {
  const app = await startApp({ API_KEY: apiKey, PUSH_RETENTION_BYTES: String(cap), ...env });
  const order: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const pushes = topics.map((topic) => ({ topic, data: { round, pad: 'x'.repeat(5000) } }));
    const res = await postPush(app.url, apiKey, { pushes });
    assert.equal(res.status, 202);
    order.push(...topics.map((topic) => `${topic}:${round + 1}`));
  }

  const client = await connectPush(app.url);
  const retained: Push[] = [];
  for (const topic of topics) {
    const res = await acked(client.socket).emitWithAck('push:subscribe', { topic, after: 0 });
    assert.ok(res.ok);
    assert.equal(res.lastSeq, rounds);
    // Whatever is kept of a topic is its newest pushes, without a gap; anything missing is said.
    assert.deepEqual(
      res.missed.map((p) => p.seq),
      Array.from({ length: res.missed.length }, (_, i) => rounds - res.missed.length + 1 + i),
    );
    assert.equal(res.truncated === true, res.missed.length < rounds, topic);
    retained.push(...res.missed);
  }
  const bytes = retained.reduce((sum, p) => sum + Buffer.byteLength(JSON.stringify(p)), 0);
  assert.ok(bytes <= cap, `${bytes} bytes retained`);
  assert.ok(bytes > cap * 0.8, `the cap is used, not emptied: ${bytes}`);
  // Oldest dropped first across topics: what is kept is the end of the order they were pushed in.
  const kept = new Set(retained.map((p) => p.id));
  assert.deepEqual([...kept].sort(), order.slice(order.length - kept.size).sort());
  assert.equal((await fetch(`${app.url}/healthz`)).status, 200);
  return app;
}

describe('a global cap on retained push bytes', () => {
  test('in memory: the oldest pushes of all topics are dropped first; clients asking for them hear truncated', async () => {
    await pushPastTheCap({});
  });

  test('in Redis: the same, and what Redis holds is what the index counts', async (t: TestContext) => {
    if (!(await redisAvailable())) return t.skip('needs Redis');
    const prefix = testPrefix();
    // A count of 8 per topic also drops pushes: the index must forget those too.
    await pushPastTheCap({ REDIS_URL: testRedisUrl, REDIS_PREFIX: prefix, PUSH_RETENTION_COUNT: '8' });
    const redis = createClient({ url: testRedisUrl });
    await redis.connect();
    try {
      let held = 0;
      let entries = 0;
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}{push:*}:log`, COUNT: 100 })) {
        for (const key of keys) {
          for (const json of await redis.zRange(key, 0, -1)) {
            held += Buffer.byteLength(json);
            entries++;
          }
        }
      }
      assert.ok(held <= cap, `Redis holds ${held} bytes of pushes`);
      assert.equal(Number(await redis.get(`${prefix}{push-retained}:bytes`)), held);
      assert.equal(await redis.zCard(`${prefix}{push-retained}:index`), entries);
    } finally {
      await redis.close();
    }
  });
});
