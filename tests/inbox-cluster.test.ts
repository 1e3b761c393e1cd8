import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Message } from '../src/protocol.js';
import { redisAvailable, startNode, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, connectChat, createTestDatabase, waitFor } from './helpers.js';
import { code, join, send, updateOf } from './inbox-helpers.js';
import { connectAs, secret } from './moderation-helpers.js';

/** Two roomcast processes sharing PostgreSQL and Redis; undefined (and the test skipped, loudly outside CI) without them. */
async function twoNodes(t: TestContext) {
  const databaseUrl = await createTestDatabase();
  if (!databaseUrl || !(await redisAvailable())) {
    t.skip('needs Redis and PostgreSQL');
    return undefined;
  }
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix(), JWT_SECRET: secret };
  return Promise.all([startNode({ ...env, NODE_NAME: 'a' }), startNode({ ...env, NODE_NAME: 'b' })]);
}

describe('support conversations across nodes (protocol 6.5)', () => {
  test('two staff on two nodes share the list, unread counts and replies; a visitor keeps the thread on the other node', async (t) => {
    const nodes = await twoNodes(t);
    if (!nodes) return;
    const [a, b] = nodes;

    // Staff online is known across nodes: Sam is on a, the visitor asks on b.
    const vera = await connectChat(b.url, { name: 'Vera' });
    const none = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
    assert.ok(none.ok);
    assert.equal(none.staffOnline, false);
    const sam = await connectAs(a.url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
    const ann = await connectAs(b.url, { sub: 'ann', name: 'Ann', inboxes: ['support'] });
    const admin = await connectAs(a.url, { sub: 'root', name: 'Root', admin: true });
    for (const s of [sam, ann]) assert.ok((await acked(s.socket).emitWithAck('inbox:list', { inbox: 'support' })).ok);
    const online = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
    assert.ok(online.ok);
    assert.equal(online.staffOnline, true);

    // Vera opens on b: Sam hears of it on a.
    const samHears = new Promise<string>((resolve) => sam.socket.once('inbox:update', ({ conversation }) => resolve(conversation.room)));
    const opened = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support' });
    assert.ok(opened.ok && opened.conversation);
    const { room } = opened.conversation;
    assert.equal(await samHears, room);
    await join(vera.socket, room);

    // Both see the same unread count; Sam's read (on a) clears it for Ann (on b).
    const samUnread = updateOf(sam.socket, room, (c) => c.unread === 1);
    const annUnread = updateOf(ann.socket, room, (c) => c.unread === 1);
    const hello = await send(vera.socket, room, 'hello');
    await Promise.all([samUnread, annUnread]);
    await join(sam.socket, room);
    await join(ann.socket, room);
    const cleared = updateOf(ann.socket, room, (c) => c.unread === 0);
    assert.ok((await acked(sam.socket).emitWithAck('room:read', { room, seq: hello.seq })).ok);
    await cleared;

    // Sam's reply reaches Ann and Vera on b at once, with the staff mark, and assigns it to Sam for both.
    const annSees = waitFor<Message>(ann.socket, 'message:new');
    const veraSees = waitFor<Message>(vera.socket, 'message:new');
    const assigned = updateOf(ann.socket, room, (c) => c.assignee?.id === 'sam');
    await send(sam.socket, room, 'Hi, Sam here');
    for (const seen of [await annSees, await veraSees]) assert.deepEqual([seen.text, seen.author.staff], ['Hi, Sam here', true]);
    await assigned;

    // Assigning to a staff member connected on the other node, and to the admin, works; to someone gone, not.
    const toAnn = await acked(sam.socket).emitWithAck('conversation:assign', { room, user: 'ann' });
    assert.ok(toAnn.ok);
    assert.equal(toAnn.conversation.assignee?.name, 'Ann');
    assert.ok((await acked(ann.socket).emitWithAck('conversation:assign', { room, user: 'root' })).ok);
    admin.socket.disconnect();
    const gone = async () => code(await acked(ann.socket).emitWithAck('conversation:assign', { room, user: 'root' }));
    // The admin's socket leaves node a's adapter rooms as it disconnects; b asks a each time.
    let answer = await gone();
    for (let i = 0; answer === 'ok' && i < 20; i++) answer = await gone();
    assert.equal(answer, 'not_found');

    // Vera comes back on node a with her session: the same thread, its history.
    vera.socket.disconnect();
    const back = await connectChat(a.url, { name: 'Vera', session: vera.session });
    assert.equal(back.user.id, vera.user.id);
    const resumed = await acked(back.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
    assert.ok(resumed.ok);
    assert.equal(resumed.conversation?.room, room);
    const joined = await join(back.socket, room);
    assert.deepEqual(
      joined.messages.map((m) => m.text),
      ['hello', 'Hi, Sam here'],
    );

    // Staff of another inbox, on either node, are refused.
    for (const node of [a, b]) {
      const sol = await connectAs(node.url, { sub: 'sol', name: 'Sol', inboxes: ['sales'] });
      assert.equal(code(await acked(sol.socket).emitWithAck('inbox:list', { inbox: 'support' })), 'forbidden');
      assert.equal(code(await acked(sol.socket).emitWithAck('room:join', { room })), 'forbidden');
      assert.equal(code(await acked(sol.socket).emitWithAck('conversation:close', { room })), 'forbidden');
    }
  });
});
