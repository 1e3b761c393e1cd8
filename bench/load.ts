/**
 * One load-generator process. run.ts starts several (pinned to the core the server is not on)
 * and drives them over the IPC channel:
 *
 *   config  -> open `clients` sockets per room slice, join them, answer `ready`
 *   start   -> senders send open-loop from startAt to measureTo; every socket counts the
 *              message:new it receives; after a drain, answer `stats`
 *   close   -> disconnect everything and exit
 *
 * Each message's text starts with its send time (epoch ms), so any receiver, in any process,
 * computes end-to-end latency and knows whether the send fell in the measured window. The
 * process reports its own CPU use and event-loop delay so a saturated generator is visible
 * rather than mistaken for a slow server.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import type {
  AckResult,
  ChatClientToServer,
  ChatServerToClient,
  JoinRequest,
  JoinResult,
  SendRequest,
  SendResult,
} from '../src/protocol.js';
import { Histogram, nowMs, type CpuSample, type FromWorker, type StartCommand, type ToWorker, type WorkerConfig } from './lib.js';
import { WireClient, type BenchConnection } from './wire-client.js';

type ChatSocket = Socket<ChatServerToClient, ChatClientToServer>;

interface Sender {
  conn: BenchConnection;
  room: string;
  rate: number;
  /** Offset of this sender's first send, so senders do not fire in lockstep. */
  phaseMs: number;
  sent: number;
}

const CONNECT_TIMEOUT_MS = 20_000;

const conns: BenchConnection[] = [];
const senders: Sender[] = [];
const errors: Record<string, number> = {};
let workerId = 0;
let closing = false;
let disconnects = 0;

let win: StartCommand | undefined;
let lastReceiveAt = 0;
let received = 0;
let receivedOther = 0;
const e2e = new Histogram();
const ack = new Histogram();
const sentByRoom: Record<string, number> = {};
let ackOk = 0;
const ackErrors: Record<string, number> = {};
let ackPending = 0;
let maxSendLagMs = 0;
/** BENCH_TRACE=1: print the worst latency of every 100 ms of sends that had one over 30 ms. */
const trace = process.env.BENCH_TRACE ? new Map<number, number>() : undefined;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function cpuSince(start: NodeJS.CpuUsage, startWall: number): CpuSample {
  const d = process.cpuUsage(start);
  return { cpuMs: (d.user + d.system) / 1000, sysMs: d.system / 1000, wallMs: nowMs() - startWall };
}

function onMessage(text: string): void {
  const now = nowMs();
  lastReceiveAt = now;
  const sentAt = Number.parseFloat(text);
  if (win && sentAt >= win.measureFrom && sentAt < win.measureTo) {
    received++;
    e2e.add((now - sentAt) * 1000);
    if (trace) {
      const slot = Math.floor((sentAt - win.measureFrom) / 100);
      trace.set(slot, Math.max(trace.get(slot) ?? 0, now - sentAt));
    }
  } else {
    receivedOther++;
  }
}

/** socket.io-client behind the same small interface as the wire client. */
class SocketIoConnection implements BenchConnection {
  private socket: ChatSocket | undefined;
  private newFn: (text: string) => void = () => undefined;
  private disconnectFn: () => void = () => undefined;

  constructor(private readonly url: string) {}

  connect(auth: object, timeoutMs: number): Promise<void> {
    const socket: ChatSocket = io(`${this.url}/chat`, {
      transports: ['websocket'],
      auth,
      reconnection: false,
      // Without forceNew every io() to the same URL multiplexes over one shared connection.
      forceNew: true,
      timeout: timeoutMs,
    });
    this.socket = socket;
    socket.on('message:new', (m) => this.newFn(m.text));
    socket.on('disconnect', () => this.disconnectFn());
    return new Promise((resolve, reject) => {
      socket.once('connect_error', (err) => reject(new Error(`connect_error: ${err.message}`)));
      socket.once('connect', () => resolve());
    });
  }

  onNew(fn: (text: string) => void): void {
    this.newFn = fn;
  }

  onDisconnect(fn: () => void): void {
    this.disconnectFn = fn;
  }

  emit(event: string, payload: unknown, ack: (res: never) => void): void {
    // The typed event map is checked where the payloads are built; this adapter only forwards.
    (this.socket as Socket | undefined)?.emit(event, payload, ack);
  }

  close(): void {
    this.socket?.disconnect();
  }
}

async function connectOne(cfg: WorkerConfig, room: string, n: number): Promise<BenchConnection> {
  const auth = { name: `b${workerId}-${n}` };
  const conn: BenchConnection = cfg.client === 'socket.io' ? new SocketIoConnection(cfg.url) : new WireClient(cfg.url, '/chat');
  conns.push(conn);
  conn.onNew(onMessage);
  conn.onDisconnect(() => {
    if (!closing) disconnects++;
  });
  await conn.connect(auth, CONNECT_TIMEOUT_MS);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('join timeout')), CONNECT_TIMEOUT_MS);
    conn.emit('room:join', { room } satisfies JoinRequest, (res: AckResult<JoinResult>) => {
      clearTimeout(timer);
      if (res.ok) resolve();
      else reject(new Error(`join ${res.error.code}`));
    });
  });
  return conn;
}

async function connectAll(cfg: WorkerConfig): Promise<void> {
  const t0 = nowMs();
  const cpu0 = process.cpuUsage();
  const jobs: Array<{ room: string; sender: boolean; rate: number }> = [];
  for (const slice of cfg.rooms) {
    for (let i = 0; i < slice.clients; i++) jobs.push({ room: slice.room, sender: i < slice.senders, rate: slice.rate });
  }
  let next = 0;
  let connected = 0;
  let failed = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const n = next++;
      const job = jobs[n];
      if (!job) break;
      try {
        const conn = await connectOne(cfg, job.room, n);
        connected++;
        if (job.sender) senders.push({ conn, room: job.room, rate: job.rate, phaseMs: 0, sent: 0 });
      } catch (err) {
        failed++;
        count(errors, (err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency, jobs.length) }, lane));
  senders.forEach((s, i) => {
    s.phaseMs = ((cfg.firstSender + i) / Math.max(1, cfg.totalSenders)) * (1000 / s.rate);
  });
  send({ type: 'ready', id: cfg.id, connected, failed, errors, connectMs: nowMs() - t0, cpu: cpuSince(cpu0, t0) });
}

function run(cmd: StartCommand, textSize: number): void {
  win = cmd;
  // Not spaces: the server trims text. parseFloat stops at the space after the timestamp.
  const pad = ` ${'x'.repeat(Math.max(0, textSize - 19))}`;
  const delayResolutionMs = 5;
  const delay = monitorEventLoopDelay({ resolution: delayResolutionMs });
  let cpu0 = process.cpuUsage();
  let wall0 = nowMs();

  const sendOne = (s: Sender): void => {
    const sentAt = nowMs();
    const measured = sentAt >= cmd.measureFrom && sentAt < cmd.measureTo;
    s.sent++;
    // Time-ordered, as roomcast's own clients make them (web-components/chat-connection.ts).
    const clientId = uuidv7();
    if (measured) {
      sentByRoom[s.room] = (sentByRoom[s.room] ?? 0) + 1;
      ackPending++;
    }
    const req: SendRequest = { room: s.room, text: sentAt.toFixed(3) + pad, clientId };
    s.conn.emit('message:send', req, (res: AckResult<SendResult>) => {
      if (measured) ackPending--;
      if (!res.ok) count(ackErrors, res.error.code);
      else if (measured) {
        ackOk++;
        ack.add((nowMs() - sentAt) * 1000);
      }
    });
  };

  // Open loop: each sender owes floor(elapsed * rate) messages and catches up on every tick, so
  // a slow server does not slow the offered load (no coordinated omission).
  const tick = (): void => {
    const now = Math.min(nowMs(), cmd.measureTo);
    for (const s of senders) {
      const elapsed = now - cmd.startAt - s.phaseMs;
      if (elapsed < 0) continue;
      const due = Math.floor((elapsed * s.rate) / 1000) + 1;
      if (due - s.sent > 1) maxSendLagMs = Math.max(maxSendLagMs, ((due - s.sent - 1) * 1000) / s.rate);
      while (s.sent < due) sendOne(s);
    }
  };

  setTimeout(() => {
    const timer = setInterval(tick, 2);
    setTimeout(() => {
      delay.enable();
      cpu0 = process.cpuUsage();
      wall0 = nowMs();
    }, cmd.measureFrom - nowMs());
    setTimeout(() => {
      clearInterval(timer);
      const stoppedAt = nowMs();
      const poll = setInterval(() => {
        const now = nowMs();
        const quiet = now - lastReceiveAt >= cmd.drainQuietMs && ackPending === 0;
        if (!quiet && now - stoppedAt < cmd.drainMaxMs) return;
        clearInterval(poll);
        delay.disable();
        if (trace) {
          const slow = [...trace].filter(([, ms]) => ms > 30).map(([slot, ms]) => `${slot / 10}s:${ms.toFixed(0)}ms`);
          console.error(`  generator ${workerId}: sends with latency over 30 ms at ${slow.join(' ') || 'no time'}`);
        }
        send({
          type: 'stats',
          id: workerId,
          sentByRoom,
          received,
          receivedOther,
          ackOk,
          ackErrors,
          ackPending,
          e2e: e2e.toJSON(),
          ack: ack.toJSON(),
          cpu: cpuSince(cpu0, wall0),
          // The histogram records whole timer intervals, the resolution included.
          loopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - delayResolutionMs),
          maxSendLagMs,
          disconnects,
          drainMs: now - stoppedAt,
        });
      }, 50);
    }, cmd.measureTo - nowMs());
  }, cmd.startAt - nowMs());
}

function close(): void {
  closing = true;
  for (const c of conns) c.close();
  // Let the close frames go out before exiting.
  setTimeout(() => process.exit(0), 200);
}

let config: WorkerConfig | undefined;
process.on('message', (msg: ToWorker) => {
  try {
    if (msg.type === 'config') {
      config = msg;
      workerId = msg.id;
      void connectAll(msg);
    } else if (msg.type === 'start') {
      run(msg, config?.textSize ?? 64);
    } else {
      close();
    }
  } catch (err) {
    send({ type: 'error', id: workerId, message: (err as Error).stack ?? String(err) });
  }
});
// The orchestrator going away (crash, SIGKILL) must not leave generators behind.
process.on('disconnect', () => {
  if (!closing) close();
});

if (!process.send) {
  console.error('bench/load.ts is a child of bench/run.ts (it talks over the IPC channel); run `npm run bench`.');
  process.exit(2);
}
