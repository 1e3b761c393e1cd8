import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { projectRoot } from '../src/paths.js';
import { startApp } from './helpers.js';

// Debian's python3-socketio; `python3` on PATH may be another build without it.
const python = '/usr/bin/python3';
const secret = 'python-jwt-secret-0123456789';
const apiKey = 'python-api-key-0123456789';

/** True when python-socketio and its transports import; says so loudly when not (and fails in CI). */
function pythonSocketIoAvailable(): boolean {
  const probe = spawnSync(python, ['-c', 'import socketio, requests, websocket'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const why = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1);
  if (process.env.CI) throw new Error(`python-socketio is missing (${why}); .ci/run installs python3-socketio`);
  console.warn(`SKIPPING the python-socketio suite: ${why} (apt-get install python3-socketio python3-requests python3-websocket)`);
  return false;
}

function token(claims: Record<string, unknown>, key = secret) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(key));
}

/**
 * Runs the script without blocking this process, which serves the sockets it talks to; a script
 * still running after `ms` is killed and its output returned.
 */
function run(env: Record<string, string>, ms = 60_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(projectRoot, 'tests', 'python-client.py')], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\nkilled after ${ms} ms`;
      child.kill('SIGKILL');
    }, ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('a client that is not socket.io-client', () => {
  test('python-socketio: join, send, history paging, push recovery, errors and refusals', async (t) => {
    if (!pythonSocketIoAvailable()) return t.skip('python-socketio is not installed');
    const open = await startApp({ JWT_SECRET: secret, API_KEY: apiKey });
    const closed = await startApp({ JWT_SECRET: secret, ALLOW_GUESTS: 'false' });
    const { code, output } = await run({
      ROOMCAST_URL: open.url,
      ROOMCAST_CLOSED_URL: closed.url,
      ROOMCAST_API_KEY: apiKey,
      ROOMCAST_TOKEN: await token({ sub: 42, name: 'Ada' }),
      ROOMCAST_BAD_TOKEN: await token({ sub: 'u1' }, 'another-secret-0123456789'),
    });
    assert.equal(code, 0, output);
    // Every case ran: a skipped or missing one would hide behind the exit code.
    assert.match(output, /^Ran 6 tests in /m, output);
    assert.doesNotMatch(output, /skipped/, output);
  });
});
