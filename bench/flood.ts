/**
 * The attacker of issue "Hardened", finding 1: `POST /api/push` without an API key, each body a
 * 6.4 MB deeply nested JSON document, from `lanes` connections, each sending the next as soon as
 * the last is answered. A child of run.ts (scenario `flood`), pinned to the generators' core: it
 * answers `flooding` after its first answer and, on `stop`, reports how the server answered.
 */
import { request } from 'node:http';
import { type FloodCommand, type FromFlooder, Histogram, nowMs, type ToFlooder } from './lib.js';

const answer = new Histogram();
const byStatus: Record<string, number> = {};
const errors: Record<string, number> = {};
let stopping = false;
let told = false;

function send(msg: FromFlooder): void {
  process.send?.(msg);
}

/** One request: resolves once its answer's status arrives (or it failed); the body may still be on its way. */
function once(url: string, method: string, body?: Buffer): Promise<{ status?: number; ms: number; error?: string }> {
  return new Promise((resolve) => {
    const started = nowMs();
    let settled = false;
    const settle = (result: { status?: number; error?: string }) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ms: nowMs() - started });
    };
    const headers = body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {};
    const req = request(url, { method, headers, agent: false }, (res) => {
      settle({ status: res.statusCode });
      // The status is all we want. A reset leaves no TIME_WAIT behind: thousands of them would
      // use up the machine's ephemeral ports within a minute, for every other program on it too.
      // (Node 20 spins at 100 % CPU when resetAndDestroy() is called from the response's 'end'.)
      res.socket.resetAndDestroy();
    });
    // The server closes a refused request's connection without reading the rest of the body, so
    // the write may fail before the answer is read (EPIPE, ECONNRESET): the attacker's loss.
    req.on('error', (err: NodeJS.ErrnoException) => settle({ error: err.code ?? err.message }));
    req.end(body);
  });
}

async function lane(url: string, body: Buffer): Promise<void> {
  while (!stopping) {
    const { status, ms, error } = await once(`${url}/api/push`, 'POST', body);
    if (status === undefined) {
      errors[error ?? 'unknown'] = (errors[error ?? 'unknown'] ?? 0) + 1;
      continue;
    }
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    answer.add(ms * 1000);
    if (!told) {
      told = true;
      send({ type: 'flooding' });
    }
  }
}

async function flood(cmd: FloodCommand): Promise<void> {
  const body = Buffer.from(`{"topic":"t","data":${'['.repeat(cmd.depth)}${']'.repeat(cmd.depth)}}`);
  const started = nowMs();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: cmd.lanes }, () => lane(cmd.url, body)));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = nowMs() - started;
  send({
    type: 'report',
    seconds: wallMs / 1000,
    byStatus,
    errors,
    answer: answer.toJSON(),
    cpu: { cpuMs: (cpu.user + cpu.system) / 1000, sysMs: cpu.system / 1000, wallMs },
  });
  setTimeout(() => process.exit(0), 100);
}

process.on('message', (msg: ToFlooder) => {
  if (msg.type === 'flood') void flood(msg);
  else stopping = true;
});
process.on('disconnect', () => process.exit(0));

if (!process.send) {
  console.error('bench/flood.ts is a child of bench/run.ts (it talks over the IPC channel); run `npm run bench -- --only flood`.');
  process.exit(2);
}
