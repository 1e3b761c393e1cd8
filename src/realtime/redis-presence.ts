import type { FastifyBaseLogger } from 'fastify';
import type { Member } from '../protocol.js';
import { type Redis, redisCall } from '../redis.js';
import { listedLua } from '../room-listing.js';
import { type Departure, LocalRooms, type Presence } from './presence.js';

/*
 * Keys (all under one hash tag, so the scripts also run on Redis Cluster):
 *   {presence}:room:<room>     hash  user id -> nodes where the user is in the room
 *   {presence}:members:<room>  hash  user id -> Member JSON
 *   {presence}:node:<node>     hash  "<room>\n<user id>" -> 1 (what this node counts, to undo it)
 *   {presence}:rooms           zset  listed room -> distinct users (GET /api/rooms)
 *   {presence}:nodes           set   node ids that may hold presence
 *   alive:<node>               string, expires after 3 missed beats
 * A node writes only when a user's first socket in a room arrives there or its last one goes;
 * more tabs are counted in the node's own memory (`LocalRooms`), which is also what a node puts
 * back when Redis has lost its keys. Room names cannot contain a newline, so the first one splits
 * a node field.
 */
const joinScript = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[2] .. '\\n' .. ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
if ${listedLua('ARGV[2]')} then redis.call('ZADD', KEYS[4], redis.call('HLEN', KEYS[1]), ARGV[2]) end
return {n, redis.call('HVALS', KEYS[3])}`;

const leaveScript = `
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
elseif ${listedLua('ARGV[2]')} then redis.call('ZADD', KEYS[4], count, ARGV[2]) end
return {n, count, member}`;

/**
 * Subtracts what the node hash KEYS[1] says the node counted from every room; `gone` collects the
 * users who are then in no node any more, `touched` the rooms whose count may have changed.
 */
const takeBack = `
local function takeBack(base, gone, touched)
  local entries = redis.call('HGETALL', KEYS[1])
  for i = 1, #entries, 2 do
    local sep = string.find(entries[i], '\\n', 1, true)
    local room = string.sub(entries[i], 1, sep - 1)
    local user = string.sub(entries[i], sep + 1)
    local roomKey = base .. 'room:' .. room
    touched[room] = true
    if redis.call('HINCRBY', roomKey, user, -tonumber(entries[i + 1])) <= 0 then
      redis.call('HDEL', roomKey, user)
      local membersKey = base .. 'members:' .. room
      table.insert(gone, {room, redis.call('HGET', membersKey, user) or ''})
      redis.call('HDEL', membersKey, user)
    end
  end
  redis.call('DEL', KEYS[1])
end
local function recount(base, touched)
  for room in pairs(touched) do
    local count = redis.call('HLEN', base .. 'room:' .. room)
    if count == 0 then redis.call('ZREM', KEYS[2], room)
    elseif ${listedLua('room')} then redis.call('ZADD', KEYS[2], count, room) end
  end
end`;

/** Takes back everything a node held; returns room, member JSON, count for each user now gone. */
const forgetNodeScript = `${takeBack}
local gone, touched = {}, {}
takeBack(ARGV[1], gone, touched)
recount(ARGV[1], touched)
redis.call('SREM', KEYS[3], ARGV[2])
local out = {}
for _, g in ipairs(gone) do
  table.insert(out, g[1])
  table.insert(out, g[2])
  table.insert(out, redis.call('HLEN', ARGV[1] .. 'room:' .. g[1]))
end
return out`;

/**
 * Puts back exactly what the node holds (ARGV[3..]: room, user id, Member JSON for each user
 * here): first takes back whatever Redis still says the node counted, so a Redis that kept its
 * keys (a blip) ends the same as one that lost them, and nothing is counted twice.
 */
const healScript = `${takeBack}
local base = ARGV[1]
local touched = {}
takeBack(base, {}, touched)
for i = 3, #ARGV, 3 do
  local room, user = ARGV[i], ARGV[i + 1]
  redis.call('HINCRBY', base .. 'room:' .. room, user, 1)
  redis.call('HSET', base .. 'members:' .. room, user, ARGV[i + 2])
  redis.call('HSET', KEYS[1], room .. '\\n' .. user, 1)
  touched[room] = true
end
recount(base, touched)
redis.call('SADD', KEYS[3], ARGV[2])
return 1`;

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
 * its users leave the count within about four beats. A node puts its own presence back whenever
 * its Redis connection comes back and whenever a beat finds its id gone from Redis (a restart
 * without persistence, a flush, a failover to a replica that lacked it, or another node that took
 * it for dead), without telling the rooms: nobody joined or left.
 */
export function createRedisPresence({ redis, prefix, nodeId, heartbeatMs, log }: RedisPresenceOptions): Presence {
  const base = `${prefix}{presence}:`;
  const nodeKey = `${base}node:${nodeId}`;
  const roomKeys = (room: string) => [`${base}room:${room}`, nodeKey, `${base}members:${room}`, `${base}rooms`];
  const aliveKey = (id: string) => `${prefix}alive:${id}`;
  const listeners: ((departure: Departure) => void)[] = [];
  const local = new LocalRooms();
  let closed = false;

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

  /**
   * Puts this node's presence back as `local` has it. Commands run in order on one connection, so
   * a join or leave sent after this snapshot lands after it, and one sent before is in it.
   */
  async function heal(): Promise<void> {
    const entries: string[] = [];
    for (const [room, members] of local.entries()) {
      for (const member of members) entries.push(room, member.id, JSON.stringify(member));
    }
    await redis.eval(healScript, { keys: [nodeKey, `${base}rooms`, `${base}nodes`], arguments: [base, nodeId, ...entries] });
    if (entries.length > 0) log.info({ entries: entries.length / 3 }, 'presence of this node put back in Redis');
  }

  let healing: Promise<void> | undefined;
  function healNow(): void {
    if (closed || healing) return;
    healing = heal()
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'presence repair failed; retried when Redis is back'))
      .finally(() => (healing = undefined));
  }
  // Every reconnection: Redis may have restarted empty, and calls made meanwhile failed.
  redis.on('ready', healNow);

  async function beat(): Promise<void> {
    await redis.set(aliveKey(nodeId), '1', { PX: heartbeatMs * 3 });
    if ((await redis.sAdd(`${base}nodes`, nodeId)) === 1) healNow();
    for (const id of await redis.sMembers(`${base}nodes`)) {
      if (id !== nodeId && !(await redis.exists(aliveKey(id)))) {
        log.warn({ node: id }, 'node stopped beating: its users leave presence');
        await forget(id);
      }
    }
  }

  const beatNow = () => beat().catch((err: unknown) => log.debug({ err: (err as Error).message }, 'presence heartbeat failed'));
  const timer = setInterval(beatNow, heartbeatMs);
  timer.unref();
  void beatNow();

  const parseMembers = (list: string[]) => list.map((json) => JSON.parse(json) as Member);

  return {
    add: (room, member, socketId) =>
      redisCall(async () => {
        // The node's memory counts first, so a failed call is put right by the next repair.
        if (local.add(room, member, socketId) !== 'first') {
          const members = parseMembers(await redis.hVals(`${base}members:${room}`));
          return { count: members.length, members };
        }
        const [n, list] = (await redis.eval(joinScript, {
          keys: roomKeys(room),
          arguments: [member.id, room, JSON.stringify(member)],
        })) as [number, string[]];
        const members = parseMembers(list);
        return n === 1 ? { joined: member, count: members.length, members } : { count: members.length, members };
      }),

    remove: (room, memberId, socketId) =>
      redisCall(async () => {
        const gone = local.remove(room, memberId, socketId);
        if (gone === undefined || gone === 'kept') return undefined;
        const [n, count, json] = (await redis.eval(leaveScript, {
          keys: roomKeys(room),
          arguments: [memberId, room],
        })) as [number, number, string | null];
        return n <= 0 && json ? { left: JSON.parse(json) as Member, count } : { count };
      }),

    members: (room) => redisCall(async () => parseMembers(await redis.hVals(`${base}members:${room}`))),

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
      closed = true;
      clearInterval(timer);
      redis.off('ready', healNow);
      if (local.empty) {
        await forget(nodeId).catch(() => undefined);
        await redis.del(aliveKey(nodeId)).catch(() => undefined);
        return;
      }
      // Handing over rather than leaving: the users a drain sent away stay counted until the
      // alive key runs out, as if this node had died, so those who are back on another node by
      // then (nearly all) are never seen to leave and join again, however slow the others are to
      // take them; the other nodes take back the rest when they find this node gone.
      await redis.set(aliveKey(nodeId), '1', { PX: heartbeatMs * 3 }).catch(() => undefined);
    },
  };
}
