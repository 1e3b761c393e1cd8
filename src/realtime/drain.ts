import type { ChatNamespace } from './chat.js';
import type { PushNamespace } from './push.js';

/** How often the draining node closes the transports that are due. */
const batchMs = 100;

/** A client's Engine.IO connection: all that draining needs of it. */
interface Connection {
  close(): void;
}

export interface DrainPace {
  /** Connections sent away per second, at most. */
  perSecond: number;
  /** The longest the whole drain may take. */
  maxMs: number;
}

/**
 * Sends every client away at a steady pace instead of all at once, so the other nodes take them
 * in a stream rather than a wave: over `connections / perSecond` seconds, at most `maxMs`. Each
 * connection gets `server:draining` with its own `retryInMs` (uniform over that span; the same
 * for its /chat and /push sockets, which share the transport), and its transport is closed no
 * earlier than that, in batches every 100 ms. Closing the transport, not `disconnectSockets()`
 * (which forbids reconnecting), lets a client that ignores the event reconnect by itself, at its
 * own time. Resolves once the last is closed.
 */
export async function drain(namespaces: readonly (ChatNamespace | PushNamespace)[], pace: DrainPace): Promise<void> {
  const sockets = namespaces.flatMap((nsp) => [...(nsp as ChatNamespace).sockets.values()]);
  const connections = new Set(sockets.map((socket) => socket.conn)).size;
  const spreadMs = Math.min(pace.maxMs, (connections * 1000) / pace.perSecond);
  const due = new Map<Connection, number>();
  for (const socket of sockets) {
    let retryInMs = due.get(socket.conn);
    if (retryInMs === undefined) {
      retryInMs = Math.floor(Math.random() * spreadMs);
      due.set(socket.conn, retryInMs);
    }
    socket.emit('server:draining', { retryInMs });
  }
  const queue = [...due].sort((a, b) => a[1] - b[1]);
  const started = Date.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const closeDue = () => {
      const elapsed = Date.now() - started;
      for (; next < queue.length && (queue[next] as [Connection, number])[1] <= elapsed; next++) {
        (queue[next] as [Connection, number])[0].close();
      }
      if (next < queue.length) return;
      clearInterval(timer);
      resolve();
    };
    const timer = setInterval(closeDue, batchMs);
  });
}
