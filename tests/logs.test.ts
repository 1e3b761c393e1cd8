import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { AckResult, SessionEvent } from '../src/protocol.js';
import { startNode } from './cluster-helpers.js';
import { acked, chatClient, connectChat, postPush, receiver, tempDir, waitFor } from './helpers.js';

const secrets = {
  JWT_SECRET: 'logs-jwt-secret-0123456789',
  API_KEY: 'logs-api-key-0123456789',
  WEBHOOK_SECRET: 'logs-webhook-secret-0123456789',
  METRICS_TOKEN: 'logs-metrics-token-0123456789',
  SESSION_SECRET: 'logs-session-secret-0123456789',
};

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  req?: unknown;
  res?: unknown;
  socket?: string;
  user?: string;
  [field: string]: unknown;
}

function token(claims: Record<string, unknown>, key = secrets.JWT_SECRET) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(key));
}

describe('structured logs', () => {
  test('socket lines carry socket and user ids, HTTP lines a reqId; no secret, token or message text at info', async () => {
    // Webhooks fail, so their retries are logged too.
    const hooks = await receiver((_req, _n, res) => res.writeHead(500).end());
    const node = await startNode({
      ...secrets,
      LOG_LEVEL: 'info',
      DATABASE_PATH: join(tempDir(), 'logs.db'),
      WEBHOOK_URL: hooks.url,
      WEBHOOK_EVENTS: 'message.created',
      WEBHOOK_MAX_ATTEMPTS: '2',
      DRAIN_MS: '100',
    });
    const userToken = await token({ sub: 'ada-42', name: 'Ada', rooms: ['private-logs'] });
    const refusedToken = await token({ sub: 'mallory' }, 'not-the-secret-0123456789');
    const texts = ['whispered-text-one 7c1e', 'whispered-text-two 9b4d', 'backend-text 51aa'];
    const wrongKey = 'wrong-api-key-9876543210';
    const wrongMetricsToken = 'wrong-metrics-token-987654';

    const ada = await connectChat(node.url, { token: userToken });
    const guest = await connectChat(node.url);
    const sessions = [ada.session, guest.session];
    const room = 'logs-room';
    const sent = waitFor(hooks.events, 'request', 10_000);
    for (const { socket } of [ada, guest]) assert.equal((await acked(socket).emitWithAck('room:join', { room })).ok, true);
    assert.equal((await acked(ada.socket).emitWithAck('message:send', { room, text: texts[0] as string, clientId: 'l1' })).ok, true);
    await sent;
    // Bad input: a text too long (it carries a message text too), a bad payload, an unknown event.
    const tooLong = await acked(guest.socket).emitWithAck('message:send', { room, text: `${texts[1]}${'x'.repeat(3000)}`, clientId: 'l2' });
    assert.equal(tooLong.ok ? 'ok' : tooLong.error.code, 'too_large');
    const raw = acked(guest.socket) as unknown as { emitWithAck(event: string, ...args: unknown[]): Promise<AckResult<object>> };
    assert.equal((await raw.emitWithAck('message:send', { room, text: 5 })).ok, false);
    assert.equal((await raw.emitWithAck('no:such:event', { text: texts[1] })).ok, false);

    const stranger = chatClient(node.url, { token: refusedToken });
    const refusal = waitFor<{ data: { code: string } }>(stranger, 'connect_error');
    stranger.connect();
    assert.equal((await refusal).data.code, 'invalid_token');

    const post = (key: string) =>
      fetch(`${node.url}/api/rooms/${room}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ text: texts[2] }),
      });
    assert.equal((await post(secrets.API_KEY)).status, 201);
    assert.equal((await post(wrongKey)).status, 401);
    assert.equal((await postPush(node.url, secrets.API_KEY, { topic: 'news', data: { text: texts[2] } })).status, 202);
    const privateRead = await fetch(`${node.url}/api/rooms/private-logs/messages`, { headers: { authorization: `Bearer ${userToken}` } });
    assert.equal(privateRead.status, 200);
    const metrics = (bearer: string) => fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal((await metrics(secrets.METRICS_TOKEN)).status, 200);
    assert.equal((await metrics(wrongMetricsToken)).status, 401);

    const ids = new Map([
      [ada.socket.id, ada.user.id],
      [guest.socket.id, guest.user.id],
    ]);
    const gone = waitFor<SessionEvent>(ada.socket, 'disconnect');
    ada.socket.disconnect();
    await gone;
    // Everything printed is read once the process has ended and its output closed.
    const closed = waitFor(node.child, 'close', 30_000);
    node.child.kill('SIGTERM');
    await closed;

    const output = node.output();
    if (process.env.SHOW_LOGS) console.log(output);
    const lines: Line[] = [];
    for (const text of output.split('\n').filter((l) => l.trim() !== '')) {
      try {
        lines.push(JSON.parse(text) as Line);
      } catch {
        assert.fail(`not a JSON line: ${text}`);
      }
    }
    // Nothing below info was printed, so everything checked below is what an operator sees.
    assert.ok(lines.every((l) => l.level >= 30));

    for (const [socket, user] of ids) {
      const about = lines.filter((l) => l.socket === socket);
      assert.ok(
        about.some((l) => l.msg === 'socket connected'),
        `connected line of ${socket}`,
      );
      assert.ok(
        about.some((l) => l.msg === 'socket disconnected'),
        `disconnected line of ${socket}`,
      );
      for (const line of about) assert.equal(line.user, user, JSON.stringify(line));
    }
    assert.ok(lines.some((l) => l.msg === 'socket refused' && l.code === 'invalid_token' && typeof l.socket === 'string'));
    // A socket's every line names its user, but for a refused one, whose user is unknown.
    for (const line of lines.filter((l) => l.socket !== undefined && l.msg !== 'socket refused')) {
      assert.equal(typeof line.user, 'string', JSON.stringify(line));
    }
    const http = lines.filter((l) => l.req !== undefined || l.res !== undefined);
    // Six requests: a line when each comes and one when it is answered.
    assert.equal(http.length, 12, `${http.length} HTTP lines`);
    for (const line of http) assert.equal(typeof line.reqId, 'string', JSON.stringify(line));
    // Once a request's token is checked, its lines name the user: the answer's line does.
    const privateLines = http.filter((l) => lines.some((o) => o.reqId === l.reqId && JSON.stringify(o.req ?? '').includes('private-logs')));
    assert.deepEqual(
      privateLines.map((l) => [l.msg, l.user]),
      [
        ['incoming request', undefined],
        ['request completed', 'ada-42'],
      ],
    );
    assert.ok(
      lines.some((l) => l.msg === 'webhook failed: will retry'),
      'the webhook retry is logged',
    );

    const never = [...Object.values(secrets), userToken, refusedToken, wrongKey, wrongMetricsToken, ...sessions, ...texts];
    for (const secret of never) {
      const leak = lines.find((l) => JSON.stringify(l).includes(secret));
      assert.equal(leak, undefined, `"${secret}" is in ${JSON.stringify(leak)}`);
    }
    // The parts of each text, too (a line might cut one).
    for (const word of ['whispered-text', 'backend-text']) assert.doesNotMatch(output, new RegExp(word));
  });
});
