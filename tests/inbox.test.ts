import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Conversation, Message } from '../src/protocol.js';
import { acked, connectChat, connectPush, type Running, startApp, waitFor } from './helpers.js';
import { code, join, send, stores, updateOf, visitorWithConversation } from './inbox-helpers.js';
import { apiKey, connectAs, moderationEnv } from './moderation-helpers.js';

for (const [storeName, storeEnv] of stores)
  describe(`support conversations (protocol 6.5), ${storeName}`, () => {
    /** The app on this store, or undefined when the store is missing (the test is skipped). */
    async function app(t: TestContext): Promise<Running | undefined> {
      const store = await storeEnv(t);
      return store && startApp({ ...moderationEnv, ...store });
    }

    test('a visitor opens a conversation on first use only, and gets the same one back until it is closed', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const visitor = await connectChat(url, { name: 'Vera' });
      const peek = await acked(visitor.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
      assert.ok(peek.ok);
      assert.equal(peek.conversation, undefined, 'create: false makes none');
      assert.equal(peek.staffOnline, false);

      const staff = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      assert.deepEqual(staff.inboxes, ['support'], 'the session event names the inboxes');
      const listed = await acked(staff.socket).emitWithAck('inbox:list', { inbox: 'support' });
      assert.ok(listed.ok);
      assert.deepEqual(listed.conversations, []);
      const update = new Promise<Conversation>((resolve) => staff.socket.once('inbox:update', ({ conversation }) => resolve(conversation)));

      const opened = await acked(visitor.socket).emitWithAck('conversation:open', { inbox: 'support', email: 'vera@example.com' });
      assert.ok(opened.ok && opened.conversation);
      assert.equal(opened.staffOnline, true, 'Sam is connected');
      const c = opened.conversation;
      assert.match(c.room, /^conv-[A-Za-z0-9_-]{22}$/);
      assert.equal(c.notes, `note-${c.room.slice(5)}`);
      assert.deepEqual(
        { inbox: c.inbox, visitor: c.visitor.id, email: c.email, status: c.status, unread: c.unread },
        { inbox: 'support', visitor: visitor.user.id, email: 'vera@example.com', status: 'open', unread: 0 },
      );
      assert.equal((await update).room, c.room, 'staff hear of the new conversation');

      const again = await acked(visitor.socket).emitWithAck('conversation:open', { inbox: 'support' });
      assert.ok(again.ok);
      assert.equal(again.conversation?.room, c.room, 'the same one again');
      const peekAgain = await acked(visitor.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
      assert.ok(peekAgain.ok);
      assert.equal(peekAgain.conversation?.room, c.room);
      // Two tabs of a new visitor opening at once make one conversation.
      const tia = await connectChat(url, { name: 'Tia' });
      const tia2 = await connectChat(url, { name: 'Tia', session: tia.session });
      const [tab1, tab2] = await Promise.all(
        [tia.socket, tia2.socket].map((socket) => acked(socket).emitWithAck('conversation:open', { inbox: 'support' })),
      );
      assert.ok(tab1?.ok && tab2?.ok && tab1.conversation);
      assert.equal(tab2.conversation?.room, tab1.conversation.room);

      // A signed-in user finds the same conversation from another device (another socket, a token of the same sub).
      const laptop = await connectAs(url, { sub: 'ulla', name: 'Ulla' });
      const mine = await acked(laptop.socket).emitWithAck('conversation:open', { inbox: 'support' });
      assert.ok(mine.ok && mine.conversation);
      const phone = await connectAs(url, { sub: 'ulla', name: 'Ulla' });
      const found = await acked(phone.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
      assert.ok(found.ok);
      assert.equal(found.conversation?.room, mine.conversation.room, 'the same thread on the other device');

      // Another inbox is another conversation; another visitor another one.
      const sales = await acked(visitor.socket).emitWithAck('conversation:open', { inbox: 'sales' });
      assert.ok(sales.ok && sales.conversation);
      assert.notEqual(sales.conversation.room, c.room);
      const other = await visitorWithConversation(url, { name: 'Otto' });
      assert.notEqual(other.conversation.room, c.room);
    });

    test('staff see the list with the last message, unread count and waiting time, live; replies carry the staff mark', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      assert.ok((await acked(sam.socket).emitWithAck('inbox:list', { inbox: 'support' })).ok);
      const vera = await visitorWithConversation(url);
      const { room } = vera.conversation;

      const afterHello = updateOf(sam.socket, room, (c) => c.lastMessage?.text === 'hello');
      const hello = await send(vera.socket, room, 'hello');
      let seen = await afterHello;
      assert.equal(seen.unread, 1);
      assert.equal(seen.waitingSince, hello.ts);
      assert.equal(hello.author.staff, undefined, 'a visitor carries no staff mark');

      const listed = await acked(sam.socket).emitWithAck('inbox:list', { inbox: 'support' });
      assert.ok(listed.ok);
      assert.deepEqual(
        listed.conversations.map((c) => [c.room, c.unread, c.lastMessage?.seq]),
        [[room, 1, hello.seq]],
      );

      // Staff join the conversation, read it (unread 0 for every staff member), and answer.
      await join(sam.socket, room);
      const afterRead = updateOf(sam.socket, room, (c) => c.unread === 0);
      assert.ok((await acked(sam.socket).emitWithAck('room:read', { room, seq: hello.seq })).ok);
      await afterRead;
      const broadcast = waitFor<Message>(vera.socket, 'message:new');
      const afterReply = updateOf(sam.socket, room, (c) => c.lastMessage?.text === 'Hi Vera');
      const reply = await send(sam.socket, room, 'Hi Vera');
      assert.equal(reply.author.staff, true, 'the ack carries the staff mark');
      assert.equal((await broadcast).author.staff, true, 'so does what the visitor gets');
      seen = await afterReply;
      assert.equal(seen.waitingSince, undefined, 'answered');
      assert.equal(seen.assignee?.id, 'sam', 'the first staff reply assigns');
      const history = await acked(vera.socket).emitWithAck('message:history', { room, after: 0 });
      assert.ok(history.ok);
      assert.deepEqual(
        history.messages.map((m) => [m.text, m.author.staff ?? false]),
        [
          ['hello', false],
          ['Hi Vera', true],
        ],
      );
    });

    test('a guest cannot carry the staff mark, whatever name it takes, nor write as staff in a public room', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const fake = await connectChat(url, { name: 'Agent Sam' });
      await join(fake.socket, 'support');
      const message = await send(fake.socket, 'support', 'I am staff');
      assert.equal(message.author.staff, undefined);
      const admin = await connectAs(url, { sub: 'root', name: 'Root', admin: true });
      await join(admin.socket, 'support');
      assert.equal((await send(admin.socket, 'support', 'public')).author.staff, undefined, 'the mark is for conversations only');
    });

    test('who may enter a conversation and its notes: its visitor, its inbox staff and admins; nobody else, by any way in', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const vera = await visitorWithConversation(url);
      const { room, notes } = vera.conversation;
      await send(vera.socket, room, 'private question');
      const eve = await connectChat(url, { name: 'Eve' });
      const salesStaff = await connectAs(url, { sub: 'sol', name: 'Sol', inboxes: ['sales'] });
      const moderator = await connectAs(url, { sub: 'mo', name: 'Mo', moderates: ['*'], rooms: ['*'] });
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      const anyStaff = await connectAs(url, { sub: 'ana', name: 'Ana', inboxes: ['*'] });
      const admin = await connectAs(url, { sub: 'root', name: 'Root', admin: true });
      const unknown = `conv-${'A'.repeat(22)}`;

      for (const [who, socket] of [
        ['another guest', eve.socket],
        ['staff of another inbox', salesStaff.socket],
        ['a moderator of every room', moderator.socket],
      ] as const) {
        for (const target of [room, notes, unknown]) {
          assert.equal(code(await acked(socket).emitWithAck('room:join', { room: target })), 'forbidden', `${who} joins ${target}`);
          assert.equal(code(await acked(socket).emitWithAck('room:join', { room: target, observe: true })), 'forbidden', `${who} observes`);
          assert.equal(code(await acked(socket).emitWithAck('message:history', { room: target, after: 0 })), 'forbidden', `${who} history`);
        }
        assert.equal(code(await acked(socket).emitWithAck('message:delete', { room, seq: 1 })), 'forbidden', `${who} deletes`);
        assert.equal(code(await acked(socket).emitWithAck('message:edit', { room, seq: 1, text: 'x' })), 'forbidden', `${who} edits`);
      }
      // The visitor may not read the notes; an unknown conversation is refused even to admins.
      assert.equal(code(await acked(vera.socket).emitWithAck('room:join', { room: notes })), 'forbidden');
      assert.equal(code(await acked(admin.socket).emitWithAck('room:join', { room: unknown })), 'forbidden');
      for (const socket of [sam.socket, anyStaff.socket, admin.socket]) {
        await join(socket, room);
        await join(socket, notes);
      }
      // A note is staff's alone: the visitor's socket is not in that room, so never hears it.
      const noteBroadcast = waitFor<Message>(anyStaff.socket, 'message:new');
      const note = await send(sam.socket, notes, 'VIP customer');
      assert.equal(note.author.staff, true);
      assert.equal((await noteBroadcast).text, 'VIP customer');

      // HTTP: history by its visitor's guest session or a staff token; nobody else.
      const staffToken = (sam.socket.auth as { token: string }).token;
      const get = (path: string, credentials?: string) =>
        fetch(`${url}${path}`, { headers: credentials ? { authorization: `Bearer ${credentials}` } : {} });
      assert.equal((await get(`/api/rooms/${room}/messages`)).status, 401);
      assert.equal((await get(`/api/rooms/${room}/messages`, eve.session)).status, 403);
      assert.equal((await get(`/api/rooms/${notes}/messages`, vera.session)).status, 403);
      assert.equal((await get(`/api/rooms/${unknown}/messages`, staffToken)).status, 403);
      assert.equal((await get(`/api/rooms/${room}/messages`, 'guest_forged123.nope')).status, 401);
      const own = await get(`/api/rooms/${room}/messages`, vera.session);
      assert.equal(own.status, 200);
      assert.equal(((await own.json()) as { messages: Message[] }).messages[0]?.text, 'private question');
      assert.equal((await get(`/api/rooms/${notes}/messages`, staffToken)).status, 200);

      // Files: uploaded by the visitor, read with the visitor's session or a staff token, nobody else's.
      const grant = await acked(vera.socket).emitWithAck('upload:token', { room });
      assert.ok(grant.ok);
      const uploaded = await fetch(`${url}/api/rooms/${room}/attachments?name=note.txt`, {
        method: 'POST',
        headers: { authorization: `Upload ${grant.token}` },
        body: 'my order number is 42',
      });
      assert.equal(uploaded.status, 201);
      const file = ((await uploaded.json()) as { attachment: { url: string } }).attachment.url;
      assert.equal((await get(file)).status, 401);
      assert.equal((await get(file, eve.session)).status, 403);
      assert.equal((await get(file, vera.session)).status, 200);
      assert.equal((await get(file, staffToken)).status, 200);
      assert.equal((await get(file, (salesStaff.socket.auth as { token: string }).token)).status, 403);
      for (const socket of [eve.socket, salesStaff.socket, moderator.socket]) {
        assert.equal(code(await acked(socket).emitWithAck('upload:token', { room })), 'forbidden');
      }

      // The room's push topic (message previews) follows the room.
      const push = async (auth: Record<string, unknown>, topic: string) => {
        const reader = await connectPush(url, auth);
        return code(await acked(reader.socket).emitWithAck('push:subscribe', { topic }));
      };
      assert.equal(await push({ session: eve.session }, `room:${room}`), 'forbidden');
      assert.equal(await push({ session: vera.session }, `room:${notes}`), 'forbidden');
      assert.equal(await push({ token: (salesStaff.socket.auth as { token: string }).token }, `room:${room}`), 'forbidden');
      assert.equal(await push({ session: vera.session }, `room:${room}`), 'ok');
      assert.equal(await push({ token: staffToken }, `room:${notes}`), 'ok');

      // The API key writes as staff in a conversation, and not in one no conversation owns.
      const post = (target: string) =>
        fetch(`${url}/api/rooms/${target}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'from the backend' }),
        });
      const posted = await post(room);
      assert.equal(posted.status, 201);
      assert.equal(((await posted.json()) as { message: Message }).message.author.staff, true);
      const asVisitor = await fetch(`${url}/api/rooms/${room}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'replied by e-mail', author: { id: vera.user.id, name: 'Vera' } }),
      });
      assert.equal(asVisitor.status, 201);
      assert.equal(((await asVisitor.json()) as { message: Message }).message.author.staff, undefined, 'as the visitor: no mark');
      assert.equal((await post(unknown)).status, 403);
    });

    test("an inbox's staff rooms do not count against ROOMS_PER_SOCKET", async () => {
      const { url } = await startApp({ ...moderationEnv, ROOMS_PER_SOCKET: '2' });
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support', 'sales'] });
      assert.ok((await acked(sam.socket).emitWithAck('inbox:list', { inbox: 'support' })).ok);
      await join(sam.socket, 'one');
      await join(sam.socket, 'two');
      assert.equal(code(await acked(sam.socket).emitWithAck('room:join', { room: 'three' })), 'rate_limited');
    });

    test('conversations are never listed: not live, not recent', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const vera = await visitorWithConversation(url);
      await send(vera.socket, vera.conversation.room, 'hello');
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      await join(sam.socket, vera.conversation.room);
      await join(sam.socket, vera.conversation.notes);
      await send(sam.socket, vera.conversation.notes, 'note');
      await join(vera.socket, 'lobby');
      await send(vera.socket, 'lobby', 'public');
      const list = (await (await fetch(`${url}/api/rooms`)).json()) as { rooms: { room: string }[]; recent: { room: string }[] };
      assert.deepEqual(
        list.rooms.map((r) => r.room),
        ['lobby'],
      );
      assert.deepEqual(
        list.recent.map((r) => r.room),
        ['lobby'],
      );
    });

    test('bad input is bad_request; staff events from others are forbidden', async (t) => {
      const running = await app(t);
      if (!running) return;
      const { url } = running;
      const vera = await visitorWithConversation(url);
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      const { room } = vera.conversation;
      const bad: [string, unknown][] = [
        ['conversation:open', {}],
        ['conversation:open', { inbox: 'bad name' }],
        ['conversation:open', { inbox: 'x'.repeat(65) }],
        ['conversation:open', { inbox: 'support', create: 'yes' }],
        ['conversation:open', { inbox: 'support', email: 'no-at-sign' }],
        ['conversation:open', { inbox: 'support', email: 'a@b@c' }],
        ['conversation:open', { inbox: 'support', email: 'a b@c' }],
        ['conversation:open', { inbox: 'support', email: `${'a'.repeat(250)}@b.cd` }],
        ['conversation:open', 'support'],
        ['inbox:list', { inbox: 'support', status: 'all' }],
        ['inbox:list', { inbox: 'support', limit: 0 }],
        ['inbox:list', { inbox: 'support', limit: 101 }],
        ['inbox:list', { inbox: 'support', before: -1 }],
        ['inbox:list', { inbox: 'bad/name' }],
        ['conversation:assign', { room: 'lobby' }],
        ['conversation:assign', { room, user: 5 }],
        ['conversation:close', { room: 'conv-short' }],
        ['conversation:reopen', {}],
        ['conversation:snooze', { room, until: 'tomorrow' }],
        ['conversation:snooze', { room, until: Date.now() - 1000 }],
        ['conversation:snooze', { room, until: Date.now() + 31 * 24 * 3600_000 }],
      ];
      for (const [event, payload] of bad) {
        const result = await acked(sam.socket).emitWithAck(event as 'conversation:open', payload as { inbox: string });
        assert.equal(code(result), 'bad_request', `${event} ${JSON.stringify(payload)}`);
      }
      const eve = await connectChat(url, { name: 'Eve' });
      for (const socket of [eve.socket, vera.socket]) {
        assert.equal(code(await acked(socket).emitWithAck('inbox:list', { inbox: 'support' })), 'forbidden');
        for (const event of ['conversation:assign', 'conversation:close', 'conversation:reopen', 'conversation:snooze'] as const) {
          assert.equal(code(await acked(socket).emitWithAck(event, { room })), 'forbidden', event);
        }
      }
      const sol = await connectAs(url, { sub: 'sol', name: 'Sol', inboxes: ['sales'] });
      assert.equal(
        code(await acked(sol.socket).emitWithAck('inbox:list', { inbox: 'support' })),
        'forbidden',
        'staff of inbox A refused B',
      );
      assert.equal(code(await acked(sol.socket).emitWithAck('conversation:close', { room })), 'forbidden');
      const unknown = `conv-${'B'.repeat(22)}`;
      assert.equal(code(await acked(sam.socket).emitWithAck('conversation:close', { room: unknown })), 'forbidden', 'unknown: forbidden');
    });
  });
