import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Attachment } from '../src/protocol.js';
import { redisAvailable, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { png, upload, uploaded, uploadToken } from './files-helpers.js';
import { acked, type ChatClient, connectChat, connectPush, type Running, startApp } from './helpers.js';
import { code, join, send, type stores, visitorWithConversation } from './inbox-helpers.js';
import { connectAs, moderationEnv, token } from './moderation-helpers.js';

/**
 * The privacy tests of support conversations (tests/inbox-privacy.test.ts): a scene of an inbox at
 * work, intruders, and the tries of every way in, each asserting the refusal and that nothing leaks.
 */

/**
 * The app on one of the stores (`stores`), or undefined when that store is missing (the test is
 * skipped). With PostgreSQL, Redis too where there is one: the live room list then comes from the
 * presence scripts, and broadcasts go through the Redis adapter, as in a cluster.
 */
export async function app(t: TestContext, storeEnv: (typeof stores)[number][1]): Promise<Running | undefined> {
  const store = await storeEnv(t);
  if (!store) return undefined;
  const redis: Record<string, string> =
    store.DATABASE_URL && (await redisAvailable()) ? { REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix() } : {};
  return startApp({ ...moderationEnv, ...store, ...redis });
}

/** Everything a client hears, by event, so a test can say what it never heard. */
export function spy(socket: { onAny(listener: (event: string, ...args: unknown[]) => void): unknown }) {
  const heard: [string, unknown[]][] = [];
  socket.onAny((event, ...args) => heard.push([event, args]));
  return heard;
}

/** Asserts none of `secrets` occurs in anything `heard` holds. */
export function heardNone(heard: [string, unknown[]][], secrets: string[], who: string): void {
  const text = JSON.stringify(heard);
  for (const secret of secrets) assert.ok(!text.includes(secret), `${who} heard ${secret}: ${text.slice(0, 2000)}`);
}

/** Sends the files (uploaded to the room by this socket) as one message. */
async function sendFiles(socket: ChatClient, room: string, files: Attachment[], text = '') {
  const sent = await acked(socket).emitWithAck('message:send', { room, text, clientId: randomUUID(), attachments: files.map((f) => f.id) });
  assert.ok(sent.ok, JSON.stringify(sent));
  return sent.message;
}

/**
 * A support inbox at work: Vera (a guest) asked a question with a receipt attached; Sam (staff of
 * `support`) is in the conversation and wrote a private note with a file.
 */
export async function scene(url: string) {
  const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
  const vera = await visitorWithConversation(url);
  const { room, notes } = vera.conversation;
  await join(sam.socket, room);
  await join(sam.socket, notes);
  const question = await send(vera.socket, room, 'Where is my order 4711?');
  const receipt = await uploaded(await upload(url, room, await uploadToken(vera.socket, room), png(2, 2), 'receipt.png'));
  await sendFiles(vera.socket, room, [receipt]);
  const note = await send(sam.socket, notes, 'NOTE: flagged for fraud review');
  const noteFile = await uploaded(await upload(url, notes, await uploadToken(sam.socket, notes), png(3, 3), 'fraud-evidence.png'));
  await sendFiles(sam.socket, notes, [noteFile]);
  return { sam, vera, room, notes, question, receipt, note, noteFile, id: room.slice(5) };
}

export type Scene = Awaited<ReturnType<typeof scene>>;

/** Someone trying to get in: their socket, and their HTTP bearer credentials (a guest's session or a JWT). */
export interface Intruder {
  name: string;
  socket: ChatClient;
  credentials: string;
  /** What their `/push` socket connects with. */
  auth: Record<string, unknown>;
}

export async function guest(url: string, name: string): Promise<Intruder> {
  const { socket, session } = await connectChat(url, { name });
  return { name: `the guest ${name}`, socket, credentials: session, auth: { session } };
}

export async function user(url: string, name: string, claims: Record<string, unknown>): Promise<Intruder> {
  const jwt = await token(claims);
  const { socket } = await connectChat(url, { token: jwt });
  return { name, socket, credentials: jwt, auth: { token: jwt } };
}

/** Every /chat event that names a room, each refused for `target`. */
export async function refusedOnSocket(who: Intruder, target: string, s: Scene): Promise<void> {
  const { socket } = who;
  const attempts: [string, unknown][] = [
    ['room:join', { room: target }],
    ['room:join', { room: target, after: 0 }],
    ['room:join', { room: target, after: 1, limit: 1 }],
    ['room:join', { room: target, observe: true }],
    ['message:history', { room: target, after: 0 }],
    ['message:history', { room: target, before: 1000 }],
    ['message:history', { room: target, after: 0, before: 1000, limit: 5 }],
    ['message:send', { room: target, text: 'let me in', clientId: randomUUID() }],
    ['message:send', { room: target, text: '', clientId: randomUUID(), attachments: [s.receipt.id] }],
    ['message:edit', { room: target, seq: 1, text: 'rewritten' }],
    ['message:react', { room: target, seq: 1, emoji: '👍', on: true }],
    ['message:delete', { room: target, seq: 1 }],
    ['room:read', { room: target, seq: 1 }],
    ['upload:token', { room: target }],
    ['room:kick', { room: target, user: s.vera.user.id }],
    ['room:configure', { room: target, readOnly: true }],
    ['conversation:assign', { room: target }],
    ['conversation:assign', { room: target, user: null }],
    ['conversation:close', { room: target }],
    ['conversation:reopen', { room: target }],
    ['conversation:snooze', { room: target }],
    ['conversation:snooze', { room: target, until: Date.now() + 3600_000 }],
  ];
  for (const [event, payload] of attempts) {
    const result = await acked(socket).emitWithAck(event as 'room:join', payload as { room: string });
    // The staff events name a conversation by its `conv-` room: a notes room is no such name.
    const expected = event.startsWith('conversation:') && target.startsWith('note-') ? 'bad_request' : 'forbidden';
    assert.equal(code(result), expected, `${who.name}: ${event} ${JSON.stringify(payload)} -> ${JSON.stringify(result)}`);
  }
  // Never acked; what it must not do is reach the room (the spies below).
  socket.emit('typing:update', { room: target, typing: true });
  // Leaving a room one is not in changes nothing, and says nothing of it.
  assert.deepEqual(await acked(socket).emitWithAck('room:leave', { room: target }), { ok: true });
}

/** Every HTTP route that names a room, each refused for `target` with and without the intruder's credentials. */
export async function refusedOverHttp(url: string, who: Intruder, target: string, file: Attachment, s: Scene): Promise<void> {
  const call = async (method: string, path: string, credentials: string | undefined, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(credentials ? { authorization: credentials.startsWith('Upload ') ? credentials : `Bearer ${credentials}` } : {}),
        ...(body === undefined ? {} : { 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' }),
      },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await res.text();
    // Not a byte of the conversation in any answer: no text, no file, no name.
    for (const secret of [s.question.text, s.note.text, s.receipt.name, s.noteFile.name]) {
      assert.ok(!text.includes(secret), `${who.name}: ${method} ${path} answered ${text.slice(0, 300)}`);
    }
    return { status: res.status, text };
  };
  const reads = [
    `/api/rooms/${target}/messages`,
    `/api/rooms/${target}/messages?after=0`,
    `/api/rooms/${target}/messages?before=1000&limit=5`,
    `/api/rooms/${target}/attachments/${file.id}`,
  ];
  for (const path of reads) {
    assert.equal((await call('GET', path, undefined)).status, 401, `nobody: GET ${path}`);
    const refused = await call('GET', path, who.credentials);
    assert.equal(refused.status, 403, `${who.name}: GET ${path}`);
    assert.equal((JSON.parse(refused.text) as { error: { code: string } }).error.code, 'forbidden');
  }
  // Uploading needs an upload token for that room, which only `upload:token` in it gives.
  assert.equal((await call('POST', `/api/rooms/${target}/attachments?name=x.png`, undefined, png(1, 1))).status, 401);
  assert.equal((await call('POST', `/api/rooms/${target}/attachments?name=x.png`, 'Upload forged.token', png(1, 1))).status, 401);
  await join(who.socket, 'lobby');
  const lobbyToken = await uploadToken(who.socket, 'lobby');
  assert.equal(
    (await call('POST', `/api/rooms/${target}/attachments?name=x.png`, `Upload ${lobbyToken}`, png(1, 1))).status,
    403,
    `${who.name}: an upload token of another room`,
  );
  // The moderation routes: a guest's session is no moderator's token, and moderating rooms opens no conversation.
  const moderation: [string, string, unknown?][] = [
    ['GET', `/api/rooms/${target}/members`],
    ['GET', `/api/rooms/${target}/settings`],
    ['PUT', `/api/rooms/${target}/settings`, { readOnly: true }],
    ['POST', `/api/rooms/${target}/kick`, { user: s.vera.user.id }],
    ['DELETE', `/api/rooms/${target}/messages/1`],
    ['GET', `/api/audit?room=${target}`],
    ['GET', `/api/bans?room=${target}`],
    ['POST', '/api/bans', { user: s.vera.user.id, room: target }],
  ];
  for (const [method, path, body] of moderation) {
    const { status } = await call(method, path, who.credentials, body);
    assert.ok(status === 401 || status === 403, `${who.name}: ${method} ${path} -> ${status}`);
  }
  // The room page's live data pushes to the room's topic: not for a stranger into someone's conversation.
  assert.equal((await call('POST', `/api/rooms/${target}/live`, undefined, {})).status, 401, 'nobody: live data');
  assert.equal((await call('POST', `/api/rooms/${target}/live`, who.credentials, {})).status, 403, `${who.name}: live data`);
  // The room page itself is the same static page for every room: none of the conversation is in it.
  assert.equal((await call('GET', `/rooms/${target}`, undefined)).status, 200);
}

/** `/push`: the room's topic, with and without what was missed. */
export async function refusedOnPush(url: string, who: Intruder, target: string): Promise<void> {
  const push = await connectPush(url, who.auth);
  for (const payload of [{ topic: `room:${target}` }, { topic: `room:${target}`, after: 0 }]) {
    const result = await acked(push.socket).emitWithAck('push:subscribe', payload);
    assert.equal(code(result), 'forbidden', `${who.name}: push:subscribe ${JSON.stringify(payload)}`);
  }
  push.socket.disconnect();
}

/** The lists: `GET /api/rooms` (live and recent) and `/` never name a conversation or its notes. */
export async function unlisted(url: string, s: Scene): Promise<void> {
  const list = await (await fetch(`${url}/api/rooms`)).text();
  assert.ok(!list.includes(s.id), `GET /api/rooms lists ${list}`);
  const parsed = JSON.parse(list) as { rooms: { room: string }[]; recent: { room: string }[] };
  for (const { room } of [...parsed.rooms, ...parsed.recent]) assert.ok(!/^(conv|note)-/.test(room), room);
  assert.ok(
    parsed.recent.some((r) => r.room === 'lobby'),
    'the public room is listed, so the list was read',
  );
  const home = await fetch(`${url}/`);
  assert.equal(home.status, 200);
  assert.ok(!(await home.text()).includes(s.id));
}
