import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RoomSettingsEvent } from '../src/moderation/schemas.js';
import { acked, type ChatClient, connectChat, startApp, waitFor } from './helpers.js';
import { api, apiKey, connectAs, moderationEnv, token } from './moderation-helpers.js';

async function join(socket: ChatClient, room: string) {
  const res = await acked(socket).emitWithAck('room:join', { room });
  assert.ok(res.ok, JSON.stringify(res));
  return res;
}

let sent = 0;
async function sendCode(socket: ChatClient, room: string): Promise<string> {
  const res = await acked(socket).emitWithAck('message:send', { room, text: 'hi', clientId: `s${sent++}` });
  return res.ok ? 'ok' : res.error.code;
}

describe('room settings: read-only rooms and slow mode', () => {
  test('a moderator makes a room read-only: the room hears of it, users may not write, moderators may', async () => {
    const { url } = await startApp(moderationEnv);
    const mod = await connectAs(url, { sub: 'mod', moderates: ['lobby'] });
    const ada = await connectAs(url, { sub: 'ada' });
    assert.deepEqual((await join(ada.socket, 'lobby')).settings, { slowModeSeconds: 0, readOnly: false });
    await join(mod.socket, 'lobby');
    assert.equal(await sendCode(ada.socket, 'lobby'), 'ok');
    const heard = waitFor<RoomSettingsEvent>(ada.socket, 'room:settings');
    const res = await acked(mod.socket).emitWithAck('room:configure', { room: 'lobby', readOnly: true });
    assert.deepEqual(res, { ok: true, settings: { slowModeSeconds: 0, readOnly: true } });
    assert.deepEqual(await heard, { room: 'lobby', slowModeSeconds: 0, readOnly: true });
    assert.equal(await sendCode(ada.socket, 'lobby'), 'forbidden');
    assert.equal(await sendCode(mod.socket, 'lobby'), 'ok');
    assert.deepEqual((await join(ada.socket, 'lobby')).settings, { slowModeSeconds: 0, readOnly: true });
    await join(ada.socket, 'other');
    assert.equal(await sendCode(ada.socket, 'other'), 'ok', 'other rooms are untouched');
  });

  test('slow mode: one message per user and room per window, with retryAfterMs; moderators are exempt', async () => {
    const { url } = await startApp(moderationEnv);
    const mod = await connectAs(url, { sub: 'mod', moderates: ['*'] });
    const ada = await connectAs(url, { sub: 'ada' });
    const bo = await connectChat(url, { name: 'Bo' });
    for (const c of [mod, ada, bo]) await join(c.socket, 'lobby');
    assert.equal(await sendCode(mod.socket, 'lobby'), 'ok');
    assert.ok((await acked(mod.socket).emitWithAck('room:configure', { room: 'lobby', slowModeSeconds: 60 })).ok);
    assert.equal(await sendCode(ada.socket, 'lobby'), 'ok');
    const again = await acked(ada.socket).emitWithAck('message:send', { room: 'lobby', text: 'again', clientId: 'again' });
    assert.equal(again.ok ? 'ok' : again.error.code, 'rate_limited');
    const wait = again.ok ? 0 : (again.error.retryAfterMs ?? 0);
    assert.ok(wait > 55_000 && wait <= 60_000, `retryAfterMs ${wait}`);
    assert.equal(await sendCode(bo.socket, 'lobby'), 'ok', 'counted per user');
    for (let i = 0; i < 3; i++) assert.equal(await sendCode(mod.socket, 'lobby'), 'ok', 'a moderator is not slowed');
    assert.ok((await acked(mod.socket).emitWithAck('room:configure', { room: 'lobby', slowModeSeconds: 0 })).ok);
    assert.equal(await sendCode(ada.socket, 'lobby'), 'ok', 'slow mode off');
  });

  test('refused: not a moderator, a room without messages, bad settings', async () => {
    const { url } = await startApp(moderationEnv);
    const mod = await connectAs(url, { sub: 'mod', moderates: ['lobby', 'empty'] });
    const ada = await connectAs(url, { sub: 'ada' });
    await join(mod.socket, 'lobby');
    assert.equal(await sendCode(mod.socket, 'lobby'), 'ok');
    const configure = (socket: ChatClient, payload: unknown) => acked(socket).emitWithAck('room:configure', payload as never);
    const cases: [ChatClient, unknown, string][] = [
      [ada.socket, { room: 'lobby', readOnly: true }, 'forbidden'],
      [mod.socket, { room: 'other', readOnly: true }, 'forbidden'],
      [mod.socket, { room: 'empty', readOnly: true }, 'not_found'],
      [mod.socket, { room: 'lobby', slowModeSeconds: 3601 }, 'bad_request'],
      [mod.socket, { room: 'lobby', slowModeSeconds: -1 }, 'bad_request'],
      [mod.socket, { room: 'lobby', slowModeSeconds: 1.5 }, 'bad_request'],
      [mod.socket, { room: 'lobby', slowModeSeconds: '5' }, 'bad_request'],
      [mod.socket, { room: 'lobby', readOnly: 'yes' }, 'bad_request'],
      [mod.socket, { readOnly: true }, 'bad_request'],
    ];
    for (const [socket, payload, code] of cases) {
      const res = await configure(socket, payload);
      assert.equal(res.ok ? 'ok' : res.error.code, code, JSON.stringify(payload));
    }
    assert.deepEqual(await configure(mod.socket, { room: 'lobby', readOnly: null, slowModeSeconds: 3600 }), {
      ok: true,
      settings: { slowModeSeconds: 3600, readOnly: false },
    });
  });

  test('over HTTP, and kept across a restart', async () => {
    const first = await startApp(moderationEnv);
    const ada = await connectAs(first.url, { sub: 'ada' });
    await join(ada.socket, 'lobby');
    assert.equal(await sendCode(ada.socket, 'lobby'), 'ok');
    const put = await api(first.url, 'PUT', '/api/rooms/lobby/settings', apiKey, { slowModeSeconds: 10 });
    assert.deepEqual([put.status, put.body], [200, { settings: { slowModeSeconds: 10, readOnly: false } }]);
    const modToken = await token({ sub: 'mod', moderates: ['lobby'] });
    assert.equal((await api(first.url, 'PUT', '/api/rooms/lobby/settings', modToken, { readOnly: true })).status, 200);
    const refusals: [string, string, string, unknown, number, string][] = [
      ['GET', '/api/rooms/lobby/settings', '', undefined, 401, 'unauthorized'],
      ['PUT', '/api/rooms/lobby/settings', '', '{"readOnly":', 401, 'unauthorized'],
      ['GET', '/api/rooms/lobby/settings', await token({ sub: 'ada' }), undefined, 403, 'forbidden'],
      ['GET', '/api/rooms/lobby/settings', await token({ sub: 'm', moderates: ['x'] }), undefined, 403, 'forbidden'],
      ['PUT', '/api/rooms/empty/settings', apiKey, { readOnly: true }, 404, 'not_found'],
      ['PUT', '/api/rooms/lobby/settings', apiKey, { slowModeSeconds: 4000 }, 400, 'bad_request'],
      ['PUT', '/api/rooms/lobby/settings', apiKey, { readOnly: 'maybe' }, 400, 'bad_request'],
      ['PUT', '/api/rooms/lobby/settings', apiKey, undefined, 400, 'bad_request'],
    ];
    for (const [method, path, credentials, body, status, code] of refusals) {
      const res = await api(first.url, method, path, credentials, body);
      assert.deepEqual([res.status, res.body.error?.code], [status, code], `${method} ${path} ${JSON.stringify(body)}`);
    }
    ada.socket.disconnect();
    await first.close();
    const second = await startApp({ ...moderationEnv, DATABASE_PATH: first.databasePath });
    const got = await api(second.url, 'GET', '/api/rooms/lobby/settings', modToken);
    assert.deepEqual([got.status, got.body], [200, { settings: { slowModeSeconds: 10, readOnly: true } }]);
  });
});
