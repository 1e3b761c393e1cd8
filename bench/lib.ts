/**
 * Shared pieces of the benchmark: the messages the orchestrator (run.ts) and the load generators
 * (load.ts) exchange over the child-process IPC channel, a mergeable latency histogram, and
 * readers for a process's CPU time and RSS from /proc.
 */
import { readFileSync } from 'node:fs';

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A slice of one room held by one generator process. */
export interface RoomSlice {
  room: string;
  /** Sockets this process opens and joins to the room (senders included). */
  clients: number;
  /** How many of those sockets also send. */
  senders: number;
  /** Messages per second per sender. */
  rate: number;
}

export interface WorkerConfig {
  type: 'config';
  id: number;
  /** Server base URL, e.g. http://127.0.0.1:4000 (the generator appends /chat). */
  url: string;
  rooms: RoomSlice[];
  /** Handshakes in flight at once while connecting. */
  concurrency: number;
  /** Message text length in characters (the send timestamp plus padding). */
  textSize: number;
  /**
   * This process's first sender's index among all senders of all processes, and their number:
   * sends are spread evenly over each period across processes, never two at the same instant.
   */
  firstSender: number;
  totalSenders: number;
  /** `wire`: bench/wire-client.ts (default, cheap); `socket.io`: the real socket.io-client. */
  client: 'wire' | 'socket.io';
}

export interface StartCommand {
  type: 'start';
  /** Epoch ms: senders start (warm-up). */
  startAt: number;
  /** Epoch ms: messages sent in [measureFrom, measureTo) are the measured ones. */
  measureFrom: number;
  /** Epoch ms: senders stop. */
  measureTo: number;
  /** After measureTo, stop waiting once nothing arrived for this long and every ack is in. */
  drainQuietMs: number;
  /** After measureTo, never wait longer than this. */
  drainMaxMs: number;
}

export interface CloseCommand {
  type: 'close';
}

export type ToWorker = WorkerConfig | StartCommand | CloseCommand;

export interface CpuSample {
  /** CPU ms (user + system) this process used over the wall time. */
  cpuMs: number;
  /** The kernel's share of cpuMs. */
  sysMs: number;
  wallMs: number;
}

export interface ReadyReport {
  type: 'ready';
  id: number;
  connected: number;
  failed: number;
  errors: Record<string, number>;
  connectMs: number;
  cpu: CpuSample;
}

export interface StatsReport {
  type: 'stats';
  id: number;
  /** Measured sends (sent in the window), per room. */
  sentByRoom: Record<string, number>;
  /** message:new received for measured sends, summed over this process's sockets. */
  received: number;
  /** message:new received for unmeasured sends (warm-up) or not parseable. */
  receivedOther: number;
  /** Measured sends whose ack was ok. */
  ackOk: number;
  /** Failed acks by error code (all sends). */
  ackErrors: Record<string, number>;
  /** Measured sends with no ack by the end of the drain. */
  ackPending: number;
  /** End-to-end latency of measured deliveries, µs. */
  e2e: HistogramData;
  /** Ack latency of measured sends, µs. */
  ack: HistogramData;
  /** CPU of this process from measureFrom to the end of the drain. */
  cpu: CpuSample;
  /** p99 event-loop delay over the same span, ms: if large, the generator was the bottleneck. */
  loopDelayP99Ms: number;
  /** Largest backlog of scheduled-but-unsent messages seen, ms behind schedule. */
  maxSendLagMs: number;
  /** Sockets that disconnected unexpectedly. */
  disconnects: number;
  drainMs: number;
}

export interface ErrorReport {
  type: 'error';
  id: number;
  message: string;
}

export type FromWorker = ReadyReport | StatsReport | ErrorReport;

/** [bucket lower bound in µs, count] pairs. */
export type HistogramData = Array<[number, number]>;

/**
 * A log-linear histogram of non-negative integers (µs): exact below 256, then 128 buckets per
 * power of two, so any percentile is within 0.8 % of the true value. Cheap to merge across
 * processes, unlike raw samples.
 */
export class Histogram {
  private readonly counts = new Map<number, number>();
  count = 0;

  add(valueUs: number): void {
    let v = Math.max(0, Math.round(valueUs));
    if (v >= 256) {
      const shift = Math.floor(Math.log2(v)) - 7;
      v = (v >>> shift) << shift;
    }
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
    this.count++;
  }

  merge(data: HistogramData): void {
    for (const [k, c] of data) {
      this.counts.set(k, (this.counts.get(k) ?? 0) + c);
      this.count += c;
    }
  }

  toJSON(): HistogramData {
    return [...this.counts.entries()];
  }

  /** The p-th percentile in µs (NaN when empty). */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    const keys = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const k of keys) {
      seen += this.counts.get(k) ?? 0;
      if (seen >= rank) return k;
    }
    return keys[keys.length - 1] ?? Number.NaN;
  }
}

const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture Node runs on.

/** User and system CPU time of a whole process (all threads), in ms, from /proc/<pid>/stat. */
export function readProcCpu(pid: number): { userMs: number; sysMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after the closing paren are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so utime (field 14) is rest[11] and stime (15) is rest[12].
  return { userMs: (Number(rest[11]) * 1000) / CLK_TCK, sysMs: (Number(rest[12]) * 1000) / CLK_TCK };
}

/** utime + stime of a whole process, in ms. */
export function readProcCpuMs(pid: number): number {
  const { userMs, sysMs } = readProcCpu(pid);
  return userMs + sysMs;
}

/** Resident set size of a process in KiB, from /proc/<pid>/status VmRSS. */
export function readProcRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export function median(values: number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Busy time of one CPU (everything but idle and iowait) in ms, from /proc/stat. */
export function readCoreBusyMs(core: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (!line) throw new Error(`no cpu${core} in /proc/stat`);
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const ticks = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return (ticks * 1000) / CLK_TCK;
}

/**
 * Waits (up to maxMs) until neither CPU has been over `quietPct` busy for 3 s in a row: other
 * programs on a shared machine skew every figure.
 */
export async function waitForQuiet(maxMs: number, quietPct: number): Promise<void> {
  const t0 = Date.now();
  let quietSeconds = 0;
  let said = false;
  while (quietSeconds < 3) {
    const a = [readCoreBusyMs(0), readCoreBusyMs(1)];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const busy = Math.max((readCoreBusyMs(0) - (a[0] as number)) / 10, (readCoreBusyMs(1) - (a[1] as number)) / 10);
    quietSeconds = busy < quietPct ? quietSeconds + 1 : 0;
    if (quietSeconds > 0) continue;
    if (Date.now() - t0 >= maxMs) {
      process.stderr.write(`  CPUs still ${busy.toFixed(0)} % busy with other programs after ${maxMs / 1000} s; measuring anyway\n`);
      return;
    }
    if (!said) process.stderr.write(`  other programs keep a CPU ${busy.toFixed(0)} % busy; waiting up to ${maxMs / 1000} s for quiet\n`);
    said = true;
  }
}

/** run.ts to bench/flood.ts: flood `url` from `lanes` connections until `stop`. */
export interface FloodCommand {
  type: 'flood';
  url: string;
  lanes: number;
  /** Nesting depth of each body: 3,200,000 makes the 6.4 MB. */
  depth: number;
}

export type ToFlooder = FloodCommand | { type: 'stop' };

/** bench/flood.ts to run.ts: `flooding` after the first answer, then `report` after `stop`. */
export type FromFlooder =
  | { type: 'flooding' }
  | {
      type: 'report';
      seconds: number;
      /** Answers by HTTP status. */
      byStatus: Record<string, number>;
      /** Requests that ended without an answer, by error code. */
      errors: Record<string, number>;
      /** From sending a request to its answer, µs, as the (low-priority) flooder saw it. */
      answer: HistogramData;
      cpu: CpuSample;
    };
