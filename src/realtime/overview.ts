import type { FastifyBaseLogger } from 'fastify';
import type { Namespace } from 'socket.io';
import type { Presence } from './presence.js';
import type { ChatNamespace } from './chat.js';
import type { MessageRate } from './message-rate.js';
import type { PushNamespace } from './push.js';
import type { Store } from '../store/store.js';
import { isRoomName } from '../validation.js';

/** What one node says of itself to the admin overview. */
export interface NodeReport {
  name: string;
  connections: { chat: number; push: number };
  /** Rooms with a socket of this node in them. */
  rooms: number;
  startedAt: number;
  rssBytes: number;
  /** Those rooms' names, and this node's messages per room over the last minute, for the room list. */
  roomNames: string[];
  rates: [string, number][];
}

export interface RoomOverview {
  room: string;
  members: number;
  messagesPerMinute: number;
  lastSeq: number;
}

/** The server-side event every node answers with its `NodeReport` (through the adapter). */
const reportEvent = 'admin:overview';
type ReportEvents = { [reportEvent]: (ack: (report: NodeReport) => void) => void };
/** The most rooms the overview lists: the busiest by messages per minute, then by name. */
const maxRooms = 200;

export interface OverviewDeps {
  chat: ChatNamespace;
  push: PushNamespace;
  presence: Presence;
  store: Store;
  rate: MessageRate;
  nodeName: string;
  /** Several nodes share an adapter (Redis): ask the others too. */
  clustered: boolean;
  log: FastifyBaseLogger;
}

/**
 * `GET /api/admin/overview`'s data: each node reports its connections, rooms and message rates
 * (asked with `serverSideEmitWithAck`, which the Redis adapter times out after 2 s, keeping the
 * answers it has), and rooms get their members (presence) and last seq (store) once, here.
 */
export function createOverview(deps: OverviewDeps) {
  const { chat, push } = deps;
  const startedAt = Date.now();
  // The namespaces' own types declare no server-side events; this one is the overview's alone.
  const nsp = chat as unknown as Namespace<Record<string, never>, Record<string, never>, ReportEvents>;

  function report(): NodeReport {
    // Adapter rooms that are no chat room (a socket's own, an inbox's staff: `inbox:<name>`) are left out.
    const roomNames = [...chat.adapter.rooms.keys()].filter((room) => !chat.sockets.has(room) && isRoomName(room));
    return {
      name: deps.nodeName,
      connections: { chat: chat.sockets.size, push: push.sockets.size },
      rooms: roomNames.length,
      startedAt,
      rssBytes: process.memoryUsage.rss(),
      roomNames,
      rates: [...deps.rate.perMinute()],
    };
  }

  nsp.on(reportEvent, (ack) => ack(report()));

  async function others(): Promise<NodeReport[]> {
    if (!deps.clustered) return [];
    try {
      return await nsp.serverSideEmitWithAck(reportEvent);
    } catch (err) {
      // Some node did not answer in time: list those that did.
      deps.log.warn({ err }, 'a node did not answer the admin overview');
      return ((err as { responses?: NodeReport[] }).responses ?? []).filter(Boolean);
    }
  }

  async function rooms(reports: NodeReport[]): Promise<RoomOverview[]> {
    const rates = new Map<string, number>();
    for (const { roomNames, rates: nodeRates } of reports) {
      for (const room of roomNames) rates.set(room, rates.get(room) ?? 0);
      for (const [room, n] of nodeRates) rates.set(room, (rates.get(room) ?? 0) + n);
    }
    // The busiest first, so a node with thousands of rooms costs at most maxRooms presence reads.
    const names = [...rates.keys()].sort((a, b) => (rates.get(b) ?? 0) - (rates.get(a) ?? 0)).slice(0, maxRooms);
    const [members, lastSeqs] = await Promise.all([
      Promise.all(names.map((room) => deps.presence.members(room).then((list) => list.length))),
      deps.store.lastSeqs(names),
    ]);
    return names
      .map((room, i) => ({ room, members: members[i] ?? 0, messagesPerMinute: rates.get(room) ?? 0, lastSeq: lastSeqs.get(room) ?? 0 }))
      .sort((a, b) => b.members - a.members || b.messagesPerMinute - a.messagesPerMinute || a.room.localeCompare(b.room));
  }

  return {
    async gather() {
      const reports = [report(), ...(await others())];
      const nodes = reports
        .map(({ name, connections, rooms: count, startedAt: started, rssBytes }) => ({
          name,
          connections,
          rooms: count,
          startedAt: started,
          rssBytes,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      return { nodes, rooms: await rooms(reports) };
    },
  };
}

export type Overview = ReturnType<typeof createOverview>;
