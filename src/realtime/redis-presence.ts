import type { FastifyBaseLogger } from 'fastify';
import type { Member } from '../protocol.js';
import { type Redis, redisCall } from '../redis.js';
import type { Departure, Presence } from './presence.js';

/*
 * Keys (all under one hash tag, so the scripts also run on Redis Cluster):
 *   {presence}:room:<room>     hash  user id -> sockets in the room, all nodes together
 *   {presence}:members:<room>  hash  user id -> Member JSON
 *   {presence}:node:<node>     hash  "<room>\n<user id>" -> sockets of that node (to undo it if the node dies)
 *   {presence}:rooms           zset  public room -> distinct users (GET /api/rooms)
 *   {presence}:nodes           set   node ids that may hold presence
 *   alive:<node>               string, expires after 3 missed heartbeats
 * Room names cannot contain a newline, so the first one splits a node field.
 */
const addScript = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[2] .. '\\n' .. ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
local count = redis.call('HLEN', KEYS[1])
if string.sub(ARGV[2], 1, 8) ~= 'private-' then redis.call('ZADD', KEYS[4], count, ARGV[2]) end
return {n, count}`;

const removeScript = `
local field = ARGV[2] .. '\\n' .. ARGV[1]
if redis.call('HINCRBY', KEYS[2], field, -1) <= 0 then redis.call('HDEL', KEYS[2], field) end
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
local member = false
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  member = redis.call('HGET', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
end
local count = redis.call('HLEN', KEYS[1])
if count == 0 then redis.call('ZREM', KEYS[4], ARGV[2])
elseif string.sub(ARGV[2], 1, 8) ~= 'private-' then redis.call('ZADD', KEYS[4], count, ARGV[2]) end
return {n, count, member}`;

/** Takes back everything a node held; returns room, member JSON, count for each user now gone. */
const forgetNodeScript = `
local entries = redis.call('HGETALL', KEYS[1])
local gone = {}
for i = 1, #entries, 2 do
  local sep = string.find(entries[i], '\\n', 1, true)
  local room = string.sub(entries[i], 1, sep - 1)
  local user = string.sub(entries[i], sep + 1)
  local roomKey = ARGV[1] .. 'room:' .. room
  if redis.call('HINCRBY', roomKey, user, -tonumber(entries[i + 1])) <= 0 then
    redis.call('HDEL', roomKey, user)
    local membersKey = ARGV[1] .. 'members:' .. room
    local member = redis.call('HGET', membersKey, user)
    redis.call('HDEL', membersKey, user)
    local count = redis.call('HLEN', roomKey)
    if count == 0 then redis.call('ZREM', KEYS[2], room)
    elseif string.sub(room, 1, 8) ~= 'private-' then redis.call('ZADD', KEYS[2], count, room) end
    table.insert(gone, room)
    table.insert(gone, member or '')
    table.insert(gone, count)
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[2])
return gone`;

export interface RedisPresenceOptions {
  redis: Redis;
  prefix: string;
  /** Unique per process. */
  nodeId: string;
  heartbeatMs: number;
  log: FastifyBaseLogger;
}

/**
 * Presence shared by every node. Each node beats every `heartbeatMs`; every node also checks the
 * others, and takes back the presence of one that missed three beats (killed, partitioned), so
 * its users leave the count within about four beats.
 */
export function createRedisPresence({ redis, prefix, nodeId, heartbeatMs, log }: RedisPresenceOptions): Presence {
  const base = `${prefix}{presence}:`;
  const roomKeys = (room: string) => [`${base}room:${room}`, `${base}node:${nodeId}`, `${base}members:${room}`, `${base}rooms`];
  const aliveKey = (id: string) => `${prefix}alive:${id}`;
  const listeners: ((departure: Departure) => void)[] = [];

  async function forget(id: string): Promise<void> {
    const gone = (await redis.eval(forgetNodeScript, {
      keys: [`${base}node:${id}`, `${base}rooms`, `${base}nodes`],
      arguments: [base, id],
    })) as (string | number)[];
    for (let i = 0; i < gone.length; i += 3) {
      const json = gone[i + 1] as string;
      if (!json) continue;
      const departure = { room: String(gone[i]), member: JSON.parse(json) as Member, count: Number(gone[i + 2]) };
      for (const listener of listeners) listener(departure);
    }
  }

  async function beat(): Promise<void> {
    await redis.set(aliveKey(nodeId), '1', { PX: heartbeatMs * 3 });
    await redis.sAdd(`${base}nodes`, nodeId);
    for (const id of await redis.sMembers(`${base}nodes`)) {
      if (id !== nodeId && !(await redis.exists(aliveKey(id)))) {
        log.warn({ node: id }, 'node stopped beating: its users leave presence');
        await forget(id);
      }
    }
  }

  const beatNow = () =>
    beat().catch((err: unknown) => log.debug({ err: (err as Error).message }, 'presence heartbeat failed'));
  const timer = setInterval(beatNow, heartbeatMs);
  timer.unref();
  void beatNow();

  return {
    add: (room, member, _socketId) =>
      redisCall(async () => {
        const [n, count] = (await redis.eval(addScript, {
          keys: roomKeys(room),
          arguments: [member.id, room, JSON.stringify(member)],
        })) as [number, number];
        return n === 1 ? { joined: member, count } : { count };
      }),

    remove: (room, memberId, _socketId) =>
      redisCall(async () => {
        const [n, count, json] = (await redis.eval(removeScript, {
          keys: roomKeys(room),
          arguments: [memberId, room],
        })) as [number, number, string | null];
        return n <= 0 && json ? { left: JSON.parse(json) as Member, count } : { count };
      }),

    members: (room) =>
      redisCall(async () => (await redis.hVals(`${base}members:${room}`)).map((json) => JSON.parse(json) as Member)),

    busiest: (max) =>
      redisCall(async () =>
        (await redis.zRangeWithScores(`${base}rooms`, 0, max - 1, { REV: true })).map(({ value, score }) => ({
          room: value,
          members: score,
        })),
      ),

    onDeparture(listener) {
      listeners.push(listener);
    },

    async close() {
      clearInterval(timer);
      // Leaving cleanly: our users leave now rather than after missed beats.
      await forget(nodeId).catch(() => undefined);
      await redis.del(aliveKey(nodeId)).catch(() => undefined);
    },
  };
}
