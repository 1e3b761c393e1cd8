/**
 * The baseline the benchmark compares roomcast with: a bare Socket.IO 4 server that speaks the
 * same /chat events (room:join, message:send, message:new) and does nothing else: no Fastify,
 * no store, no validation, no auth, no presence. Whatever roomcast costs beyond this is the
 * price of its own features.
 *
 * Env: PORT (default 3100), HOST (default 127.0.0.1); DRAIN_RATE and DRAIN_MS (unset: none): on
 * SIGTERM each client gets `server:draining` with a random `retryInMs` and its transport closes
 * then, DRAIN_RATE a second over at most DRAIN_MS, as roomcast does (the storm bench needs that).
 * Prints nothing unless something fails.
 * Run: node --import tsx bench/bare-server.ts
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { ChatClientToServer, ChatServerToClient, Member, Message } from '../src/protocol.js';

const port = Number(process.env.PORT ?? 3100);
const host = process.env.HOST ?? '127.0.0.1';
const drainRate = Number(process.env.DRAIN_RATE ?? Number.POSITIVE_INFINITY);
const drainMs = Number(process.env.DRAIN_MS ?? 0);

const http = createServer((req, res) => {
  // Engine.IO answers /socket.io itself; this only serves the readiness poll.
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  } else {
    res.writeHead(404).end();
  }
});

const io = new Server<ChatClientToServer, ChatServerToClient>(http, { maxHttpBufferSize: 64 * 1024 });
const chat = io.of('/chat');
const seqByRoom = new Map<string, number>();
let guests = 0;

chat.on('connection', (socket) => {
  const auth = socket.handshake.auth as { name?: unknown };
  const author: Member = {
    id: `guest_${++guests}`,
    name: typeof auth.name === 'string' ? auth.name : 'Guest',
    kind: 'guest',
  };

  socket.on('room:join', (req, ack) => {
    void socket.join(req.room);
    ack({
      ok: true,
      room: req.room,
      messages: [],
      members: [],
      lastSeq: seqByRoom.get(req.room) ?? 0,
      hasMore: false,
      epoch: 'bare',
      settings: { slowModeSeconds: 0, readOnly: false },
      lastRead: 0,
      reads: {},
    });
  });

  socket.on('message:send', (req, ack) => {
    const seq = (seqByRoom.get(req.room) ?? 0) + 1;
    seqByRoom.set(req.room, seq);
    const message: Message = {
      id: `${req.room}:${seq}`,
      seq,
      room: req.room,
      text: req.text,
      author,
      clientId: req.clientId,
      ts: Date.now(),
    };
    chat.to(req.room).emit('message:new', message);
    ack({ ok: true, message });
  });
});

http.on('error', (err) => {
  console.error(`bare-server: ${err.message}`);
  process.exit(1);
});
http.listen(port, host);

const stop = (): void => {
  let last = 0;
  const spreadMs = Math.min(drainMs, (chat.sockets.size * 1000) / drainRate);
  for (const socket of chat.sockets.values()) {
    const retryInMs = Math.floor(Math.random() * spreadMs);
    last = Math.max(last, retryInMs);
    socket.emit('server:draining', { retryInMs });
    setTimeout(() => socket.conn.close(), retryInMs);
  }
  setTimeout(() => void io.close(() => process.exit(0)), drainMs > 0 ? last + 1000 : 0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
