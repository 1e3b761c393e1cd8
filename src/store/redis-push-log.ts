import type { Push } from '../protocol.js';
import { type Redis, redisCall } from '../redis.js';
import { newEpoch, type PushLog, type RetentionOptions, recovery } from './push-log.js';

/**
 * Numbers the push, keeps it and makes sure of the epoch, in one step. The JSON is assembled here
 * because `data` is already JSON. A topic's keys share a hash tag, so this also runs on Redis
 * Cluster. KEYS: seq, log, epoch. ARGV: topic, event, data, ts, count, max age, new epoch.
 * Returns the seq, the push's size in bytes, then the seq and size of each push the count dropped.
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
local result = {seq, #push}
if tonumber(ARGV[5]) > 0 then
  redis.call('ZADD', KEYS[2], seq, push)
  local over = redis.call('ZRANGE', KEYS[2], 0, -(tonumber(ARGV[5]) + 1), 'WITHSCORES')
  for i = 1, #over, 2 do
    table.insert(result, tonumber(over[i + 1]))
    table.insert(result, #over[i])
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return result`;

/**
 * The byte cap over all topics: an index of every retained push, `<size>:<seq>:<topic>` scored by
 * its time, and their total size. Adds the new push, forgets those its topic's count dropped, then
 * removes from the index those past their age and, oldest first, as many as the cap needs, and
 * returns these for their topics' logs to drop too. Its keys share a hash tag of their own, apart
 * from the topics' (a script touches one slot). KEYS: index, total. ARGV: max bytes, age cutoff,
 * the new push's member and time, then the members the count dropped.
 */
const capScript = `
local function size(member) return tonumber(string.match(member, '^(%d+):')) end
local total = tonumber(redis.call('GET', KEYS[2]) or '0')
for i = 5, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then total = total - size(ARGV[i]) end
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
total = total + size(ARGV[3])
local dropped = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 1000)
for _, member in ipairs(dropped) do
  redis.call('ZREM', KEYS[1], member)
  total = total - size(member)
end
while total > tonumber(ARGV[1]) do
  local oldest = redis.call('ZPOPMIN', KEYS[1])
  if #oldest == 0 then break end
  table.insert(dropped, oldest[1])
  total = total - size(oldest[1])
end
if redis.call('ZCARD', KEYS[1]) == 0 then total = 0 end
redis.call('SET', KEYS[2], total)
return dropped`;

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
export function createRedisPushLog(redis: Redis, prefix: string, { count, maxAgeMs, maxBytes, now = Date.now }: RetentionOptions): PushLog {
  // The seq key never expires: a topic's seq must not start again at 1 while clients hold more.
  const keys = (topic: string) => {
    const base = `${prefix}{push:${topic}}`;
    return { seq: `${base}:seq`, log: `${base}:log`, epoch: `${base}:epoch` };
  };
  const capKeys = [`${prefix}{push-retained}:index`, `${prefix}{push-retained}:bytes`];

  /**
   * Keeps the byte cap after an append (see capScript). Not atomic with the append, which lives in
   * the topic's slot: a failure in between leaves one push outside the cap, until its age or its
   * topic's count drops it, and the push itself stands (it is numbered and stored).
   */
  async function fit(topic: string, seq: number, size: number, ts: number, countDropped: number[]): Promise<void> {
    const member = (s: number, b: number) => `${b}:${s}:${topic}`;
    const trimmed: string[] = [];
    for (let i = 0; i < countDropped.length; i += 2) trimmed.push(member(countDropped[i] as number, countDropped[i + 1] as number));
    const dropped = (await redis.eval(capScript, {
      keys: capKeys,
      arguments: [String(maxBytes), String(ts - maxAgeMs), member(seq, size), String(ts), ...trimmed],
    })) as string[];
    await Promise.all(
      dropped.map((m) => {
        const [, s = '', ...rest] = m.split(':');
        return redis.zRemRangeByScore(keys(rest.join(':')).log, s, s);
      }),
    );
  }

  return {
    append: (topic, event, data) =>
      redisCall(async () => {
        const ts = now();
        const k = keys(topic);
        const retain = maxAgeMs > 0 && count > 0;
        const [seq, size, ...countDropped] = (
          (await redis.eval(appendScript, {
            keys: [k.seq, k.log, k.epoch],
            arguments: [topic, event, JSON.stringify(data ?? null), String(ts), String(retain ? count : 0), String(maxAgeMs), newEpoch()],
          })) as number[]
        ).map(Number) as [number, number, ...number[]];
        if (retain) await fit(topic, seq, size, ts, countDropped).catch(() => undefined);
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
