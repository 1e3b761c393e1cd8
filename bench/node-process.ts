/**
 * What the benchmarks share: starting built roomcast nodes (or bare Socket.IO servers), each on a
 * core of its own choosing (taskset) and a free port, and the open-loop schedule that loads them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowMs, readProcCpuMs } from './lib.js';

/**
 * Every bench client connects from 127.0.0.1 and is its own user: limits per address (and a
 * high message rate) are lifted, so that what is measured is roomcast rather than its limits.
 */
export const benchLimits = {
  MESSAGE_RATE_PER_SEC: '1000',
  MESSAGE_RATE_BURST: '2000',
  CONNECTIONS_PER_ADDRESS: '1000000',
  CONNECTION_RATE_PER_ADDRESS: '1000000',
  NEW_ROOMS_PER_ADDRESS: '1000000',
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchNode {
  url: string;
  pid: number;
  cpuMs(): number;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

let bareEntry: string[] | undefined;

/**
 * The bare server runs as plain JavaScript, like the built roomcast, so neither carries a
 * TypeScript loader. It is compiled into this checkout's dist/, from where `socket.io` resolves.
 */
export async function bareServerArgs(): Promise<string[]> {
  if (bareEntry) return bareEntry;
  const src = join(root, 'bench', 'bare-server.ts');
  try {
    const esbuild = await import('esbuild');
    const out = join(root, 'dist', 'bench', 'bare-server.mjs');
    mkdirSync(dirname(out), { recursive: true });
    esbuild.buildSync({ entryPoints: [src], outfile: out, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
    bareEntry = [out];
  } catch {
    bareEntry = ['--import', 'tsx', src];
  }
  return bareEntry;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `node <entry>` (default the built roomcast) pinned to `core`; `nodeArgs` go before the
 * entry (e.g. --cpu-prof).
 */
export async function startBenchNode(
  core: number,
  env: Record<string, string>,
  entry: string[] = ['dist/server.js'],
  nodeArgs: string[] = [],
): Promise<BenchNode> {
  const port = await freePort();
  const child: ChildProcess = spawn('taskset', ['-c', String(core), process.execPath, ...nodeArgs, ...entry], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...benchLimits,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Ready when /healthz answers; polled, since a quiet log level prints nothing at start.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('roomcast exited at start');
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('roomcast did not start within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pid = child.pid as number;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    url,
    pid,
    cpuMs: () => readProcCpuMs(pid),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Open-loop load: for `durationMs`, calls `send(i)` as often as `ratePerSec` owes by now, checked
 * every 2 ms, so a slow server does not slow the offered load down. Resolves with what `send`
 * returned, once all of it has settled.
 */
export async function openLoop<T>(ratePerSec: number, durationMs: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const started = nowMs();
  const pending: Promise<T>[] = [];
  while (nowMs() - started < durationMs) {
    const owed = Math.floor(((nowMs() - started) / 1000) * ratePerSec);
    while (pending.length < owed) pending.push(send(pending.length));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return Promise.all(pending);
}

/** Waits (at most `ms`) until `done()` holds: deliveries still in flight after the last send. */
export async function drain(done: () => boolean, ms = 5000): Promise<void> {
  const until = nowMs() + ms;
  while (!done() && nowMs() < until) await new Promise((resolve) => setTimeout(resolve, 20));
}
