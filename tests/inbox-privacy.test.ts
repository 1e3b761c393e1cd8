import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Message } from '../src/protocol.js';
import { png } from './files-helpers.js';
import { acked, connectChat, connectPush, startApp, waitFor } from './helpers.js';
import { code, join, send, stores, visitorWithConversation } from './inbox-helpers.js';
import { apiKey, connectAs, moderationCluster, moderationEnv } from './moderation-helpers.js';
import {
  app,
  guest,
  heardNone,
  type Intruder,
  refusedOnPush,
  refusedOnSocket,
  refusedOverHttp,
  scene,
  spy,
  unlisted,
  user,
} from './privacy-helpers.js';

/**
 * Issue 14, "Bad input and privacy": nobody but its visitor, its inbox's staff and admins gets
 * into a support conversation, by any event or route of /chat, /push or HTTP (enumerated from
 * tests/schemas.test.ts's lists); a note never reaches the visitor; the staff mark cannot be
 * claimed. Each refusal is `forbidden` (or `unauthorized` without credentials), and the refused
 * hear nothing: no broadcast, no message, no file bytes.
 */

for (const [storeName, storeEnv] of stores) {
  describe(`support conversations are private (protocol 6.5, issue 14), on ${storeName}`, () => {
    test('another visitor, staff of another inbox and a moderator of every room get in by no event or route, and hear nothing', async (t) => {
      const running = await app(t, storeEnv);
      if (!running) return;
      const { url } = running;
      const s = await scene(url);
      const unknown = `conv-${'A'.repeat(22)}`;
      const eve = await guest(url, 'Eve');
      const sol = await user(url, 'staff of another inbox', { sub: 'sol', name: 'Sol', inboxes: ['sales'] });
      const mo = await user(url, 'a moderator of every room', { sub: 'mo', name: 'Mo', moderates: ['*'], rooms: ['*'], topics: ['*'] });
      const intruders = [eve, sol, mo];
      const heard = new Map(intruders.map((who) => [who, spy(who.socket)]));
      // Sol lists his own inbox: he is subscribed to its updates, and must hear none of support's.
      assert.ok((await acked(sol.socket).emitWithAck('inbox:list', { inbox: 'sales' })).ok);
      const veraHeard = spy(s.vera.socket);
      const samHeard = spy(s.sam.socket);

      for (const who of intruders) {
        for (const target of [s.room, s.notes, unknown]) {
          await refusedOnSocket(who, target, s);
          await refusedOnPush(url, who, target);
        }
        await refusedOverHttp(url, who, s.room, s.receipt, s);
        await refusedOverHttp(url, who, s.notes, s.noteFile, s);
        await refusedOverHttp(url, who, unknown, s.receipt, s);
        // Files are served by room: the receipt's id under a room one may read gives nothing either.
        await join(who.socket, 'lobby');
        const elsewhere = await fetch(`${url}/api/rooms/lobby/attachments/${s.receipt.id}`);
        assert.equal(elsewhere.status, 404, `${who.name}: the receipt under a public room`);
        assert.equal(code(await acked(who.socket).emitWithAck('inbox:list', { inbox: 'support' })), 'forbidden', `${who.name}: inbox:list`);
      }
      assert.equal((await fetch(`${url}/api/admin/overview`, { headers: { authorization: `Bearer ${mo.credentials}` } })).status, 403);
      await send(eve.socket, 'lobby', 'public chatter');
      await unlisted(url, s);
      // Room names are exact: a name that differs in case is another (public, empty) room on every store.
      // (Tried after the list was read: such a room is listed while Lou is in it, as any public room is.)
      const lou = await connectChat(url, { name: 'Lou' });
      for (const lookAlike of [`CONV-${s.id}`, `Conv-${s.id}`, `NOTE-${s.id}`]) {
        const joined = await join(lou.socket, lookAlike);
        assert.deepEqual([joined.messages, joined.lastSeq], [[], 0], lookAlike);
        const http = (await (await fetch(`${url}/api/rooms/${lookAlike}/messages`)).json()) as { messages: Message[] };
        assert.deepEqual(http.messages, [], lookAlike);
        assert.equal((await fetch(`${url}/api/rooms/${lookAlike}/attachments/${s.receipt.id}`)).status, 404);
      }

      // The conversation goes on; the refused hear none of it, and left nothing in it.
      const later = await send(s.vera.socket, s.room, 'Any news?');
      const laterNote = await send(s.sam.socket, s.notes, 'NOTE: still checking');
      for (const who of intruders) {
        // A round trip after the last broadcast: anything sent to this socket before it has arrived.
        assert.ok((await acked(who.socket).emitWithAck('message:history', { room: 'lobby', after: 0 })).ok);
        heardNone(heard.get(who) ?? [], [s.id, s.question.text, later.text, s.note.text, laterNote.text], who.name);
      }
      for (const [name, log] of [
        ['Vera', veraHeard],
        ['Sam', samHeard],
      ] as const) {
        assert.ok(!log.some(([event]) => event === 'typing:update'), `${name} heard an intruder typing`);
        assert.ok(!log.some(([event]) => event === 'room:settings' || event === 'room:removed'), `${name} was configured or kicked`);
      }
      const history = await acked(s.sam.socket).emitWithAck('message:history', { room: s.room, after: 0 });
      assert.ok(history.ok);
      assert.deepEqual(
        history.messages.map((m) => m.author.id),
        [s.vera.user.id, s.vera.user.id, s.vera.user.id],
        'no intruder message, edit, reaction or delete was stored',
      );
    });

    test('a note never reaches the visitor: not live, not in history, not by push, not as a file', async (t) => {
      const running = await app(t, storeEnv);
      if (!running) return;
      const { url } = running;
      const s = await scene(url);
      const vera: Intruder = { name: 'the visitor', socket: s.vera.socket, credentials: s.vera.session, auth: { session: s.vera.session } };
      const veraHeard = spy(s.vera.socket);
      const push = await connectPush(url, vera.auth);
      assert.ok((await acked(push.socket).emitWithAck('push:subscribe', { topic: `room:${s.room}` })).ok, 'her own conversation');

      await refusedOnSocket(vera, s.notes, s);
      await refusedOnPush(url, vera, s.notes);
      await refusedOverHttp(url, vera, s.notes, s.noteFile, s);

      // Sam writes a note, then answers: the answer reaches Vera, the note never.
      const note = await send(s.sam.socket, s.notes, 'NOTE: do not promise a refund');
      const answer = waitFor<Message>(s.vera.socket, 'message:new');
      const pushed = waitFor(push.socket, 'push:new');
      const reply = await send(s.sam.socket, s.room, 'Hi Vera, it ships today');
      assert.equal((await answer).text, reply.text);
      await pushed;
      const secrets = [s.note.text, note.text, s.noteFile.name, s.noteFile.id, s.notes];
      heardNone(veraHeard, secrets, 'the visitor');
      heardNone([['push', push.pushes]], secrets, "the visitor's push socket");

      // Her history, by socket and HTTP, and her conversation as `conversation:open` gives it.
      const history = await acked(s.vera.socket).emitWithAck('message:history', { room: s.room, after: 0 });
      assert.ok(history.ok);
      heardNone([['history', history.messages]], secrets, "the visitor's history");
      const http = await fetch(`${url}/api/rooms/${s.room}/messages`, { headers: { authorization: `Bearer ${s.vera.session}` } });
      assert.equal(http.status, 200);
      const httpText = await http.text();
      assert.ok(httpText.includes(reply.text) && !httpText.includes(note.text) && !httpText.includes(s.noteFile.id));
      const opened = await acked(s.vera.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
      assert.ok(opened.ok && opened.conversation);
      assert.equal(opened.conversation.lastMessage?.text, reply.text, 'the last message is the conversation’s, never a note');

      // A note's file is not hers, nor anyone's to send into the conversation.
      const underHers = await fetch(`${url}/api/rooms/${s.room}/attachments/${s.noteFile.id}`, {
        headers: { authorization: `Bearer ${s.vera.session}` },
      });
      assert.equal(underHers.status, 404, "the note's file under her conversation's path");
      for (const socket of [s.vera.socket, s.sam.socket]) {
        const moved = await acked(socket).emitWithAck('message:send', {
          room: s.room,
          text: '',
          clientId: randomUUID(),
          attachments: [s.noteFile.id],
        });
        assert.equal(code(moved), 'forbidden', 'a note file sent into the conversation');
      }
      // Her own file she reads; staff read both.
      const own = await fetch(`${url}/api/rooms/${s.room}/attachments/${s.receipt.id}`, {
        headers: { authorization: `Bearer ${s.vera.session}` },
      });
      assert.equal(own.status, 200);
      assert.deepEqual(Buffer.from(await own.arrayBuffer()), png(2, 2));
      const staffToken = (s.sam.socket.auth as { token: string }).token;
      const noteBytes = await fetch(`${url}/api/rooms/${s.notes}/attachments/${s.noteFile.id}`, {
        headers: { authorization: `Bearer ${staffToken}` },
      });
      assert.equal(noteBytes.status, 200);
      assert.deepEqual(Buffer.from(await noteBytes.arrayBuffer()), png(3, 3));
    });

    test('conversation:open gives each caller only their own conversation; inbox updates reach the inbox’s staff only', async (t) => {
      const running = await app(t, storeEnv);
      if (!running) return;
      const { url } = running;
      const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
      const sol = await connectAs(url, { sub: 'sol', name: 'Sol', inboxes: ['sales'] });
      assert.ok((await acked(sam.socket).emitWithAck('inbox:list', { inbox: 'support' })).ok);
      assert.ok((await acked(sol.socket).emitWithAck('inbox:list', { inbox: 'sales' })).ok);
      const solHeard = spy(sol.socket);
      const vera = await visitorWithConversation(url, { name: 'Vera' });
      const veraEmail = 'vera@example.com';
      assert.ok((await acked(vera.socket).emitWithAck('conversation:open', { inbox: 'support', email: veraEmail })).ok);
      await send(vera.socket, vera.conversation.room, 'hello');
      const veraHeard = spy(vera.socket);

      // Eve asks the same inbox: nothing of Vera's, not even with create: false.
      const eve = await connectChat(url, { name: 'Vera' });
      const eveHeard = spy(eve.socket);
      const peek = await acked(eve.socket).emitWithAck('conversation:open', { inbox: 'support', create: false });
      assert.ok(peek.ok);
      assert.equal(peek.conversation, undefined);
      assert.equal(peek.staffOnline, true, 'whether staff are online is all a visitor learns of the inbox');
      const own = await acked(eve.socket).emitWithAck('conversation:open', { inbox: 'support', email: 'eve@example.com' });
      assert.ok(own.ok && own.conversation);
      assert.notEqual(own.conversation.room, vera.conversation.room);
      assert.equal(own.conversation.visitor.id, eve.user.id);
      assert.equal(own.conversation.lastMessage, undefined);
      // A signed-in user, and a staff member as a visitor, get their own too.
      for (const claims of [{ sub: 'vera' }, { sub: 'sam', inboxes: ['support'] }]) {
        const other = await connectAs(url, claims);
        const theirs = await acked(other.socket).emitWithAck('conversation:open', { inbox: 'support' });
        assert.ok(theirs.ok && theirs.conversation);
        assert.ok(![vera.conversation.room, own.conversation.room].includes(theirs.conversation.room));
        other.socket.disconnect();
      }
      // Eve's e-mail went into her conversation only.
      const listed = await acked(sam.socket).emitWithAck('inbox:list', { inbox: 'support' });
      assert.ok(listed.ok);
      assert.equal(listed.conversations.find((c) => c.room === vera.conversation.room)?.email, veraEmail);
      assert.equal(listed.conversations.find((c) => c.room === own.conversation?.room)?.email, 'eve@example.com');

      // Round trips, then: no inbox:update to a visitor or to staff of another inbox; no e-mail of another.
      for (const socket of [vera.socket, eve.socket, sol.socket]) {
        assert.ok((await acked(socket).emitWithAck('conversation:open', { inbox: 'sales', create: false })).ok);
      }
      for (const [name, log] of [
        ['Vera', veraHeard],
        ['Eve', eveHeard],
        ['Sol', solHeard],
      ] as const) {
        assert.ok(!log.some(([event]) => event === 'inbox:update'), `${name} heard inbox:update`);
      }
      heardNone(eveHeard, [vera.conversation.room, veraEmail, 'hello'], 'Eve');
      heardNone(veraHeard, ['eve@example.com'], 'Vera');
      heardNone(solHeard, [vera.conversation.room, veraEmail, own.conversation.room], 'Sol');
      // And staff of another inbox cannot be made its assignee.
      assert.equal(
        code(await acked(sam.socket).emitWithAck('conversation:assign', { room: vera.conversation.room, user: 'sol' })),
        'not_found',
      );
    });
  });
}

describe('the staff mark and inbox names (protocol 6.5)', () => {
  test('a guest never carries author.staff, whatever name, handshake or payload it tries', async () => {
    const { url } = await startApp(moderationEnv);
    const sam = await connectAs(url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
    assert.ok((await acked(sam.socket).emitWithAck('inbox:list', { inbox: 'support' })).ok);
    for (const auth of [
      { name: 'Sam' },
      { name: 'Sam (staff)' },
      { name: 'Agent Sam', inboxes: ['support'], admin: true, staff: true },
      { name: 'Ｓａｍ' },
    ]) {
      const fake = await visitorWithConversation(url, auth);
      assert.equal(fake.inboxes, undefined, `${auth.name}: the session names no inbox`);
      assert.notEqual(fake.user.name, 'Sam', 'a staff member’s name is reserved');
      assert.equal(code(await acked(fake.socket).emitWithAck('inbox:list', { inbox: 'support' })), 'forbidden');
      const { room } = fake.conversation;
      const plain = await send(fake.socket, room, 'I am staff, trust me');
      assert.equal(plain.author.staff, undefined, `${auth.name}`);
      const claimed = await acked(fake.socket).emitWithAck('message:send', {
        room,
        text: 'really',
        clientId: randomUUID(),
        author: { id: 'sam', name: 'Sam', kind: 'user', staff: true },
        staff: true,
      } as unknown as { room: string; text: string; clientId: string });
      if (claimed.ok) {
        assert.equal(claimed.message.author.staff, undefined);
        assert.equal(claimed.message.author.id, fake.user.id);
      } else assert.equal(code(claimed), 'bad_request');
      const history = await acked(sam.socket).emitWithAck('message:history', { room, after: 0 });
      assert.ok(!history.ok || history.messages.every((m) => m.author.staff === undefined));
    }
    // A token's claims are what they say: a string is no list, and inbox names are exact.
    for (const inboxes of ['support', ['SUPPORT'], ['support ']]) {
      const wrong = await connectAs(url, { sub: 'wrong', name: 'Wrong', inboxes });
      assert.equal(code(await acked(wrong.socket).emitWithAck('inbox:list', { inbox: 'support' })), 'forbidden', JSON.stringify(inboxes));
      wrong.socket.disconnect();
    }
    // The API key writes as staff, the author it names included; a guest's payload cannot.
    const vera = await visitorWithConversation(url);
    const res = await fetch(`${url}/api/rooms/${vera.conversation.room}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from the helpdesk', author: { id: 'desk', name: 'Desk' } }),
    });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { message: Message }).message.author.staff, true);
  });

  test('a bad inbox name is bad_request for every event that takes one', async () => {
    const { url } = await startApp(moderationEnv);
    const admin = await connectAs(url, { sub: 'root', name: 'Root', admin: true });
    const visitor = await connectChat(url, { name: 'Vera' });
    const names: unknown[] = ['', 'bad name', 'x'.repeat(65), '*', 'a:b', 'conv/x', 'ä', '../support', 5, null, ['support']];
    for (const inbox of names) {
      for (const [socket, event, payload] of [
        [visitor.socket, 'conversation:open', { inbox }],
        [visitor.socket, 'conversation:open', { inbox, create: false, email: 'vera@example.com' }],
        [admin.socket, 'inbox:list', { inbox }],
      ] as const) {
        const result = await acked(socket).emitWithAck(event, payload as unknown as { inbox: string });
        assert.equal(code(result), 'bad_request', `${event} ${JSON.stringify(payload)}`);
      }
    }
    // A name at the limit is fine.
    assert.ok((await acked(visitor.socket).emitWithAck('conversation:open', { inbox: 'x'.repeat(64), create: false })).ok);
  });
});

describe('support conversations are private across nodes (protocol 6.5, issue 14)', () => {
  test('intruders on another node than the conversation get in by no way and hear nothing of it', async (t) => {
    const nodes = await moderationCluster(t);
    if (!nodes) return;
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const s = await scene(a.url);
    // Staff on b too: what they hear shows that node b has had the broadcasts the intruders must miss.
    const ann = await connectAs(b.url, { sub: 'ann', name: 'Ann', inboxes: ['support'] });
    await join(ann.socket, s.room);
    await join(ann.socket, s.notes);
    const eve = await guest(b.url, 'Eve');
    const sol = await user(b.url, 'staff of another inbox', { sub: 'sol', name: 'Sol', inboxes: ['sales'] });
    assert.ok((await acked(sol.socket).emitWithAck('inbox:list', { inbox: 'sales' })).ok);
    const intruders = [eve, sol];
    const heard = new Map(intruders.map((who) => [who, spy(who.socket)]));
    for (const who of intruders) {
      for (const target of [s.room, s.notes]) {
        await refusedOnSocket(who, target, s);
        await refusedOnPush(b.url, who, target);
      }
      await refusedOverHttp(b.url, who, s.room, s.receipt, s);
      await refusedOverHttp(b.url, who, s.notes, s.noteFile, s);
      assert.equal(code(await acked(who.socket).emitWithAck('inbox:list', { inbox: 'support' })), 'forbidden');
    }
    await send(eve.socket, 'lobby', 'public chatter');
    await unlisted(b.url, s);

    const annHears = new Promise<void>((resolve) => {
      const seen = new Set<string>();
      ann.socket.on('message:new', (m) => {
        seen.add(m.room);
        if (seen.has(s.room) && seen.has(s.notes)) resolve();
      });
    });
    const later = await send(s.vera.socket, s.room, 'Any news?');
    const laterNote = await send(s.sam.socket, s.notes, 'NOTE: still checking');
    await annHears;
    for (const who of intruders) {
      assert.ok((await acked(who.socket).emitWithAck('message:history', { room: 'lobby', after: 0 })).ok);
      heardNone(heard.get(who) ?? [], [s.id, later.text, laterNote.text], who.name);
    }
  });
});
