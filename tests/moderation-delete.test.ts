import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '../src/protocol.js';
import { acked, connectChat, nextMessages, startApp } from './helpers.js';
import { api, apiKey, connectAs, moderationEnv, token } from './moderation-helpers.js';

type Client = Awaited<ReturnType<typeof connectChat>>['socket'];

async function join(socket: Client, room: string, after?: number) {
  const res = await acked(socket).emitWithAck('room:join', after === undefined ? { room } : { room, after });
  assert.ok(res.ok, JSON.stringify(res));
  return res;
}

async function send(socket: Client, room: string, text: string): Promise<Message> {
  const res = await acked(socket).emitWithAck('message:send', { room, text, clientId: `c-${text}` });
  assert.ok(res.ok, JSON.stringify(res));
  return res.message;
}

describe('message:delete and DELETE /api/rooms/:room/messages/:seq', () => {
  test('the author deletes their message: a delete entry everyone gets as message:new; again changes nothing', async () => {
    const { url } = await startApp(moderationEnv);
    const author = await connectChat(url, { name: 'Bo' });
    const other = await connectChat(url, { name: 'Cy' });
    await join(author.socket, 'lobby');
    await join(other.socket, 'lobby');
    const arrived = nextMessages(other.socket, 1);
    const oops = await send(author.socket, 'lobby', 'oops');
    await arrived;
    const seen = nextMessages(other.socket, 2);
    const res = await acked(author.socket).emitWithAck('message:delete', { room: 'lobby', seq: oops.seq, reason: null } as never);
    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(
      { ...res.message, ts: 0 },
      { id: 'lobby:2', seq: 2, room: 'lobby', type: 'delete', target: 1, text: '', author: author.user, ts: 0 },
    );
    const again = await acked(author.socket).emitWithAck('message:delete', { room: 'lobby', seq: oops.seq });
    assert.deepEqual(again, res, 'deleting again returns the entry that deleted it');
    await send(author.socket, 'lobby', 'after');
    const [entry, next] = await seen;
    assert.deepEqual(entry, res.message);
    assert.equal(next?.text, 'after', 'the second delete broadcast nothing');
    const history = await acked(other.socket).emitWithAck('message:history', { room: 'lobby' });
    assert.ok(history.ok);
    assert.deepEqual(
      history.messages.map((m) => [m.seq, m.text, m.deleted ?? false, m.type ?? 'message']),
      [
        [1, '', true, 'message'],
        [2, '', false, 'delete'],
        [3, 'after', false, 'message'],
      ],
    );
  });

  test("a moderator deletes anyone's; others may not; missing seqs, entries and bad payloads are refused", async () => {
    const { url } = await startApp(moderationEnv);
    const ada = await connectAs(url, { sub: 'ada', name: 'Ada' });
    const mod = await connectAs(url, { sub: 'mod', moderates: ['lobby'] });
    const elsewhere = await connectAs(url, { sub: 'mod2', moderates: ['other'] });
    const guest = await connectChat(url);
    await join(ada.socket, 'lobby');
    const m1 = await send(ada.socket, 'lobby', 'one');
    const del = (socket: Client, payload: unknown) => acked(socket).emitWithAck('message:delete', payload as never);
    for (const socket of [guest.socket, elsewhere.socket]) {
      const refused = await del(socket, { room: 'lobby', seq: m1.seq });
      assert.equal(refused.ok ? 'ok' : refused.error.code, 'forbidden');
    }
    const done = await del(mod.socket, { room: 'lobby', seq: m1.seq, reason: 'spam' });
    assert.ok(done.ok);
    assert.equal(done.message.author.id, 'mod');
    const cases: [unknown, string][] = [
      [{ room: 'lobby', seq: done.message.seq }, 'not_found'],
      [{ room: 'lobby', seq: 99 }, 'not_found'],
      [{ room: 'empty', seq: 1 }, 'not_found'],
      [{ room: 'lobby', seq: 0 }, 'bad_request'],
      [{ room: 'lobby', seq: '1' }, 'bad_request'],
      [{ room: 'lobby', seq: 1.5 }, 'bad_request'],
      [{ room: 'lobby', seq: 2 ** 53 }, 'bad_request'],
      [{ room: 'lob by', seq: 1 }, 'bad_request'],
      [{ seq: 1 }, 'bad_request'],
      [{ room: 'lobby', seq: 1, reason: 'x'.repeat(501) }, 'bad_request'],
      ['lobby', 'bad_request'],
    ];
    for (const [payload, code] of cases) {
      const res = await del(mod.socket, payload);
      assert.equal(res.ok ? 'ok' : res.error.code, code, JSON.stringify(payload));
    }
  });

  test('over HTTP with the API key or a moderator token; credentials before anything else', async () => {
    const { url } = await startApp(moderationEnv);
    const ada = await connectAs(url, { sub: 'ada' });
    await join(ada.socket, 'lobby');
    for (const text of ['one', 'two', 'three']) await send(ada.socket, 'lobby', text);
    const seen = nextMessages(ada.socket, 2);
    const byKey = await api<{ message: Message }>(url, 'DELETE', '/api/rooms/lobby/messages/1?reason=spam', apiKey);
    assert.equal(byKey.status, 200);
    assert.deepEqual([byKey.body.message.type, byKey.body.message.target, byKey.body.message.author.id], ['delete', 1, 'system']);
    const modToken = await token({ sub: 'mod', moderates: ['lobby'] });
    const byMod = await api<{ message: Message }>(url, 'DELETE', '/api/rooms/lobby/messages/2', modToken);
    assert.equal(byMod.status, 200);
    assert.equal(byMod.body.message.author.id, 'mod');
    assert.deepEqual(
      (await seen).map((m) => m.target),
      [1, 2],
    );
    const lower = await fetch(`${url}/api/rooms/lobby/messages/3`, { method: 'DELETE', headers: { authorization: `bearer ${apiKey}` } });
    assert.equal(lower.status, 200, 'the scheme is case-insensitive');
    const refusals: [string, string, number, string][] = [
      ['/api/rooms/lobby/messages/1', '', 401, 'unauthorized'],
      ['/api/rooms/lobby/messages/1', 'not-the-key', 401, 'invalid_token'],
      ['/api/rooms/lobby/messages/x', '', 401, 'unauthorized'],
      ['/api/rooms/lobby/messages/1', await token({ sub: 'ada' }), 403, 'forbidden'],
      ['/api/rooms/lobby/messages/1', await token({ sub: 'mod2', moderates: ['other'] }), 403, 'forbidden'],
      ['/api/rooms/lobby/messages/99', apiKey, 404, 'not_found'],
      ['/api/rooms/lobby/messages/6', apiKey, 404, 'not_found'],
      ['/api/rooms/lobby/messages/0', apiKey, 400, 'bad_request'],
      ['/api/rooms/lobby/messages/x', apiKey, 400, 'bad_request'],
      ['/api/rooms/lobby/messages/9007199254740992', apiKey, 400, 'bad_request'],
      [`/api/rooms/lobby/messages/1?reason=${'x'.repeat(501)}`, apiKey, 400, 'bad_request'],
    ];
    for (const [path, credentials, status, code] of refusals) {
      const res = await api(url, 'DELETE', path, credentials);
      assert.deepEqual([res.status, res.body.error?.code], [status, code], `${path} with ${credentials.slice(0, 10)}`);
    }
  });

  test('a client that was offline sees the deletion when it catches up by seq', async () => {
    const { url } = await startApp(moderationEnv);
    const writer = await connectAs(url, { sub: 'ada' });
    const reader = await connectChat(url, { name: 'Bo' });
    await join(writer.socket, 'lobby');
    await join(reader.socket, 'lobby');
    const received = nextMessages(reader.socket, 2);
    await send(writer.socket, 'lobby', 'one');
    await send(writer.socket, 'lobby', 'two');
    const lastSeq = (await received).at(-1)?.seq ?? 0;
    reader.socket.disconnect();
    const del = await acked(writer.socket).emitWithAck('message:delete', { room: 'lobby', seq: 1 });
    assert.ok(del.ok);
    const back = await connectChat(url, { name: 'Bo', session: reader.session });
    const rejoined = await join(back.socket, 'lobby', lastSeq);
    assert.deepEqual(rejoined.messages, [del.message], 'the join after the cursor brings the entry');
    const history = await acked(back.socket).emitWithAck('message:history', { room: 'lobby', after: lastSeq });
    assert.ok(history.ok);
    assert.deepEqual(history.messages, [del.message]);
  });
});
