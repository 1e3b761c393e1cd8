import type { Push } from '../protocol.js';
import { type Redis, redisCall } from '../redis.js';
import { newEpoch, type PushLog, type RetentionOptions, recovery } from './push-log.js';

/**
 * Numbers the push, keeps it and makes sure of the epoch, in one step. The JSON is assembled here
 * because `data` is already JSON. A topic's keys share a hash tag, so this also runs on Redis
 * Cluster. KEYS: seq, log, epoch. ARGV: topic, event, data, ts, count, max age, new epoch.
 */
const appendScript = `
local seq = redis.call('INCR', KEYS[1])
local epoch = redis.call('GET', KEYS[3])
if seq == 1 or not epoch then
  -- Seq 1 keeps the epoch subscribers got while the topic had no push (it still expires);
  -- an epoch without expiry belonged to a numbering that was lost.
  if not epoch or (seq == 1 and redis.call('PTTL', KEYS[3]) == -1) then epoch = ARGV[7] end
  redis.call('SET', KEYS[3], epoch)
end
local push = '{"id":' .. cjson.encode(ARGV[1] .. ':' .. seq) .. ',"seq":' .. seq ..
  ',"topic":' .. cjson.encode(ARGV[1]) .. ',"event":' .. cjson.encode(ARGV[2]) ..
  ',"data":' .. ARGV[3] .. ',"ts":' .. ARGV[4] .. '}'
if tonumber(ARGV[5]) > 0 then
  redis.call('ZADD', KEYS[2], seq, push)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return seq`;

/**
 * A topic's lastSeq and epoch, making the epoch when there is none. KEYS: seq, epoch. ARGV: new
 * epoch, how long the epoch of a topic with no push is kept.
 */
const positionScript = `
local seq = redis.call('GET', KEYS[1])
local epoch = redis.call('GET', KEYS[2])
if seq then
  if epoch then
    -- Without expiry already, unless a node that predates epochs made the first push.
    redis.call('PERSIST', KEYS[2])
  else
    epoch = ARGV[1]
    redis.call('SET', KEYS[2], epoch)
  end
  return {seq, epoch}
end
if not epoch or redis.call('PTTL', KEYS[2]) == -1 then epoch = ARGV[1] end
redis.call('SET', KEYS[2], epoch, 'PX', ARGV[2])
return {'0', epoch}`;

/**
 * How long the epoch of a topic nobody pushed to outlives its last subscribe. Every visitor
 * subscribes to its own `user:<id>` topic, so these must not stay forever; a client that held
 * such a topic for longer, without a push and without reconnecting, may see the epoch change
 * once with the first push.
 */
const unnumberedEpochMs = 7 * 24 * 3600 * 1000;

/**
 * Push retention shared by every node: per-topic seq, epoch and the recent pushes live in Redis.
 * A topic's epoch has its own key beside the seq, written only by the two scripts, so the two
 * change together: an epoch without an expiry belongs to a numbered topic (seq 1 or more); a topic
 * not yet pushed to has no seq key and an epoch that expires unless someone subscribes again. When
 * Redis loses a numbered topic's seq, the epoch left without it (or its absence) makes the next
 * subscribe or append choose a new one.
 */
export function createRedisPushLog(
  redis: Redis,
  prefix: string,
  { count, maxAgeMs, now = Date.now }: RetentionOptions,
): PushLog {
  // The seq key never expires: a topic's seq must not start again at 1 while clients hold more.
  const keys = (topic: string) => {
    const base = `${prefix}{push:${topic}}`;
    return { seq: `${base}:seq`, log: `${base}:log`, epoch: `${base}:epoch` };
  };

  return {
    append: (topic, event, data) =>
      redisCall(async () => {
        const ts = now();
        const k = keys(topic);
        const seq = Number(
          await redis.eval(appendScript, {
            keys: [k.seq, k.log, k.epoch],
            arguments: [
              topic,
              event,
              JSON.stringify(data ?? null),
              String(ts),
              String(maxAgeMs > 0 ? count : 0),
              String(maxAgeMs),
              newEpoch(),
            ],
          }),
        );
        const push: Push = { id: `${topic}:${seq}`, seq, topic, event, data, ts };
        return push;
      }),

    since: (topic, after) =>
      redisCall(async () => {
        const k = keys(topic);
        const [seq, epoch] = (await redis.eval(positionScript, {
          keys: [k.seq, k.epoch],
          arguments: [newEpoch(), String(unnumberedEpochMs)],
        })) as [string, string];
        const lastSeq = Number(seq);
        if (after === undefined || after === lastSeq) return { missed: [], lastSeq, truncated: false, epoch };
        const cutoff = now() - maxAgeMs;
        const retained = (await redis.zRangeByScore(k.log, after + 1, '+inf'))
          .map((json) => JSON.parse(json) as Push)
          .filter((p) => p.ts > cutoff);
        return { ...recovery(retained, after, lastSeq), epoch };
      }),

    async close() {},
  };
}
