import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer, type Server, type Socket as NetSocket, connect } from 'node:net';
import { after } from 'node:test';
import { createClient } from 'redis';
import { projectRoot } from '../src/paths.js';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { acked, type connectChat, tempDir, waitFor } from './helpers.js';

/** The Redis tests may use: REDIS_URL, else the machine's local one. */
export const testRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when a Redis answers at `url`; says so loudly when not (and fails in CI). */
export async function redisAvailable(url = testRedisUrl): Promise<boolean> {
  // A test's own TLS Redis has a self-signed certificate.
  const tls = url.startsWith('rediss:') ? { tls: true as const, rejectUnauthorized: false } : {};
  const client = createClient({ url, socket: { ...tls, connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.close();
    return true;
  } catch (err) {
    if (process.env.CI) throw err;
    console.warn(`SKIPPING Redis tests: no Redis at ${url} (${(err as Error).message})`);
    return false;
  }
}

/** A key prefix of this test run's own; its keys are deleted after the file. */
export function testPrefix(url = testRedisUrl): string {
  const prefix = `roomcast-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
  after(async () => {
    // A Redis the test stopped on purpose has nothing left to clean.
    const tls = url.startsWith('rediss:') ? { tls: true as const, rejectUnauthorized: false } : {};
    const client = createClient({ url, socket: { ...tls, connectTimeout: 2000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch {
      return;
    }
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
    await client.close();
  });
  return prefix;
}

export interface Node {
  url: string;
  child: ChildProcess;
  /** Everything the process printed. */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Resolves once the process has printed `text` (counting only what comes after `from`). */
  printed(text: string, from?: number, ms?: number): Promise<void>;
}

/** Starts the built server (dist/server.js) as its own process on a free port. */
export async function startNode(env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d) => (output += d));
  function printed(text: string, from = 0, ms = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!output.includes(text, from)) return;
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve();
      };
      const timer = setTimeout(() => reject(new Error(`"${text}" not printed within ${ms} ms:\n${output.slice(from)}`)), ms);
      child.stdout?.on('data', check);
      setImmediate(check);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not listen within 20 s:\n${output}`)), 20_000);
    child.stdout?.on('data', (d) => {
      output += d;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', () => reject(new Error(`node exited before listening:\n${output}`)));
  });
  return { url, child, output: () => output, exited, printed };
}

/** A free loopback port (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A redis-server of the test's own, which it may stop and start again on the same port; with
 * `tls`, it speaks only TLS, with a self-signed certificate made for the test.
 */
export async function ownRedis({ tls = false } = {}) {
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (tls) {
    const dir = tempDir();
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat(['-keyout', key, '-out', cert]),
      { stdio: 'ignore' },
    );
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key);
    args.push('--tls-ca-cert-file', cert, '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  let child: ChildProcess | undefined;
  async function start(): Promise<void> {
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      started.stdout?.on('data', (d) => {
        output += d;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.once('exit', () => reject(new Error(`redis-server exited:\n${output}`)));
    });
  }
  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = waitFor(running, 'exit', 10_000);
    running.kill('SIGKILL');
    await exited;
  }
  after(stop);
  await start();
  return { url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, start, stop };
}

/**
 * A TCP proxy in front of a real server, which the test can cut or stall: `block()` drops every
 * connection and holds new ones unanswered (an unreachable host), `unblock()` forwards again;
 * `stall()` keeps every connection open but forwards nothing either way (a hung server or a
 * congested link), `resume()` forwards what waited and everything after.
 */
export async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<NetSocket>();
  /** Each connection's two directions, unpiped while stalled. */
  const links = new Set<{ from: NetSocket; to: NetSocket }>();
  let blocked = false;
  let stalled = false;
  function link(from: NetSocket, to: NetSocket): void {
    const pair = { from, to };
    links.add(pair);
    from.on('close', () => links.delete(pair));
    if (!stalled) from.pipe(to);
  }
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (blocked) return; // held open, never answered
    const upstream = connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    link(client, upstream);
    link(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return {
    port: (server.address() as { port: number }).port,
    block(): void {
      blocked = true;
      for (const socket of sockets) socket.destroy();
    },
    unblock(): void {
      blocked = false;
      for (const socket of sockets) socket.destroy();
    },
    stall(): void {
      stalled = true;
      for (const { from, to } of links) {
        from.unpipe(to);
        from.pause();
      }
    },
    resume(): void {
      stalled = false;
      for (const { from, to } of links) from.pipe(to);
    },
  };
}

type ChatUser = Awaited<ReturnType<typeof connectChat>>;

/**
 * Sends from `from` until a message reaches `to` (on another node) live, bounded: proves the
 * node of `to` hears the other's broadcasts again. After a Redis outage a node's subscriber
 * connection comes back on its own time (what it missed meanwhile is what sync:hint is for), and
 * its "connection back" line can come before its subscriptions are in place.
 */
export async function crossesLive(from: ChatUser, to: ChatUser, room: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let arrived = false;
  to.socket.once('message:new', () => {
    arrived = true;
  });
  for (let i = 0; !arrived; i++) {
    if (Date.now() > deadline) throw new Error(`no message crossed to ${to.user.id} live within ${ms} ms`);
    await acked(from.socket).emitWithAck('message:send', { room, text: `probe ${i}`, clientId: randomUUID() });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
