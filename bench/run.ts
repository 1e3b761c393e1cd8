/**
 * The roomcast benchmark: runs each scenario against the built roomcast server and against a
 * bare Socket.IO server (bench/bare-server.ts) in the same run, one after the other, and prints
 * roomcast vs bare with the ratio. See docs/performance.md.
 *
 * The server under test is pinned to CPU 0 and the load generators (bench/load.ts, several
 * processes) to CPU 1, so the generators never steal the server's core. Server CPU time comes
 * from /proc/<pid>/stat over the measured window, RSS from /proc/<pid>/status.
 *
 * Usage: npm run bench -- [--only fanout,store] [--duration 10] [--runs 3] [--help]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Histogram,
  median,
  nowMs,
  readCoreBusyMs,
  waitForQuiet,
  readProcCpu,
  readProcCpuMs,
  readProcRssKiB,
  type FromFlooder,
  type FromWorker,
  type ReadyReport,
  type RoomSlice,
  type StatsReport,
  type ToFlooder,
  type ToWorker,
  type WorkerConfig,
} from './lib.js';
import { bareServerArgs, benchLimits } from './node-process.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Options

const HELP = `Usage: npm run bench -- [options]
   or: node --import tsx bench/run.ts [options]    (after npm run build)

Runs each scenario against roomcast (node dist/server.js) and a bare Socket.IO server, server
pinned to CPU 0 and load generators to CPU 1, and prints roomcast vs bare.

Scenarios:
  fanout      1 room x 200 clients, 5 senders x 20 msg/s = 20,000 deliveries/s
  fanout-max  1 room x 200 clients, 10 senders, --max-rate msg/s in total (220 = 44,000 deliveries/s)
  idle        --idle-conns connections (5,000), 5 per room, no traffic: server RSS per connection
  store       100 rooms x 2 clients, 1 sender per room, --store-rate msg/s in total (5,000): ack latency
  flood       20 rooms x 2 clients, 1 sender per room x 10 msg/s: chat ack latency quiet, then
              while bench/flood.ts (--flood-lanes connections) POSTs 6.4 MB deeply nested
              bodies without an API key to /api/push; roomcast only

Options (environment variable in brackets):
  --only LIST       comma-separated scenarios (default: all)                  [BENCH_ONLY]
  --targets LIST    roomcast,bare (default: both)                             [BENCH_TARGETS]
  --duration S      measured seconds per scenario (default 10)                [BENCH_DURATION]
  --warmup S        seconds of traffic before measuring (default 2)           [BENCH_WARMUP]
  --runs N          repeat everything N times, report medians (default 1)     [BENCH_RUNS]
  --max-rate N      fanout-max messages/s into the room (default 220)         [BENCH_MAX_RATE]
  --store-rate N    store messages/s over the 100 rooms (default 5000)        [BENCH_STORE_RATE]
  --idle-conns N    idle connections (default 5000)                           [BENCH_IDLE_CONNS]
  --flood-lanes N   flood connections, each sending when the last was answered (default 2)
                                                                              [BENCH_FLOOD_LANES]
  --flood-depth N   nesting depth of each flood body (default 3200000: 6.4 MB; 1 makes a
                    tiny body, to compare)                                    [BENCH_FLOOD_DEPTH]
  --quiet-wait S    before each measurement wait up to S s (default 60) until both CPUs have
                    been under 10 % busy for 3 s in a row                     [BENCH_QUIET_WAIT]
  --retries N       measure again, up to N times (default 2), when other programs used more
                    than 10 % of a CPU meanwhile, or 30 % in any half second  [BENCH_RETRIES]
  --env KEY=VALUE   extra environment for both servers (repeatable)
  --client KIND     generator client: wire (default: the Socket.IO wire format on a minimal
                    WebSocket, cheap enough for 44k deliveries/s on one core) or socket.io
                    (socket.io-client; saturates the generator core near 20k/s) [BENCH_CLIENT]
  --json PATH       also write every run's figures as JSON
  --help            this text

Diagnostics: ROOMCAST_ENTRY overrides the roomcast entry point (default dist/server.js).
BENCH_SERVER_CPU_PROF=DIR and BENCH_GEN_CPU_PROF=DIR make the servers or the load generators
write V8 CPU profiles (.cpuprofile) into DIR when they exit. BENCH_SERVER_NODE_ARGS adds node
flags to both servers (e.g. "--trace-gc"; NODE_OPTIONS refuses some). BENCH_TRACE=1 makes the
generators print when, in the measured window, latency went over 30 ms.`;

interface Options {
  only: string[];
  targets: TargetName[];
  duration: number;
  warmup: number;
  runs: number;
  maxRate: number;
  storeRate: number;
  idleConns: number;
  floodLanes: number;
  floodDepth: number;
  quietWait: number;
  retries: number;
  /** Extra environment for both servers, from --env KEY=VALUE. */
  serverEnv: Record<string, string>;
  client: 'wire' | 'socket.io';
  json?: string;
}

type TargetName = 'roomcast' | 'bare';
const SCENARIOS = ['fanout', 'fanout-max', 'idle', 'store', 'flood'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  const serverEnv: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg} (see --help)`);
    const eq = arg.indexOf('=');
    let name: string;
    let value: string | undefined;
    if (eq > 0) {
      name = arg.slice(2, eq);
      value = arg.slice(eq + 1);
    } else {
      name = arg.slice(2);
      value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value (see --help)`);
    }
    if (name === 'env') {
      const kv = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(value);
      if (!kv) throw new Error(`--env wants KEY=VALUE, got ${value}`);
      serverEnv[kv[1] as string] = kv[2] as string;
    } else flags.set(name, value);
  }
  const known = [
    'only',
    'targets',
    'duration',
    'warmup',
    'runs',
    'max-rate',
    'store-rate',
    'idle-conns',
    'flood-lanes',
    'flood-depth',
    'quiet-wait',
    'retries',
    'client',
    'json',
  ];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k} (see --help)`);
  const get = (flag: string, env: string, dflt: string): string => flags.get(flag) ?? process.env[env] ?? dflt;
  const num = (flag: string, env: string, dflt: number, min: number): number => {
    const v = Number(get(flag, env, String(dflt)));
    if (!Number.isFinite(v) || v < min) throw new Error(`--${flag} must be a number >= ${min}`);
    return v;
  };
  const only = get('only', 'BENCH_ONLY', SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}`);
  const targets = get('targets', 'BENCH_TARGETS', 'roomcast,bare')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of targets) if (t !== 'roomcast' && t !== 'bare') throw new Error(`unknown target ${t}`);
  const client = get('client', 'BENCH_CLIENT', 'wire');
  if (client !== 'wire' && client !== 'socket.io') throw new Error('--client must be wire or socket.io');
  const json = flags.get('json');
  return {
    only,
    targets: targets as TargetName[],
    duration: num('duration', 'BENCH_DURATION', 10, 1),
    warmup: num('warmup', 'BENCH_WARMUP', 2, 0),
    runs: Math.round(num('runs', 'BENCH_RUNS', 1, 1)),
    maxRate: num('max-rate', 'BENCH_MAX_RATE', 220, 1),
    storeRate: num('store-rate', 'BENCH_STORE_RATE', 5000, 100),
    idleConns: Math.round(num('idle-conns', 'BENCH_IDLE_CONNS', 5000, 5)),
    floodLanes: Math.round(num('flood-lanes', 'BENCH_FLOOD_LANES', 2, 1)),
    floodDepth: Math.round(num('flood-depth', 'BENCH_FLOOD_DEPTH', 3_200_000, 1)),
    quietWait: num('quiet-wait', 'BENCH_QUIET_WAIT', 60, 0),
    retries: Math.round(num('retries', 'BENCH_RETRIES', 2, 0)),
    serverEnv,
    client,
    ...(json ? { json } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface RoomPlan {
  room: string;
  clients: number;
  senders: number;
  rate: number;
}

interface Scenario {
  name: ScenarioName;
  title: string;
  rooms: RoomPlan[];
  workers: number;
}

function scenarioPlan(name: ScenarioName, o: Options): Scenario {
  switch (name) {
    case 'fanout':
      return {
        name,
        title: '1 room x 200 clients, 5 senders x 20 msg/s (20,000 deliveries/s offered)',
        rooms: [{ room: 'fanout', clients: 200, senders: 5, rate: 20 }],
        workers: 2,
      };
    case 'fanout-max': {
      const senders = 10;
      return {
        name,
        title: `1 room x 200 clients, ${senders} senders, ${o.maxRate} msg/s (${(o.maxRate * 200).toLocaleString('en')} deliveries/s offered)`,
        rooms: [{ room: 'fanout', clients: 200, senders, rate: o.maxRate / senders }],
        workers: 2,
      };
    }
    case 'idle': {
      const rooms = Math.ceil(o.idleConns / 5);
      return {
        name,
        title: `${o.idleConns.toLocaleString('en')} connections, ${rooms} rooms x 5, no traffic`,
        rooms: Array.from({ length: rooms }, (_, i) => ({
          room: `idle-${i}`,
          clients: Math.min(5, o.idleConns - i * 5),
          senders: 0,
          rate: 0,
        })),
        workers: 4,
      };
    }
    case 'flood':
      return {
        name,
        title: `20 rooms x 2 clients, 1 sender per room x 10 msg/s, quiet and under a flood of ${o.floodLanes} connections (bodies of ${(2 * o.floodDepth + 21).toLocaleString('en')} bytes)`,
        rooms: Array.from({ length: 20 }, (_, i) => ({ room: `flood-${i}`, clients: 2, senders: 1, rate: 10 })),
        workers: 1,
      };
    case 'store':
      return {
        name,
        title: `100 rooms x 2 clients, 1 sender per room x ${o.storeRate / 100} msg/s (${o.storeRate.toLocaleString('en')} stored msg/s offered)`,
        rooms: Array.from({ length: 100 }, (_, i) => ({ room: `store-${i}`, clients: 2, senders: 1, rate: o.storeRate / 100 })),
        workers: 2,
      };
  }
}

/** Spreads every room's clients over the generator processes, senders and listeners separately. */
function splitRooms(rooms: RoomPlan[], workers: number): RoomSlice[][] {
  const out: Array<Map<string, RoomSlice>> = Array.from({ length: workers }, () => new Map());
  let nextSender = 0;
  let nextListener = 0;
  for (const r of rooms) {
    for (let i = 0; i < r.clients; i++) {
      const sender = i < r.senders;
      const w = sender ? nextSender++ % workers : nextListener++ % workers;
      const slices = out[w] as Map<string, RoomSlice>;
      const slice = slices.get(r.room) ?? { room: r.room, clients: 0, senders: 0, rate: r.rate };
      slice.clients++;
      if (sender) slice.senders++;
      slices.set(r.room, slice);
    }
  }
  // A slice's senders must come first among its clients; load.ts makes the first `senders` send.
  return out.map((m) => [...m.values()]).filter((s) => s.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

function killAllNow(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

interface RunningServer {
  target: TargetName;
  pid: number;
  url: string;
  /** Rejects if the server exits before stop() is called. */
  died: Promise<never>;
  stop(): Promise<void>;
}

/** With the env var set to a directory, the process writes a V8 CPU profile there on exit. */
function cpuProfArgs(envName: string, name: string): string[] {
  const dir = process.env[envName];
  if (!dir) return [];
  // One directory per process: a TypeScript loader's hooks thread writes a profile of its own.
  const out = resolve(dir, `${name}-${Date.now()}`);
  mkdirSync(out, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${out}`];
}

async function startServer(target: TargetName, o: Options, scenarioEnv: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'roomcast-bench-'));
  tempDirs.push(dir);
  let args: string[];
  if (target === 'roomcast') {
    const entry = resolve(root, process.env.ROOMCAST_ENTRY ?? 'dist/server.js');
    if (!existsSync(entry)) throw new Error(`${entry} does not exist: run \`npm run build\` first (npm run bench does)`);
    args = [entry];
  } else {
    args = await bareServerArgs();
  }
  // A clean environment: a REDIS_URL or JWT_SECRET in the caller's shell must not change what is
  // measured. --env adds to it.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: tmpdir(),
    ...o.serverEnv,
    ...scenarioEnv,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_PATH: join(dir, 'roomcast.sqlite'),
    LOG_LEVEL: 'warn',
    ...benchLimits,
  };
  const prof = [
    ...cpuProfArgs('BENCH_SERVER_CPU_PROF', target),
    ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  ];
  const child = track(
    spawn('taskset', ['-c', '0', process.execPath, ...prof, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const tail: string[] = [];
  const onOutput = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      // LOG_LEVEL=warn: anything the server prints is worth seeing.
      console.error(`  [${target}] ${line.length > 300 ? `${line.slice(0, 300)}...` : line}`);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let stopping = false;
  const died = new Promise<never>((_, rej) => {
    child.once('exit', (code, signal) => {
      if (!stopping) rej(new Error(`${target} server exited (code ${code}, signal ${signal}):\n${tail.join('\n')}`));
    });
  });
  died.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null) await died;
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${target} server did not answer /healthz within 30 s:\n${tail.join('\n')}`);
      await sleep(100);
    }
    if (child.pid === undefined) throw new Error(`${target} server has no pid`);
  } catch (err) {
    stopping = true;
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    target,
    pid: child.pid,
    url,
    died,
    stop: async () => {
      stopping = true;
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A load-generator process on CPU 1 and a queue of what it reports. */
class Generator {
  readonly child: ChildProcess;
  private readonly inbox: FromWorker[] = [];
  private waiter: (() => void) | undefined;
  private exitError: Error | undefined;

  constructor(readonly id: number) {
    this.child = track(
      spawn(
        'taskset',
        [
          '-c',
          '1',
          process.execPath,
          ...cpuProfArgs('BENCH_GEN_CPU_PROF', `load-${id}`),
          '--import',
          'tsx',
          join(root, 'bench', 'load.ts'),
        ],
        {
          cwd: root,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        },
      ),
    );
    this.child.on('message', (msg: FromWorker) => {
      this.inbox.push(msg);
      this.waiter?.();
    });
    this.child.once('exit', (code, signal) => {
      this.exitError = new Error(`load generator ${id} exited (code ${code}, signal ${signal})`);
      this.waiter?.();
    });
  }

  send(msg: ToWorker): void {
    this.child.send(msg);
  }

  async next<T extends FromWorker['type']>(type: T, timeoutMs: number): Promise<Extract<FromWorker, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const msg = this.inbox.shift();
      if (msg) {
        if (msg.type === 'error') throw new Error(`load generator ${this.id}: ${msg.message}`);
        if (msg.type === type) return msg as Extract<FromWorker, { type: T }>;
        continue;
      }
      if (this.exitError) throw this.exitError;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`load generator ${this.id}: no '${type}' within ${timeoutMs} ms`);
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.waiter = () => {
          clearTimeout(timer);
          res();
        };
      });
      this.waiter = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((res) => this.child.once('exit', () => res()));
    if (this.child.connected) this.send({ type: 'close' });
    const timer = setTimeout(() => void stopChild(this.child, 1000), 5000);
    await exited;
    clearTimeout(timer);
  }
}

async function startGenerators(
  url: string,
  slices: RoomSlice[][],
  firstId: number,
  died: Promise<never>,
  o: Options,
): Promise<{ gens: Generator[]; ready: ReadyReport[] }> {
  const gens = slices.map((_, i) => new Generator(firstId + i));
  // Each process's first sender's global index, so sends are spread evenly across processes.
  const firstSenders: number[] = [];
  let totalSenders = 0;
  for (const rooms of slices) {
    firstSenders.push(totalSenders);
    totalSenders += rooms.reduce((n, r) => n + r.senders, 0);
  }
  const configs: WorkerConfig[] = gens.map((g, i) => ({
    type: 'config',
    id: g.id,
    url,
    rooms: slices[i] as RoomSlice[],
    concurrency: 50,
    textSize: 64,
    firstSender: firstSenders[i] as number,
    totalSenders,
    client: o.client,
  }));
  for (const [i, g] of gens.entries()) g.send(configs[i] as WorkerConfig);
  const ready = await Promise.race([Promise.all(gens.map((g) => g.next('ready', 180_000))), died]);
  const failed = ready.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) {
    const errors: Record<string, number> = {};
    for (const r of ready) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    await Promise.all(gens.map((g) => g.close()));
    throw new Error(`${failed} connections failed: ${JSON.stringify(errors)}`);
  }
  return { gens, ready };
}

// ---------------------------------------------------------------------------------------------
// Measurements

/** Noise thresholds: other programs' share of either CPU, in %, on average and in any 0.5 s. */
const QUIET_PCT = 10;
const PEAK_PCT = 30;

/** Why a measurement is too noisy to keep, or undefined. */
function noiseOf(f: Figures): string | undefined {
  const avg = Math.max(f.otherCpu0Pct ?? 0, f.otherCpu1Pct ?? 0);
  if (avg > QUIET_PCT) return `other programs used ${avg.toFixed(0)} % of a CPU meanwhile`;
  const peak = Math.max(f.otherCpu0PeakPct ?? 0, f.otherCpu1PeakPct ?? 0);
  if (peak > PEAK_PCT) return `other programs took ${peak.toFixed(0)} % of a CPU for half a second`;
  return undefined;
}

type Figures = Record<string, number>;

/**
 * Samples every 0.5 s how much of each CPU went to something other than the server (CPU 0) or
 * the generators (CPU 1). A second of another program on CPU 0 is enough to put a spike into a
 * p99, and a whole-window average hides it.
 */
class NoiseSampler {
  peak0 = 0;
  peak1 = 0;
  private readonly timer: NodeJS.Timeout;
  private last: number[];

  constructor(
    private readonly serverPid: number,
    private readonly genPids: number[],
  ) {
    this.last = this.read();
    this.timer = setInterval(() => {
      const now = this.read();
      const [wall, c0, c1, srv, gen] = now.map((v, i) => v - (this.last[i] as number)) as [number, number, number, number, number];
      this.last = now;
      this.peak0 = Math.max(this.peak0, (100 * (c0 - srv)) / wall);
      this.peak1 = Math.max(this.peak1, (100 * (c1 - gen)) / wall);
    }, 500);
  }

  private read(): number[] {
    let gen = 0;
    for (const pid of this.genPids) {
      try {
        gen += readProcCpuMs(pid);
      } catch {
        // A generator that already exited adds nothing more.
      }
    }
    return [nowMs(), readCoreBusyMs(0), readCoreBusyMs(1), readProcCpuMs(this.serverPid), gen];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** `others`: more processes of ours on CPU 1 (the flooder), not counted as noise. */
async function measureTraffic(server: RunningServer, sc: Scenario, o: Options, others: number[] = []): Promise<Figures> {
  const slices = splitRooms(sc.rooms, sc.workers);
  const { gens } = await startGenerators(server.url, slices, 1, server.died, o);
  try {
    // Let join-time work (presence broadcasts, history reads) finish before the clock starts.
    await sleep(1000);
    const startAt = nowMs() + 300;
    const measureFrom = startAt + o.warmup * 1000;
    const measureTo = measureFrom + o.duration * 1000;
    const drainMaxMs = 10_000;
    for (const g of gens) g.send({ type: 'start', startAt, measureFrom, measureTo, drainQuietMs: 500, drainMaxMs });
    await sleep(measureFrom - nowMs());
    const cpu0 = readProcCpu(server.pid);
    const core0 = readCoreBusyMs(0);
    const core1 = readCoreBusyMs(1);
    const wall0 = nowMs();
    const othersMs = () => others.reduce((n, pid) => n + readProcCpuMs(pid), 0);
    const others0 = othersMs();
    const noise = new NoiseSampler(server.pid, [...gens.map((g) => g.child.pid ?? 0), ...others]);
    const stats: StatsReport[] = await Promise.race([
      Promise.all(gens.map((g) => g.next('stats', measureTo - nowMs() + drainMaxMs + 30_000))),
      server.died,
    ]).finally(() => noise.stop());
    const cpu1 = readProcCpu(server.pid);
    const serverCpuMs = cpu1.userMs + cpu1.sysMs - cpu0.userMs - cpu0.sysMs;
    const serverSysMs = cpu1.sysMs - cpu0.sysMs;
    const core0Ms = readCoreBusyMs(0) - core0;
    const core1Ms = readCoreBusyMs(1) - core1 - (othersMs() - others0);
    const wallMs = nowMs() - wall0;
    const rssKiB = readProcRssKiB(server.pid);

    const sizeOf = new Map(sc.rooms.map((r) => [r.room, r.clients]));
    let sent = 0;
    let expected = 0;
    for (const s of stats) {
      for (const [room, n] of Object.entries(s.sentByRoom)) {
        sent += n;
        expected += n * (sizeOf.get(room) ?? 0);
      }
    }
    const e2e = new Histogram();
    const ack = new Histogram();
    for (const s of stats) {
      e2e.merge(s.e2e);
      ack.merge(s.ack);
    }
    const sum = (f: (s: StatsReport) => number): number => stats.reduce((n, s) => n + f(s), 0);
    const received = sum((s) => s.received);
    const ackErrors = sum((s) => Object.values(s.ackErrors).reduce((a, b) => a + b, 0));
    const genCpu = stats.map((s) => (100 * s.cpu.cpuMs) / s.cpu.wallMs);
    const genCpuMs = sum((s) => s.cpu.cpuMs);
    return {
      sentPerSec: sent / o.duration,
      ackedPerSec: sum((s) => s.ackOk) / o.duration,
      deliveredPerSec: received / o.duration,
      expected,
      received,
      loss: expected - received,
      ackErrors,
      ackPending: sum((s) => s.ackPending),
      e2eP50: e2e.percentile(50) / 1000,
      e2eP99: e2e.percentile(99) / 1000,
      e2eMax: e2e.percentile(100) / 1000,
      ackP50: ack.percentile(50) / 1000,
      ackP99: ack.percentile(99) / 1000,
      serverCpuPct: (100 * serverCpuMs) / wallMs,
      serverSysPct: serverCpuMs > 0 ? (100 * serverSysMs) / serverCpuMs : Number.NaN,
      cpuUsPerDelivery: received > 0 ? (serverCpuMs * 1000) / received : Number.NaN,
      cpuUsPerMessage: sent > 0 ? (serverCpuMs * 1000) / sent : Number.NaN,
      serverRssMiB: rssKiB / 1024,
      genCpuPctSum: genCpu.reduce((a, b) => a + b, 0),
      genCpuPctMax: Math.max(...genCpu),
      genSysPct: (100 * sum((s) => s.cpu.sysMs)) / sum((s) => s.cpu.cpuMs),
      genLoopDelayP99Ms: Math.max(...stats.map((s) => s.loopDelayP99Ms)),
      genSendLagMaxMs: Math.max(...stats.map((s) => s.maxSendLagMs)),
      disconnects: sum((s) => s.disconnects),
      // Whatever else ran on the two CPUs meanwhile (other programs, interrupts): noise.
      otherCpu0Pct: Math.max(0, (100 * (core0Ms - serverCpuMs)) / wallMs),
      otherCpu1Pct: Math.max(0, (100 * (core1Ms - genCpuMs)) / wallMs),
      otherCpu0PeakPct: Math.max(0, noise.peak0),
      otherCpu1PeakPct: Math.max(0, noise.peak1),
      generators: gens.length,
    };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
  }
}

/** Median of a few RSS samples, so one GC moment does not decide the figure. */
async function sampleRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(readProcRssKiB(pid));
    await sleep(200);
  }
  return median(samples);
}

async function measureIdle(server: RunningServer, sc: Scenario, o: Options): Promise<Figures> {
  // A first batch of connections loads every lazy code path and warms the allocator, so the
  // delta below is what one more connection costs, not the first one's one-time setup.
  const warmRooms: RoomPlan[] = Array.from({ length: 10 }, (_, i) => ({ room: `warm-${i}`, clients: 5, senders: 0, rate: 0 }));
  const warm = await startGenerators(server.url, splitRooms(warmRooms, 1), 0, server.died, o);
  const gens = [...warm.gens];
  try {
    await sleep(3000);
    const rss0 = await sampleRss(server.pid);
    const core0 = readCoreBusyMs(0);
    const core1 = readCoreBusyMs(1);
    const span0 = nowMs();
    const cpuConnect0 = readProcCpuMs(server.pid);
    const t0 = nowMs();
    const main = await startGenerators(server.url, splitRooms(sc.rooms, sc.workers), 1, server.died, o);
    gens.push(...main.gens);
    const connectMs = nowMs() - t0;
    const connectCpuMs = readProcCpuMs(server.pid) - cpuConnect0;
    const conns = sc.rooms.reduce((n, r) => n + r.clients, 0);
    const settleMs = 5000;
    const cpuIdle0 = readProcCpuMs(server.pid);
    await Promise.race([sleep(settleMs), server.died]);
    const idleCpuMs = readProcCpuMs(server.pid) - cpuIdle0;
    const rss1 = await sampleRss(server.pid);
    const spanMs = nowMs() - span0;
    const serverSpanMs = readProcCpuMs(server.pid) - cpuConnect0;
    // The generators started inside the span, so their whole CPU time (start-up included) is in it.
    const genSpanMs = main.gens.reduce((n, g) => n + (g.child.pid === undefined ? 0 : readProcCpuMs(g.child.pid)), 0);
    const genCpu = main.ready.map((r) => (100 * r.cpu.cpuMs) / r.cpu.wallMs);
    return {
      connections: conns,
      rssBeforeMiB: rss0 / 1024,
      rssAfterMiB: rss1 / 1024,
      rssPerConnKiB: (rss1 - rss0) / conns,
      connectPerSec: conns / (connectMs / 1000),
      cpuUsPerConnect: (connectCpuMs * 1000) / conns,
      idleCpuPct: (100 * idleCpuMs) / settleMs,
      genCpuPctSum: genCpu.reduce((a, b) => a + b, 0),
      genCpuPctMax: Math.max(...genCpu),
      otherCpu0Pct: Math.max(0, (100 * (readCoreBusyMs(0) - core0 - serverSpanMs)) / spanMs),
      otherCpu1Pct: Math.max(0, (100 * (readCoreBusyMs(1) - core1 - genSpanMs)) / spanMs),
      generators: main.gens.length,
    };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
  }
}

/**
 * bench/flood.ts on CPU 1, beside the generators, at the lowest priority: it takes what CPU 1 has
 * left, but never delays the chat clients, whose own clocks time the acks.
 */
function startFlooder(url: string, o: Options) {
  const child = track(
    spawn('taskset', ['-c', '1', 'nice', '-n', '19', process.execPath, '--import', 'tsx', join(root, 'bench', 'flood.ts')], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const next = <T extends FromFlooder['type']>(type: T, timeoutMs: number) =>
    new Promise<Extract<FromFlooder, { type: T }>>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`flooder: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', () => rej(new Error('flooder exited')));
      const onMessage = (msg: FromFlooder) => {
        if (msg.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        res(msg as Extract<FromFlooder, { type: T }>);
      };
      child.on('message', onMessage);
    });
  const flooding = next('flooding', 60_000);
  child.send({ type: 'flood', url, lanes: o.floodLanes, depth: o.floodDepth } satisfies ToFlooder);
  return {
    child,
    pid: child.pid ?? 0,
    flooding,
    async stop() {
      const report = next('report', 30_000);
      child.send({ type: 'stop' } satisfies ToFlooder);
      return report;
    },
  };
}

/**
 * Asks `GET /healthz` every 100 ms on a new connection, as a load balancer's health check does,
 * until `stop()`, which resolves to the times to the answer in µs.
 */
function probeHealth(url: string) {
  const times = new Histogram();
  let stopped = false;
  const one = () =>
    new Promise<void>((res) => {
      const started = nowMs();
      const req = httpGet(`${url}/healthz`, { agent: false }, (answer) => {
        times.add((nowMs() - started) * 1000);
        // No TIME_WAIT left behind (see bench/flood.ts).
        answer.socket.resetAndDestroy();
        res();
      });
      req.on('error', () => res());
    });
  const loop = (async () => {
    while (!stopped) {
      await one();
      await sleep(100);
    }
  })();
  return {
    async stop(): Promise<Histogram> {
      stopped = true;
      await loop;
      return times;
    },
  };
}

/**
 * The chat load twice on one server: quiet, then while bench/flood.ts floods `POST /api/push`
 * with the issue's unauthenticated 6.4 MB nested bodies. Figures are `quiet.*` and `flood.*`
 * with the flooder's own; the noise figures are the worse window's.
 */
async function measureFlood(server: RunningServer, sc: Scenario, o: Options): Promise<Figures> {
  const quiet = await measureTraffic(server, sc, o);
  const flooder = startFlooder(server.url, o);
  flooder.flooding.catch(() => undefined);
  try {
    await Promise.race([flooder.flooding, server.died]);
    const probe = probeHealth(server.url);
    const flood = await measureTraffic(server, sc, o, [flooder.pid]);
    const health = await probe.stop();
    const report = await flooder.stop();
    const answer = new Histogram();
    answer.merge(report.answer);
    const answered = Object.values(report.byStatus).reduce((a, b) => a + b, 0);
    const figures: Figures = {};
    for (const [k, v] of Object.entries(quiet)) figures[`quiet.${k}`] = v;
    for (const [k, v] of Object.entries(flood)) figures[`flood.${k}`] = v;
    for (const k of ['otherCpu0Pct', 'otherCpu1Pct', 'otherCpu0PeakPct', 'otherCpu1PeakPct']) {
      figures[k] = Math.max(quiet[k] ?? 0, flood[k] ?? 0);
    }
    return {
      ...figures,
      ackP99Ratio: (flood.ackP99 as number) / (quiet.ackP99 as number),
      floodPerSec: answered / report.seconds,
      flood401: (report.byStatus['401'] ?? 0) / Math.max(1, answered),
      floodOther: answered - (report.byStatus['401'] ?? 0),
      floodErrors: Object.values(report.errors).reduce((a, b) => a + b, 0),
      floodAnswerP50: answer.percentile(50) / 1000,
      floodAnswerP99: answer.percentile(99) / 1000,
      healthP99: health.percentile(99) / 1000,
      healthMax: health.percentile(100) / 1000,
      flooderCpuPct: (100 * report.cpu.cpuMs) / report.cpu.wallMs,
    };
  } finally {
    await stopChild(flooder.child);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  key: string;
  label: string;
  digits: number;
  /** Show roomcast/bare for this row. */
  ratio?: boolean;
}

const TRAFFIC_ROWS: Row[] = [
  { key: 'sentPerSec', label: 'messages sent/s', digits: 0 },
  { key: 'deliveredPerSec', label: 'deliveries/s', digits: 0, ratio: true },
  { key: 'loss', label: 'lost deliveries', digits: 0 },
  { key: 'ackErrors', label: 'failed acks', digits: 0 },
  { key: 'ackPending', label: 'unanswered acks', digits: 0 },
  { key: 'e2eP50', label: 'end-to-end p50 (ms)', digits: 2, ratio: true },
  { key: 'e2eP99', label: 'end-to-end p99 (ms)', digits: 2, ratio: true },
  { key: 'e2eMax', label: 'end-to-end max (ms)', digits: 1, ratio: true },
  { key: 'ackP50', label: 'ack p50 (ms)', digits: 2, ratio: true },
  { key: 'ackP99', label: 'ack p99 (ms)', digits: 2, ratio: true },
  { key: 'serverCpuPct', label: 'server CPU (% of 1 core)', digits: 1, ratio: true },
  { key: 'serverSysPct', label: 'server CPU in kernel (%)', digits: 0 },
  { key: 'cpuUsPerDelivery', label: 'server CPU per delivery (µs)', digits: 2, ratio: true },
  { key: 'cpuUsPerMessage', label: 'server CPU per message (µs)', digits: 1, ratio: true },
  { key: 'serverRssMiB', label: 'server RSS at end (MiB)', digits: 1, ratio: true },
  { key: 'genCpuPctSum', label: 'generators CPU, sum (% of core 1)', digits: 1 },
  { key: 'genCpuPctMax', label: 'generator CPU, busiest process (%)', digits: 1 },
  { key: 'genSysPct', label: 'generators CPU in kernel (%)', digits: 0 },
  { key: 'genLoopDelayP99Ms', label: 'generator event-loop delay p99 (ms)', digits: 1 },
  { key: 'genSendLagMaxMs', label: 'generator send lag max (ms)', digits: 1 },
  { key: 'disconnects', label: 'unexpected disconnects', digits: 0 },
  { key: 'otherCpu0Pct', label: 'other load on CPU 0 (%)', digits: 1 },
  { key: 'otherCpu1Pct', label: 'other load on CPU 1 (%)', digits: 1 },
  { key: 'otherCpu0PeakPct', label: 'other load on CPU 0, worst 0.5 s (%)', digits: 0 },
  { key: 'otherCpu1PeakPct', label: 'other load on CPU 1, worst 0.5 s (%)', digits: 0 },
];

const IDLE_ROWS: Row[] = [
  { key: 'connections', label: 'connections (joined)', digits: 0 },
  { key: 'rssBeforeMiB', label: 'server RSS before (MiB)', digits: 1, ratio: true },
  { key: 'rssAfterMiB', label: 'server RSS after (MiB)', digits: 1, ratio: true },
  { key: 'rssPerConnKiB', label: 'RSS per connection (KiB)', digits: 2, ratio: true },
  { key: 'connectPerSec', label: 'connect+join rate (/s)', digits: 0, ratio: true },
  { key: 'cpuUsPerConnect', label: 'server CPU per connect+join (µs)', digits: 0, ratio: true },
  { key: 'idleCpuPct', label: 'server CPU while idle (%)', digits: 2 },
  { key: 'genCpuPctSum', label: 'generators CPU while connecting, sum (%)', digits: 1 },
  { key: 'otherCpu0Pct', label: 'other load on CPU 0 (%)', digits: 1 },
  { key: 'otherCpu1Pct', label: 'other load on CPU 1 (%)', digits: 1 },
];

function fmt(v: number | undefined, digits: number): string {
  if (v === undefined) return '-';
  if (Number.isNaN(v)) return 'n/a';
  return v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

interface Outcome {
  figures: Partial<Record<TargetName, Figures>>;
  /** Why a target could not be measured, if it could not. */
  failures: Partial<Record<TargetName, string>>;
}

function medianFigures(runs: Figures[]): Figures | undefined {
  if (runs.length === 0) return undefined;
  const out: Figures = {};
  for (const key of Object.keys(runs[0] as Figures)) out[key] = median(runs.map((r) => r[key] ?? Number.NaN));
  return out;
}

interface Verdict {
  goal: string;
  measured: string;
  pass: boolean | undefined;
}

function verdict(name: ScenarioName, rc: Figures | undefined, bare: Figures | undefined, o: Options): Verdict {
  const u = undefined;
  switch (name) {
    case 'fanout': {
      const ratio = rc && bare ? (rc.cpuUsPerDelivery as number) / (bare.cpuUsPerDelivery as number) : Number.NaN;
      return {
        goal: 'server CPU per delivery <= 1.25 x bare at 20k deliveries/s',
        measured: `${fmt(rc?.cpuUsPerDelivery, 2)} µs vs ${fmt(bare?.cpuUsPerDelivery, 2)} µs = ${fmt(ratio, 2)} x`,
        pass: Number.isNaN(ratio) ? u : ratio <= 1.25 && rc?.loss === 0,
      };
    }
    case 'fanout-max':
      return {
        goal: '>= 40,000 deliveries/s, no loss, p99 < 100 ms',
        measured: `${fmt(rc?.deliveredPerSec, 0)}/s, loss ${fmt(rc?.loss, 0)}, p99 ${fmt(rc?.e2eP99, 1)} ms`,
        pass: rc ? (rc.deliveredPerSec as number) >= 40_000 && rc.loss === 0 && (rc.e2eP99 as number) < 100 : u,
      };
    case 'idle':
      return {
        goal: '<= 20 KiB RSS per idle joined connection at 5,000',
        measured: `${fmt(rc?.rssPerConnKiB, 2)} KiB`,
        pass: rc && o.idleConns === 5000 ? (rc.rssPerConnKiB as number) <= 20 : u,
      };
    case 'flood': {
      const ratio = rc?.ackP99Ratio ?? Number.NaN;
      return {
        goal: 'chat ack p99 under the unauthenticated flood <= 2 x quiet p99',
        // Each run's flood p99 over its own quiet p99 (the VM's speed drifts between runs more
        // than within one), the median of those; the medians of each column are beside it.
        measured: `${fmt(ratio, 2)} x (each run's flood p99 / its quiet p99, median of the runs; medians ${fmt(rc?.['flood.ackP99'], 1)} ms flood, ${fmt(rc?.['quiet.ackP99'], 1)} ms quiet), ${fmt(rc?.floodPerSec, 0)} flood requests/s answered 401`,
        pass: rc
          ? ratio <= 2 && rc['flood.ackErrors'] === 0 && rc['flood.ackPending'] === 0 && rc.floodOther === 0 && rc['flood.loss'] === 0
          : u,
      };
    }
    case 'store':
      return {
        goal: '5,000 stored msg/s across 100 rooms, ack p99 < 50 ms',
        measured: `${fmt(rc?.ackedPerSec, 0)} acked/s, ack p99 ${fmt(rc?.ackP99, 1)} ms, failed ${fmt(rc?.ackErrors, 0)}, unanswered ${fmt(rc?.ackPending, 0)}`,
        // Only a run at the target rate can pass or fail it.
        pass:
          rc && o.storeRate === 5000
            ? (rc.ackedPerSec as number) >= 4950 && rc.ackErrors === 0 && rc.ackPending === 0 && (rc.ackP99 as number) < 50
            : u,
      };
  }
}

/** Rows of the flood scenario shown quiet vs flood; then the flood's own figures. */
const FLOOD_PAIRED_ROWS: Row[] = [
  { key: 'sentPerSec', label: 'chat messages sent/s', digits: 0 },
  { key: 'loss', label: 'lost deliveries', digits: 0 },
  { key: 'ackErrors', label: 'failed acks', digits: 0 },
  { key: 'ackPending', label: 'unanswered acks', digits: 0 },
  { key: 'ackP50', label: 'ack p50 (ms)', digits: 2, ratio: true },
  { key: 'ackP99', label: 'ack p99 (ms)', digits: 2, ratio: true },
  { key: 'e2eP99', label: 'end-to-end p99 (ms)', digits: 2, ratio: true },
  { key: 'serverCpuPct', label: 'server CPU (% of 1 core)', digits: 1, ratio: true },
  { key: 'serverRssMiB', label: 'server RSS at end (MiB)', digits: 1, ratio: true },
  { key: 'genLoopDelayP99Ms', label: 'generator event-loop delay p99 (ms)', digits: 1 },
];

const FLOOD_ROWS: Row[] = [
  { key: 'floodPerSec', label: 'flood requests answered/s', digits: 0 },
  { key: 'flood401', label: 'share answered 401', digits: 3 },
  { key: 'floodOther', label: 'answered otherwise', digits: 0 },
  { key: 'floodErrors', label: 'reset before the 401 was read', digits: 0 },
  { key: 'floodAnswerP50', label: 'time to the 401 (flooder), p50 (ms)', digits: 2 },
  { key: 'floodAnswerP99', label: 'time to the 401 (flooder), p99 (ms)', digits: 2 },
  { key: 'healthP99', label: 'GET /healthz during the flood, p99 (ms)', digits: 2 },
  { key: 'healthMax', label: 'GET /healthz during the flood, max (ms)', digits: 1 },
  { key: 'flooderCpuPct', label: 'flooder CPU (% of core 1)', digits: 1 },
  { key: 'otherCpu0Pct', label: 'other load on CPU 0, worse window (%)', digits: 1 },
  { key: 'otherCpu1Pct', label: 'other load on CPU 1, worse window (%)', digits: 1 },
];

function printFlood(sc: Scenario, out: Outcome, o: Options): void {
  const rc = out.figures.roomcast;
  const runs = o.runs > 1 ? `median of ${o.runs} runs` : '1 run';
  console.log(`\n${sc.name}: ${sc.title}; roomcast only, each window ${o.duration} s after ${o.warmup} s warm-up, ${runs}`);
  const w = [40, 12, 12, 8];
  console.log(
    `  ${pad('', w[0] as number)}${pad('quiet', w[1] as number, true)}${pad('flood', w[2] as number, true)}${pad('ratio', w[3] as number, true)}`,
  );
  for (const row of FLOOD_PAIRED_ROWS) {
    const a = rc?.[`quiet.${row.key}`];
    const b = rc?.[`flood.${row.key}`];
    const ratio = row.ratio && a !== undefined && b !== undefined && a !== 0 ? fmt(b / a, 2) : '';
    console.log(
      `  ${pad(row.label, w[0] as number)}${pad(fmt(a, row.digits), w[1] as number, true)}${pad(fmt(b, row.digits), w[2] as number, true)}${pad(ratio, w[3] as number, true)}`,
    );
  }
  for (const row of FLOOD_ROWS)
    console.log(
      `  ${pad(row.label, w[0] as number)}${pad('', w[1] as number)}${pad(fmt(rc?.[row.key], row.digits), w[2] as number, true)}`,
    );
  for (const [t, why] of Object.entries(out.failures)) console.log(`  ${t} FAILED: ${why}`);
  const why = rc && noiseOf(rc);
  if (why) console.log(`  NOTE: ${why} (median): the figures are skewed.`);
}

function printScenario(sc: Scenario, out: Outcome, o: Options): void {
  if (sc.name === 'flood') return printFlood(sc, out, o);
  const rows = sc.name === 'idle' ? IDLE_ROWS : TRAFFIC_ROWS;
  const rc = out.figures.roomcast;
  const bare = out.figures.bare;
  const runs = o.runs > 1 ? `median of ${o.runs} runs` : '1 run';
  const span = sc.name === 'idle' ? runs : `${o.duration} s measured after ${o.warmup} s warm-up, ${runs}`;
  console.log(`\n${sc.name}: ${sc.title}; ${span}`);
  const w = [40, 12, 12, 8];
  console.log(
    `  ${pad('', w[0] as number)}${pad('roomcast', w[1] as number, true)}${pad('bare', w[2] as number, true)}${pad('ratio', w[3] as number, true)}`,
  );
  for (const row of rows) {
    const a = rc?.[row.key];
    const b = bare?.[row.key];
    const ratio = row.ratio && a !== undefined && b !== undefined && b !== 0 ? fmt(a / b, 2) : '';
    console.log(
      `  ${pad(row.label, w[0] as number)}${pad(fmt(a, row.digits), w[1] as number, true)}${pad(fmt(b, row.digits), w[2] as number, true)}${pad(ratio, w[3] as number, true)}`,
    );
  }
  for (const [t, why] of Object.entries(out.failures)) console.log(`  ${t} FAILED: ${why}`);
  const why = (rc && noiseOf(rc)) ?? (bare && noiseOf(bare));
  if (why) console.log(`  NOTE: ${why} (median): the figures are skewed.`);
}

function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // Not Linux; the taskset pinning would have failed already anyway.
  }
  return `${cpus().length} CPUs (${model}), Node ${process.version}, ${process.platform} ${process.arch}`;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (cpus().length < 2) throw new Error('needs at least 2 CPUs: the server runs on CPU 0, the generators on CPU 1');
  const scenarios = o.only.map((n) => scenarioPlan(n as ScenarioName, o));
  console.log(`roomcast bench: ${machine()}`);
  console.log(`server pinned to CPU 0, load generators to CPU 1; targets: ${o.targets.join(', ')}; runs: ${o.runs}`);

  const all: Record<string, Partial<Record<TargetName, Figures[]>>> = {};
  const failures: Record<string, Partial<Record<TargetName, string>>> = {};

  /** One measurement on a fresh server; undefined (and the failure recorded) when it failed. */
  async function measureOnce(target: TargetName, sc: Scenario, label: string): Promise<Figures | undefined> {
    let server: RunningServer | undefined;
    try {
      if (o.quietWait > 0) await waitForQuiet(o.quietWait * 1000, QUIET_PCT);
      // The flood is refused for want of this key: a server with the backend API on, as deployed.
      server = await startServer(target, o, sc.name === 'flood' ? { API_KEY: 'bench-api-key-0123456789' } : {});
      const measure = sc.name === 'idle' ? measureIdle : sc.name === 'flood' ? measureFlood : measureTraffic;
      const figures = await measure(server, sc, o);
      const brief =
        sc.name === 'idle'
          ? `${fmt(figures.rssPerConnKiB, 2)} KiB/conn`
          : sc.name === 'flood'
            ? `ack p99 ${fmt(figures['quiet.ackP99'], 1)} ms quiet, ${fmt(figures['flood.ackP99'], 1)} ms under ${fmt(figures.floodPerSec, 0)} flood requests/s`
            : `${fmt(figures.deliveredPerSec, 0)} deliveries/s, loss ${fmt(figures.loss, 0)}, p99 ${fmt(figures.e2eP99, 1)} ms, ${fmt(figures.cpuUsPerDelivery, 2)} µs/delivery, generators ${fmt(figures.genCpuPctSum, 0)} %`;
      process.stderr.write(`${label}: ${brief}\n`);
      return figures;
    } catch (err) {
      const message = (err as Error).message;
      process.stderr.write(`${label} failed: ${message}\n`);
      failures[sc.name] = { ...failures[sc.name], [target]: message.split('\n')[0] ?? message };
      return undefined;
    } finally {
      await server?.stop();
    }
  }

  for (let run = 1; run <= o.runs; run++) {
    for (const sc of scenarios) {
      for (const target of o.targets) {
        // The bare server has no HTTP API to flood.
        if (sc.name === 'flood' && target === 'bare') continue;
        const label = `run ${run}/${o.runs} ${sc.name} ${target}`;
        for (let attempt = 0; ; attempt++) {
          process.stderr.write(`${label}${attempt ? ` (again, ${attempt}/${o.retries})` : ''} ...\n`);
          const figures = await measureOnce(target, sc, label);
          if (!figures) break;
          const why = noiseOf(figures);
          if (why && attempt < o.retries) {
            process.stderr.write(`${label}: ${why}; measuring again\n`);
            continue;
          }
          const byTarget = all[sc.name] ?? {};
          byTarget[target] = [...(byTarget[target] ?? []), figures];
          all[sc.name] = byTarget;
          break;
        }
      }
    }
  }

  const verdicts: Array<Verdict & { scenario: string }> = [];
  for (const sc of scenarios) {
    const figures: Partial<Record<TargetName, Figures>> = {};
    for (const t of o.targets) {
      const m = medianFigures(all[sc.name]?.[t] ?? []);
      if (m) figures[t] = m;
    }
    printScenario(sc, { figures, failures: failures[sc.name] ?? {} }, o);
    if (o.targets.includes('roomcast')) verdicts.push({ scenario: sc.name, ...verdict(sc.name, figures.roomcast, figures.bare, o) });
  }
  if (verdicts.length > 0) {
    console.log('\nTargets (roomcast):');
    for (const v of verdicts) {
      const mark = v.pass === undefined ? 'n/a ' : v.pass ? 'PASS' : 'FAIL';
      console.log(`  ${mark}  ${pad(v.scenario, 11)} ${v.goal}: ${v.measured}`);
    }
  }
  if (o.json) {
    writeFileSync(
      o.json,
      `${JSON.stringify({ machine: machine(), date: new Date().toISOString(), options: o, runs: all, failures, verdicts }, null, 2)}\n`,
    );
  }
  const failed = Object.keys(failures).length > 0;
  process.exitCode = failed ? 1 : 0;
}

process.on('SIGINT', () => {
  killAllNow();
  process.exit(130);
});
process.on('SIGTERM', () => {
  killAllNow();
  process.exit(143);
});

main().catch((err: unknown) => {
  console.error((err as Error).message);
  killAllNow();
  process.exitCode = 1;
});
