import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEntry, Ban } from '../src/moderation/schemas.js';
import { acked, type ChatClient, receiver, startApp } from './helpers.js';
import { api, apiKey, connectAs, moderationEnv, token } from './moderation-helpers.js';

const events = ['message.delete', 'room.kick', 'ban.create', 'ban.lift', 'room.configure'].map((a) => `moderation.${a}`);

async function join(socket: ChatClient, room: string) {
  assert.ok((await acked(socket).emitWithAck('room:join', { room })).ok);
}

interface Page {
  entries: AuditEntry[];
  hasMore: boolean;
}

describe('the audit log and its webhooks', () => {
  test('every moderation action is stored, listed by GET /api/audit and sent as moderation.<action>', async () => {
    const hook = await receiver((_req, _n, res) => res.writeHead(204).end());
    const { url } = await startApp({
      ...moderationEnv,
      WEBHOOK_URL: hook.url,
      WEBHOOK_SECRET: 'hook-secret-0123456789',
      WEBHOOK_EVENTS: events.join(','),
    });
    const mod = await connectAs(url, { sub: 'mod', name: 'Mo', moderates: ['lobby'] });
    const ada = await connectAs(url, { sub: 'ada' });
    for (const socket of [mod.socket, ada.socket]) await join(socket, 'lobby');
    const own = await acked(ada.socket).emitWithAck('message:send', { room: 'lobby', text: 'mine', clientId: 'a1' });
    const spam = await acked(ada.socket).emitWithAck('message:send', { room: 'lobby', text: 'spam', clientId: 'a2' });
    assert.ok(own.ok && spam.ok);
    assert.ok((await acked(ada.socket).emitWithAck('message:delete', { room: 'lobby', seq: own.message.seq })).ok);
    assert.ok((await acked(mod.socket).emitWithAck('message:delete', { room: 'lobby', seq: spam.message.seq, reason: 'spam' })).ok);
    assert.ok((await acked(mod.socket).emitWithAck('room:kick', { room: 'lobby', user: 'ada', reason: 'calm down' })).ok);
    assert.ok((await acked(mod.socket).emitWithAck('room:configure', { room: 'lobby', slowModeSeconds: 5 })).ok);
    const made = await api<{ ban: Ban }>(url, 'POST', '/api/bans', apiKey, { user: 'ada', room: 'lobby', reason: 'again' });
    assert.equal((await api(url, 'DELETE', `/api/bans/${made.body.ban.id}`, apiKey)).status, 200);

    const all = await api<Page>(url, 'GET', '/api/audit', apiKey);
    assert.equal(all.status, 200);
    const { entries } = all.body;
    const mo = { id: 'mod', name: 'Mo', kind: 'user' };
    const system = { id: 'system', name: 'System', kind: 'system' };
    assert.deepEqual(
      entries.map(({ id: _id, ts: _ts, ...rest }) => rest),
      [
        { actor: mo, action: 'message.delete', room: 'lobby', target: { seq: spam.message.seq }, reason: 'spam' },
        { actor: mo, action: 'room.kick', room: 'lobby', target: { user: 'ada' }, reason: 'calm down' },
        { actor: mo, action: 'room.configure', room: 'lobby', target: { settings: { slowModeSeconds: 5, readOnly: false } } },
        { actor: system, action: 'ban.create', room: 'lobby', target: { ban: made.body.ban.id, user: 'ada' }, reason: 'again' },
        { actor: system, action: 'ban.lift', room: 'lobby', target: { ban: made.body.ban.id, user: 'ada' } },
      ],
      "the author's own deletion is not one",
    );
    assert.equal(all.body.hasMore, false);
    const ids = entries.map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );

    const page = await api<Page>(url, 'GET', `/api/audit?after=${ids[0]}&limit=2`, apiKey);
    assert.deepEqual([page.body.entries.map((e) => e.id), page.body.hasMore], [ids.slice(1, 3), true]);
    const modToken = await token({ sub: 'mod', moderates: ['lobby'] });
    assert.equal((await api<Page>(url, 'GET', '/api/audit?room=lobby', modToken)).body.entries.length, 5);
    assert.deepEqual((await api<Page>(url, 'GET', '/api/audit?room=other', apiKey)).body, { entries: [], hasMore: false });

    while (hook.received.length < 5) await new Promise((resolve) => hook.events.once('request', resolve));
    const sent = hook.received.map((r) => JSON.parse(r.body) as { event: string; data: AuditEntry });
    assert.deepEqual(
      sent.map((s) => [s.event, s.data]),
      entries.map((e) => [`moderation.${e.action}`, e]),
    );
  });

  test('refusals: who may read it, bad queries', async () => {
    const { url } = await startApp(moderationEnv);
    const modToken = await token({ sub: 'mod', moderates: ['lobby'] });
    const cases: [string, string, number, string][] = [
      ['/api/audit', '', 401, 'unauthorized'],
      ['/api/audit', await token({ sub: 'ada' }), 403, 'forbidden'],
      ['/api/audit', modToken, 403, 'forbidden'],
      ['/api/audit?room=other', modToken, 403, 'forbidden'],
      ['/api/audit?limit=0', apiKey, 400, 'bad_request'],
      ['/api/audit?limit=201', apiKey, 400, 'bad_request'],
      ['/api/audit?after=-1', apiKey, 400, 'bad_request'],
      ['/api/audit?after=x', apiKey, 400, 'bad_request'],
      ['/api/audit?room=bad%20room', apiKey, 400, 'bad_request'],
    ];
    for (const [path, credentials, status, code] of cases) {
      const res = await api(url, 'GET', path, credentials);
      assert.deepEqual([res.status, res.body.error?.code], [status, code], path);
    }
  });
});
