import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Conversation } from '../src/protocol.js';
import { acked, type ChatClient, connectChat, receiver, startApp, waitFor } from './helpers.js';
import { code, join, send, stores, updateOf, visitorWithConversation } from './inbox-helpers.js';
import { connectAs, moderationEnv } from './moderation-helpers.js';

type Status = 'open' | 'mine' | 'unassigned' | 'snoozed' | 'closed';

async function list(socket: ChatClient, status: Status, extra: { limit?: number; before?: number } = {}) {
  const listed = await acked(socket).emitWithAck('inbox:list', { inbox: 'support', status, ...extra });
  assert.ok(listed.ok, JSON.stringify(listed));
  return listed;
}

const rooms = async (socket: ChatClient, status: Status) => (await list(socket, status)).conversations.map((c) => c.room);

for (const [storeName, storeEnv] of stores)
  describe(`support conversations: staff actions (protocol 6.5), ${storeName}`, () => {
    /** The app on this store, or undefined when the store is missing (the test is skipped). */
    async function app(t: TestContext, env: Record<string, string> = {}) {
      const store = await storeEnv(t);
      return store && startApp({ ...moderationEnv, ...store, ...env });
    }

    test('assign, close, reopen and snooze, each acked, told to every listing staff member and sorted into the tabs', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      const ann = await connectAs(url, { sub: 'ann', name: 'Ann', inboxes: ['*'] });
      for (const s of [sam, ann]) await list(s.socket, 'open');
      const vera = await visitorWithConversation(url);
      const { room } = vera.conversation;

      // Assign to oneself, to another staff member connected now, to nobody.
      const annHears = updateOf(ann.socket, room, (c) => c.assignee?.id === 'sam');
      const mine = await acked(sam.socket).emitWithAck('conversation:assign', { room });
      assert.ok(mine.ok);
      assert.deepEqual(mine.conversation.assignee, { id: 'sam', name: 'Sam', kind: 'user' });
      await annHears;
      assert.deepEqual(await rooms(sam.socket, 'mine'), [room]);
      assert.deepEqual(await rooms(ann.socket, 'mine'), []);
      assert.deepEqual(await rooms(sam.socket, 'unassigned'), []);
      const toAnn = await acked(sam.socket).emitWithAck('conversation:assign', { room, user: 'ann' });
      assert.ok(toAnn.ok);
      assert.equal(toAnn.conversation.assignee?.id, 'ann');
      assert.equal(code(await acked(sam.socket).emitWithAck('conversation:assign', { room, user: 'nobody-here' })), 'not_found');
      assert.equal(code(await acked(sam.socket).emitWithAck('conversation:assign', { room, user: vera.user.id })), 'not_found', 'no staff');
      const unassigned = await acked(sam.socket).emitWithAck('conversation:assign', { room, user: null });
      assert.ok(unassigned.ok);
      assert.equal(unassigned.conversation.assignee, undefined);
      assert.deepEqual(await rooms(ann.socket, 'unassigned'), [room]);

      // Snooze until the visitor's next message: out of Open, in Snoozed; the visitor's message ends it.
      const snoozed = await acked(sam.socket).emitWithAck('conversation:snooze', { room });
      assert.ok(snoozed.ok);
      assert.equal(snoozed.conversation.status, 'snoozed');
      assert.equal(snoozed.conversation.snoozedUntil, undefined);
      assert.deepEqual(await rooms(sam.socket, 'open'), []);
      assert.deepEqual(await rooms(sam.socket, 'snoozed'), [room]);
      const woken = updateOf(ann.socket, room, (c) => c.status === 'open');
      await send(vera.socket, room, 'still there?');
      await woken;
      assert.deepEqual(await rooms(sam.socket, 'open'), [room]);

      // Snooze until a time: snoozed with snoozedUntil; a staff message does not end it.
      const until = Date.now() + 3600_000;
      const timed = await acked(sam.socket).emitWithAck('conversation:snooze', { room, until });
      assert.ok(timed.ok);
      assert.deepEqual([timed.conversation.status, timed.conversation.snoozedUntil], ['snoozed', until]);
      await join(sam.socket, room);
      const afterReply = updateOf(ann.socket, room, (c) => c.lastMessage?.text === 'we will look tomorrow');
      await send(sam.socket, room, 'we will look tomorrow');
      assert.equal((await afterReply).status, 'snoozed');

      // Close: in Closed only; the visitor's next conversation:open makes a new one; its message reopens the old one.
      const closed = await acked(sam.socket).emitWithAck('conversation:close', { room });
      assert.ok(closed.ok);
      assert.equal(closed.conversation.status, 'closed');
      assert.deepEqual(await rooms(sam.socket, 'closed'), [room]);
      assert.deepEqual(await rooms(sam.socket, 'snoozed'), []);
      const reopenedByVisitor = updateOf(ann.socket, room, (c) => c.status === 'open');
      await send(vera.socket, room, 'one more thing');
      await reopenedByVisitor;
      const closedAgain = await acked(ann.socket).emitWithAck('conversation:close', { room });
      assert.ok(closedAgain.ok);
      const peek = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
      assert.ok(peek.ok);
      assert.equal(peek.conversation, undefined, 'a closed conversation is not offered again');
      const fresh = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support' });
      assert.ok(fresh.ok && fresh.conversation);
      assert.notEqual(fresh.conversation.room, room);
      // With a new one open, the old one cannot be reopened, by staff or by a message in it.
      assert.equal(code(await acked(sam.socket).emitWithAck('conversation:reopen', { room })), 'conflict');
      const staysClosed = updateOf(ann.socket, room, (c) => c.lastMessage?.text === 'old thread');
      await send(vera.socket, room, 'old thread');
      assert.equal((await staysClosed).status, 'closed');
      const closeNew = await acked(sam.socket).emitWithAck('conversation:close', { room: fresh.conversation.room });
      assert.ok(closeNew.ok);
      const reopened = await acked(sam.socket).emitWithAck('conversation:reopen', { room });
      assert.ok(reopened.ok);
      assert.equal(reopened.conversation.status, 'open');
    });

    test('unread and waiting are the same for every staff member, and the first staff reply assigns', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      const ann = await connectAs(url, { sub: 'ann', name: 'Ann', inboxes: ['support'] });
      for (const s of [sam, ann]) await list(s.socket, 'open');
      const vera = await visitorWithConversation(url);
      const { room } = vera.conversation;
      const two = updateOf(ann.socket, room, (c) => c.unread === 2);
      const first = await send(vera.socket, room, 'one');
      await send(vera.socket, room, 'two');
      assert.equal((await two).waitingSince, first.ts);

      // Sam reads up to the first: Ann sees 1 unread.
      await join(sam.socket, room);
      const one = updateOf(ann.socket, room, (c) => c.unread === 1);
      assert.ok((await acked(sam.socket).emitWithAck('room:read', { room, seq: first.seq })).ok);
      await one;
      // The visitor's own reads change nothing for staff.
      assert.ok((await acked(vera.socket).emitWithAck('room:read', { room, seq: first.seq + 1 })).ok);
      assert.equal((await list(ann.socket, 'open')).conversations[0]?.unread, 1);

      // A note answers nobody; Ann's reply answers and assigns to her, Sam's later reply changes no assignee.
      await join(ann.socket, vera.conversation.notes);
      await send(ann.socket, vera.conversation.notes, 'I take this one');
      assert.equal((await list(sam.socket, 'open')).conversations[0]?.waitingSince, first.ts);
      await join(ann.socket, room);
      const answered = updateOf(sam.socket, room, (c) => c.waitingSince === undefined);
      await send(ann.socket, room, 'Hello from Ann');
      assert.equal((await answered).assignee?.id, 'ann');
      const later = updateOf(ann.socket, room, (c) => c.lastMessage?.text === 'and Sam');
      await send(sam.socket, room, 'and Sam');
      assert.equal((await later).assignee?.id, 'ann');
      // The visitor writes again: waiting since that message.
      const waiting = updateOf(sam.socket, room, (c) => c.waitingSince !== undefined);
      const again = await send(vera.socket, room, 'thanks, but');
      assert.equal((await waiting).waitingSince, again.ts);
    });

    test('an e-mail given later replaces the first and is told to staff; nobody else sees it', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      await list(sam.socket, 'open');
      const vera = await connectChat(url, { name: 'Vera' });
      const opened = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support', email: 'old@example.com' });
      assert.ok(opened.ok && opened.conversation);
      const { room } = opened.conversation;
      const told = updateOf(sam.socket, room, (c) => c.email === 'new@example.com');
      const again = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support', email: 'new@example.com' });
      assert.ok(again.ok);
      assert.equal(again.conversation?.email, 'new@example.com');
      await told;
      // Messages and the public room list carry no e-mail.
      await join(vera.socket, room);
      const message = await send(vera.socket, room, 'hi');
      assert.doesNotMatch(JSON.stringify(message), /example\.com/);
      assert.doesNotMatch(await (await fetch(`${url}/api/rooms`)).text(), /example\.com/);
    });

    test('the list pages by updatedAt, most recent first', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      const made: Conversation[] = [];
      for (const name of ['A', 'B', 'C']) {
        made.push((await visitorWithConversation(url, { name })).conversation);
        // Distinct updatedAt values: the next conversation is made after the clock moved on.
        const at = Date.now();
        while (Date.now() === at) await new Promise((resolve) => setImmediate(resolve));
      }
      const page1 = await list(sam.socket, 'open', { limit: 2 });
      assert.deepEqual(
        page1.conversations.map((c) => c.visitor.name),
        ['C', 'B'],
      );
      assert.equal(page1.hasMore, true);
      const page2 = await list(sam.socket, 'open', { limit: 2, before: page1.conversations[1]?.updatedAt });
      assert.deepEqual(
        page2.conversations.map((c) => c.visitor.name),
        ['A'],
      );
      assert.equal(page2.hasMore, false);
    });

    test('webhooks conversation.created, .assigned and .closed carry the conversation with its e-mail; its messages come as message.created', async (t) => {
      const hook = await receiver((_req, _n, res) => res.writeHead(204).end());
      const running = await app(t, { WEBHOOK_URL: hook.url, WEBHOOK_SECRET: 'webhook-secret-0123456789' });
      if (!running) return;
      const { url } = running;
      const vera = await connectChat(url, { name: 'Vera' });
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      const opened = await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support', email: 'vera@example.com' });
      assert.ok(opened.ok && opened.conversation);
      const { room } = opened.conversation;
      await join(vera.socket, room);
      await send(vera.socket, room, 'help');
      assert.ok((await acked(sam.socket).emitWithAck('conversation:assign', { room })).ok);
      assert.ok((await acked(sam.socket).emitWithAck('conversation:close', { room })).ok);
      const wanted = ['conversation.created', 'message.created', 'conversation.assigned', 'conversation.closed'];
      // The default WEBHOOK_EVENTS (member.joined and .left are in it too); sent a few at once, so in any order.
      const events = () =>
        hook.received
          .map((r) => JSON.parse(r.body) as { event: string; data: { conversation?: Conversation } })
          .filter((b) => wanted.includes(b.event));
      while (events().length < wanted.length) await waitFor(hook.events, 'request', 5000);
      const bodies = events().sort((a, b) => wanted.indexOf(a.event) - wanted.indexOf(b.event));
      assert.deepEqual(
        bodies.map((b) => b.event),
        wanted,
      );
      for (const body of bodies.filter((b) => b.event.startsWith('conversation.'))) {
        assert.equal(body.data.conversation?.room, room);
        assert.equal(body.data.conversation?.email, 'vera@example.com');
      }
      assert.equal(bodies[2]?.data.conversation?.assignee?.id, 'sam');
      assert.equal(bodies[3]?.data.conversation?.status, 'closed');
    });
  });
