import type { Push } from '../protocol.js';
import { type Redis, redisCall } from '../redis.js';
import { type PushLog, type RetentionOptions, recovery } from './push-log.js';

/**
 * Numbers the push and keeps it in one step. The JSON is assembled here because `data` is
 * already JSON. Both keys of a topic share a hash tag, so this also runs on Redis Cluster.
 */
const appendScript = `
local seq = redis.call('INCR', KEYS[1])
local push = '{"id":' .. cjson.encode(ARGV[1] .. ':' .. seq) .. ',"seq":' .. seq ..
  ',"topic":' .. cjson.encode(ARGV[1]) .. ',"event":' .. cjson.encode(ARGV[2]) ..
  ',"data":' .. ARGV[3] .. ',"ts":' .. ARGV[4] .. '}'
if tonumber(ARGV[5]) > 0 then
  redis.call('ZADD', KEYS[2], seq, push)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return seq`;

/** Push retention shared by every node: per-topic seq and the recent pushes live in Redis. */
export function createRedisPushLog(
  redis: Redis,
  prefix: string,
  { count, maxAgeMs, now = Date.now }: RetentionOptions,
): PushLog {
  // The seq key never expires: a topic's seq must not start again at 1 while clients hold more.
  const keys = (topic: string) => [`${prefix}{push:${topic}}:seq`, `${prefix}{push:${topic}}:log`];

  return {
    append: (topic, event, data) =>
      redisCall(async () => {
        const ts = now();
        const seq = Number(
          await redis.eval(appendScript, {
            keys: keys(topic),
            arguments: [topic, event, JSON.stringify(data ?? null), String(ts), String(maxAgeMs > 0 ? count : 0), String(maxAgeMs)],
          }),
        );
        const push: Push = { id: `${topic}:${seq}`, seq, topic, event, data, ts };
        return push;
      }),

    since: (topic, after) =>
      redisCall(async () => {
        const [seqKey, logKey] = keys(topic) as [string, string];
        const lastSeq = Number((await redis.get(seqKey)) ?? 0);
        if (after === undefined || after === lastSeq) return { missed: [], lastSeq, truncated: false };
        const cutoff = now() - maxAgeMs;
        const retained = (await redis.zRangeByScore(logKey, after + 1, '+inf'))
          .map((json) => JSON.parse(json) as Push)
          .filter((p) => p.ts > cutoff);
        return recovery(retained, after, lastSeq);
      }),

    async close() {},
  };
}
