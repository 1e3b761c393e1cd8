import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { AckResult, Message } from '../src/protocol.js';
import { isReaction } from '../src/realtime/conversation.js';
import { ChatConnection } from '../web-components/chat-connection.js';
import { applyChange, KeptChanges, stampPage } from '../web-components/room-changes.js';
import { ChatError } from '../web-components/socket-link.js';
import {
  acked,
  type ChatClient,
  collect,
  connectChat,
  controllerHost,
  createTestDatabase,
  memoryStorage,
  nextMessages,
  receiver,
  startApp,
  waitFor,
} from './helpers.js';
import { connectAs, moderationEnv, token } from './moderation-helpers.js';
import { redisAvailable, startNode, testPrefix, testRedisUrl } from './cluster-helpers.js';

/** One node on SQLite, or two on PostgreSQL and Redis: the room's URLs (`[a, b]`, b = a for one node). */
type Setup = (t: TestContext, env?: Record<string, string>) => Promise<[string, string] | undefined>;

const setups: [string, Setup][] = [
  [
    'one node, SQLite',
    async (_t, env = {}) => {
      const { url } = await startApp({ ...moderationEnv, ...env });
      return [url, url];
    },
  ],
  [
    'two node processes, PostgreSQL and Redis',
    async (t, env = {}) => {
      const databaseUrl = await createTestDatabase();
      if (!databaseUrl || !(await redisAvailable())) {
        t.skip('needs Redis and PostgreSQL');
        return undefined;
      }
      const shared = { ...moderationEnv, DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix(), ...env };
      const [first, second] = await Promise.all(['a', 'b'].map((name) => startNode({ ...shared, NODE_NAME: name })));
      return first && second && [first.url, second.url];
    },
  ],
];

function code(res: AckResult<object>): string {
  return res.ok ? 'ok' : res.error.code;
}

async function join(socket: ChatClient, room: string) {
  const res = await acked(socket).emitWithAck('room:join', { room });
  assert.ok(res.ok, JSON.stringify(res));
}

async function send(socket: ChatClient, room: string, text: string, replyTo?: number): Promise<Message> {
  const res = await acked(socket).emitWithAck('message:send', { room, text, clientId: `c-${text}`, ...(replyTo ? { replyTo } : {}) });
  assert.ok(res.ok, JSON.stringify(res));
  return res.message;
}

async function change(socket: ChatClient, event: 'message:edit' | 'message:react' | 'message:delete', payload: unknown) {
  const res = await acked(socket).emitWithAck(event, payload as never);
  assert.ok(res.ok, `${event} ${JSON.stringify(payload)}: ${JSON.stringify(res)}`);
  return res.message;
}

/** A ChatConnection in Node as user `sub`. */
async function connection(url: string, sub: string) {
  const host = controllerHost();
  const conn = new ChatConnection(host, { url, room: 'talk', token: await token({ sub, name: sub }), storage: memoryStorage() });
  await conn.connect();
  return { conn, host };
}

describe('protocol 6.3: edits, reactions and replies in the room log', () => {
  test('an emoji is exactly one emoji grapheme or a :name:', () => {
    for (const emoji of ['👍', '👍🏽', '🇫🇷', '👨‍👩‍👧‍👦', '1️⃣', '#⃣', '❤️', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🧑🏿‍🚀', ':party_parrot:', ':+1:', `:${'a'.repeat(32)}:`]) {
      assert.ok(isReaction(emoji), emoji);
    }
    for (const emoji of [
      'ab',
      '👍👍',
      '',
      'a',
      '1',
      '🇫',
      '🇫🇷🇩🇪',
      '👍 ',
      ':Party:',
      '::',
      `:${'a'.repeat(33)}:`,
      ':a b:',
      'party',
      '\u200D',
    ]) {
      assert.ok(!isReaction(emoji), JSON.stringify(emoji));
    }
  });

  test('an entry that arrives before its target is kept and applied when an older page, read before it, brings the target', () => {
    const author = { id: 'ann', name: 'Ann', kind: 'user' as const };
    const at = (seq: number, fields: Partial<Message> = {}): Message => ({
      id: `r:${seq}`,
      seq,
      room: 'r',
      text: '',
      author,
      ts: seq,
      ...fields,
    });
    const kept = new KeptChanges();
    const held = new Map<number, Message>();
    const entries = [
      at(20, { type: 'edit', target: 1, text: 'new' }),
      at(21, { type: 'reaction', target: 1, emoji: '👍', on: true }),
      at(22, { type: 'reaction', target: 1, emoji: '👍', on: false }),
      at(23, { type: 'reaction', target: 1, emoji: ':ok:', on: true }),
    ];
    for (const entry of entries) assert.equal(kept.apply(held, entry), false, 'no target held: kept, nothing shown');
    kept.apply(held, entries[0] as Message);
    // The older page was read before seq 20 was stored: its message 1 is the old one.
    const page = [at(1, { text: 'old' }), at(2, { text: 'two' })];
    stampPage(page);
    for (const message of page) {
      held.set(message.seq, message);
      kept.held(held, message.seq);
    }
    assert.deepEqual(held.get(1), at(1, { text: 'new', editedAt: 20, reactions: { ':ok:': ['ann'] } }));
    for (const entry of entries) assert.equal(applyChange(held, entry), false, 'applied twice');
    // An entry older than what a page shows changes nothing: that page already holds it.
    const fresh = [at(1, { text: 'newer', editedAt: 30 }), at(30, { type: 'edit', target: 1, text: 'newer' })];
    stampPage(fresh);
    const again = new Map([[1, fresh[0] as Message]]);
    assert.equal(applyChange(again, entries[0] as Message), false);
    assert.equal(again.get(1)?.text, 'newer');
  });

  for (const [name, setup] of setups) {
    test(`${name}: edits, reactions and replies reach others live, a client that was away catches up by seq, history shows the state and the entries`, async (t) => {
      const urls = await setup(t, { HISTORY_LIMIT: '3' });
      if (!urls) return;
      const [a, b] = urls;
      const ann = await connectAs(a, { sub: 'ann', name: 'Ann' });
      const bob = await connectAs(b, { sub: 'bob', name: 'Bob' });
      const mod = await connectAs(a, { sub: 'mod', name: 'Mod', moderates: ['talk'] });
      for (const c of [ann, bob, mod]) await join(c.socket, 'talk');
      const bobSees = nextMessages(bob.socket, 14, 20_000);
      const stays = await connection(b, 'cy');
      const away = await connection(a, 'dee');

      const helo = await send(ann.socket, 'talk', 'helo');
      const reply = await send(bob.socket, 'talk', 'hi ann', helo.seq);
      assert.equal(reply.replyTo, 1);
      const welcome = await stays.conn.send('welcome', { replyTo: reply.seq });
      assert.deepEqual([welcome.seq, welcome.replyTo], [3, 2]);
      await away.host.changed(() => away.conn.lastSeq === 3, 10_000);
      away.conn.close();

      const edit1 = await change(ann.socket, 'message:edit', { room: 'talk', seq: 1, text: '  hello  ' });
      assert.deepEqual([edit1.seq, edit1.type, edit1.target, edit1.text, edit1.author.id], [4, 'edit', 1, 'hello', 'ann']);
      await change(bob.socket, 'message:react', { room: 'talk', seq: 1, emoji: '👍', on: true });
      const flag = await stays.conn.react(1, '🇫🇷', true);
      assert.deepEqual([flag.seq, flag.type, flag.target, flag.emoji, flag.on], [6, 'reaction', 1, '🇫🇷', true]);
      await change(ann.socket, 'message:react', { room: 'talk', seq: 1, emoji: '👍', on: true });
      await change(bob.socket, 'message:react', { room: 'talk', seq: 1, emoji: '👍', on: false });
      const noop = await change(bob.socket, 'message:react', { room: 'talk', seq: 1, emoji: '👍', on: false });
      assert.deepEqual(
        [noop.seq, noop.type, noop.reactions],
        [1, undefined, { '👍': ['ann'], '🇫🇷': ['cy'] }],
        'nothing to change: the message as it is',
      );
      const modEdit = await change(mod.socket, 'message:edit', { room: 'talk', seq: 2, text: 'hi Ann' });
      assert.equal(modEdit.seq, 9);
      const oops = await send(ann.socket, 'talk', 'oops');
      await change(ann.socket, 'message:delete', { room: 'talk', seq: oops.seq });
      const edit3 = await stays.conn.edit(3, 'welcome!');
      const edit1b = await change(ann.socket, 'message:edit', { room: 'talk', seq: 1, text: 'hello!' });
      await stays.conn.react(2, ':wave:', true);
      assert.equal(edit1b.seq, 13);

      // Live: every entry once, in order; the reaction that changed nothing was not broadcast.
      const live = await bobSees;
      assert.deepEqual(
        live.map((m) => [m.seq, m.type ?? 'message', m.target ?? null]),
        [
          [1, 'message', null],
          [2, 'message', null],
          [3, 'message', null],
          [4, 'edit', 1],
          [5, 'reaction', 1],
          [6, 'reaction', 1],
          [7, 'reaction', 1],
          [8, 'reaction', 1],
          [9, 'edit', 2],
          [10, 'message', null],
          [11, 'delete', 10],
          [12, 'edit', 3],
          [13, 'edit', 1],
          [14, 'reaction', 2],
        ],
      );
      await stays.host.changed(() => stays.conn.lastSeq === 14, 10_000);
      const expected = [
        { seq: 1, text: 'hello!', editedAt: edit1b.ts, reactions: { '👍': ['ann'], '🇫🇷': ['cy'] } },
        { seq: 2, text: 'hi Ann', replyTo: 1, editedAt: modEdit.ts, reactions: { ':wave:': ['cy'] } },
        { seq: 3, text: 'welcome!', replyTo: 2, editedAt: edit3.ts },
        { seq: 10, text: '', deleted: true },
      ];
      const state = (messages: readonly Message[]) =>
        messages.map(({ seq, text, replyTo, editedAt, reactions, deleted, type }) => ({
          seq,
          text,
          ...(replyTo === undefined ? {} : { replyTo }),
          ...(editedAt === undefined ? {} : { editedAt }),
          ...(reactions === undefined ? {} : { reactions }),
          ...(deleted === undefined ? {} : { deleted }),
          ...(type === undefined ? {} : { type }),
        }));
      assert.deepEqual(state(stays.conn.messages), expected, 'the client that stayed applied every change, and shows no entry');

      // The one that was away catches up through the resync that brings messages.
      await away.conn.connect();
      await away.host.changed(() => away.conn.lastSeq === 14, 10_000);
      assert.deepEqual(away.conn.messages, stays.conn.messages);

      // History: the messages as they are now, the entries in their seq places.
      const history = await acked(bob.socket).emitWithAck('message:history', { room: 'talk', after: 0, limit: 50 });
      assert.ok(history.ok);
      assert.deepEqual(
        history.messages.map((m) => m.seq),
        Array.from({ length: 14 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        history.messages.filter((m) => m.type === undefined),
        stays.conn.messages,
      );
      const entries = history.messages.filter((m) => m.type !== undefined);
      assert.deepEqual(
        entries.map((m) => m.seq),
        [4, 5, 6, 7, 8, 9, 11, 12, 13, 14],
      );

      // A newcomer's first page (HISTORY_LIMIT 3) holds only entries; the older page brings the
      // messages as they are now, and the older entries in it change nothing.
      const late = await connection(a, 'eve');
      assert.deepEqual(late.conn.messages, [], 'entries whose targets are not loaded are kept out harmlessly');
      assert.equal(late.conn.hasMore, true);
      await late.conn.loadOlder();
      assert.deepEqual(late.conn.messages, stays.conn.messages);

      // Applying twice changes nothing: the entries again on what the client holds, and on the messages as first sent.
      const held = new Map(stays.conn.messages.map((m) => [m.seq, m]));
      for (const entry of entries) assert.equal(applyChange(held, entry), false, `entry ${entry.seq} applied again`);
      assert.deepEqual([...held.values()], stays.conn.messages);
      const sent = new Map([helo, reply, welcome].map((m) => [m.seq, m]));
      for (const entry of entries) applyChange(sent, entry);
      const once = [...sent.values()];
      for (const entry of entries) assert.equal(applyChange(sent, entry), false);
      assert.deepEqual([...sent.values()], once);
      assert.deepEqual(once, stays.conn.messages.slice(0, 3));
      for (const c of [stays, away, late]) c.conn.close();
    });

    test(`${name}: bad input is refused with its code and never broadcast`, async (t) => {
      const urls = await setup(t);
      if (!urls) return;
      const [a, b] = urls;
      const ann = await connectAs(a, { sub: 'ann', name: 'Ann' });
      const bob = await connectAs(b, { sub: 'bob', name: 'Bob' });
      const mod = await connectAs(b, { sub: 'mod', moderates: ['talk'] });
      const outsider = await connectChat(a, { name: 'Out' });
      for (const c of [ann, bob, mod]) await join(c.socket, 'talk');
      const watcher = await connectChat(b, { name: 'Watch' });
      await join(watcher.socket, 'talk');
      const setUp = nextMessages(watcher.socket, 4);
      const annMessage = await send(ann.socket, 'talk', 'mine');
      const gone = await send(ann.socket, 'talk', 'gone');
      const deletion = await change(ann.socket, 'message:delete', { room: 'talk', seq: gone.seq });
      const reaction = await change(bob.socket, 'message:react', { room: 'talk', seq: annMessage.seq, emoji: '👍', on: true });
      await setUp;
      const seen = collect<Message>(watcher.socket, 'message:new');

      const edit = (socket: ChatClient, payload: unknown) => acked(socket).emitWithAck('message:edit', payload as never);
      const react = (socket: ChatClient, payload: unknown) => acked(socket).emitWithAck('message:react', payload as never);
      const cases: [string, Promise<AckResult<object>>, string][] = [
        ["edit another's message", edit(bob.socket, { room: 'talk', seq: annMessage.seq, text: 'mine now' }), 'forbidden'],
        [
          "delete another's message",
          acked(bob.socket).emitWithAck('message:delete', { room: 'talk', seq: annMessage.seq }) as Promise<AckResult<object>>,
          'forbidden',
        ],
        ['edit a seq that does not exist', edit(ann.socket, { room: 'talk', seq: 99, text: 'x' }), 'not_found'],
        ['edit a change entry', edit(ann.socket, { room: 'talk', seq: deletion.seq, text: 'x' }), 'not_found'],
        ['edit a reaction entry', edit(bob.socket, { room: 'talk', seq: reaction.seq, text: 'x' }), 'not_found'],
        ['edit a deleted message', edit(ann.socket, { room: 'talk', seq: gone.seq, text: 'back' }), 'not_found'],
        ['a moderator edits a deleted message', edit(mod.socket, { room: 'talk', seq: gone.seq, text: 'back' }), 'not_found'],
        ['react to a deleted message', react(bob.socket, { room: 'talk', seq: gone.seq, emoji: '👍', on: true }), 'not_found'],
        ['react to a change entry', react(bob.socket, { room: 'talk', seq: deletion.seq, emoji: '👍', on: true }), 'not_found'],
        ['react to a seq that does not exist', react(bob.socket, { room: 'talk', seq: 99, emoji: '👍', on: true }), 'not_found'],
        ['react in a room not joined', react(outsider.socket, { room: 'talk', seq: annMessage.seq, emoji: '👍', on: true }), 'forbidden'],
        ['edit with a text too long', edit(ann.socket, { room: 'talk', seq: annMessage.seq, text: 'x'.repeat(2001) }), 'too_large'],
        ['edit with a blank text', edit(ann.socket, { room: 'talk', seq: annMessage.seq, text: ' \t ' }), 'bad_request'],
        ['edit with an empty text', edit(ann.socket, { room: 'talk', seq: annMessage.seq, text: '' }), 'bad_request'],
        ['edit with no text', edit(ann.socket, { room: 'talk', seq: annMessage.seq }), 'bad_request'],
        ['edit with a number for text', edit(ann.socket, { room: 'talk', seq: annMessage.seq, text: 5 }), 'bad_request'],
        ['edit seq 0', edit(ann.socket, { room: 'talk', seq: 0, text: 'x' }), 'bad_request'],
        ['edit seq as a string', edit(ann.socket, { room: 'talk', seq: '1', text: 'x' }), 'bad_request'],
        ['edit seq past 2^53', edit(ann.socket, { room: 'talk', seq: 2 ** 53, text: 'x' }), 'bad_request'],
        ['edit a bad room name', edit(ann.socket, { room: 'ta lk', seq: 1, text: 'x' }), 'bad_request'],
        ['edit with a string payload', edit(ann.socket, 'talk'), 'bad_request'],
        ['react with two letters', react(bob.socket, { room: 'talk', seq: annMessage.seq, emoji: 'ab', on: true }), 'bad_request'],
        ['react with two emoji', react(bob.socket, { room: 'talk', seq: annMessage.seq, emoji: '👍👍', on: true }), 'bad_request'],
        ['react with nothing', react(bob.socket, { room: 'talk', seq: annMessage.seq, emoji: '', on: true }), 'bad_request'],
        [
          'react with a long name',
          react(bob.socket, { room: 'talk', seq: annMessage.seq, emoji: `:${'a'.repeat(33)}:`, on: true }),
          'bad_request',
        ],
        ['react without on', react(bob.socket, { room: 'talk', seq: annMessage.seq, emoji: '👍' }), 'bad_request'],
        ['react with on as a string', react(bob.socket, { room: 'talk', seq: annMessage.seq, emoji: '👍', on: 'yes' }), 'bad_request'],
        [
          'reply to a seq that does not exist',
          acked(ann.socket).emitWithAck('message:send', { room: 'talk', text: 're', clientId: 'r1', replyTo: 99 }) as Promise<
            AckResult<object>
          >,
          'not_found',
        ],
        [
          'reply to a change entry',
          acked(ann.socket).emitWithAck('message:send', { room: 'talk', text: 're', clientId: 'r2', replyTo: deletion.seq }) as Promise<
            AckResult<object>
          >,
          'not_found',
        ],
        [
          'reply to seq 0',
          acked(ann.socket).emitWithAck('message:send', { room: 'talk', text: 're', clientId: 'r3', replyTo: 0 }) as Promise<
            AckResult<object>
          >,
          'bad_request',
        ],
      ];
      for (const [what, res, expected] of cases) assert.equal(code(await res), expected, what);

      // An observing moderator watches but does not react.
      const observer = await connectAs(a, { sub: 'mod2', moderates: ['talk'] });
      assert.ok((await acked(observer.socket).emitWithAck('room:join', { room: 'talk', observe: true })).ok);
      assert.equal(code(await react(observer.socket, { room: 'talk', seq: annMessage.seq, emoji: '👍', on: true })), 'forbidden');

      // A deleted message may still be answered; the reply names it.
      const probe = nextMessages(watcher.socket, 1);
      const answer = await send(ann.socket, 'talk', 'about that', gone.seq);
      assert.equal(answer.replyTo, gone.seq);
      await probe; // events arrive in order: a refusal's broadcast would be here before it
      assert.deepEqual(
        seen.map((m) => m.seq),
        [answer.seq],
        'no refusal was broadcast',
      );

      // Read-only: others may neither edit nor react; moderators may.
      assert.ok((await acked(mod.socket).emitWithAck('room:configure', { room: 'talk', readOnly: true })).ok);
      assert.equal(code(await edit(ann.socket, { room: 'talk', seq: annMessage.seq, text: 'x' })), 'forbidden');
      assert.equal(code(await react(bob.socket, { room: 'talk', seq: annMessage.seq, emoji: '🎉', on: true })), 'forbidden');
      const modFix = await change(mod.socket, 'message:edit', { room: 'talk', seq: annMessage.seq, text: 'fixed by mod' });
      assert.equal(modFix.text, 'fixed by mod');
      assert.ok((await react(mod.socket, { room: 'talk', seq: annMessage.seq, emoji: '🎉', on: true })).ok);
    });
  }

  test('after EDIT_WINDOW_SECONDS only a moderator edits; edits and reactions count against the message rate', async () => {
    const { url } = await startApp({ ...moderationEnv, EDIT_WINDOW_SECONDS: '0', MESSAGE_RATE_BURST: '3', MESSAGE_RATE_PER_SEC: '1' });
    const ann = await connectAs(url, { sub: 'ann' });
    const mod = await connectAs(url, { sub: 'mod', moderates: ['talk'] });
    await join(ann.socket, 'talk');
    await join(mod.socket, 'talk');
    const mine = await send(ann.socket, 'talk', 'mine');
    const late = await acked(ann.socket).emitWithAck('message:edit', { room: 'talk', seq: mine.seq, text: 'changed' });
    assert.equal(code(late), 'forbidden');
    assert.equal((await change(mod.socket, 'message:edit', { room: 'talk', seq: mine.seq, text: 'changed' })).type, 'edit');
    let refused: AckResult<object> | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await acked(ann.socket).emitWithAck('message:react', { room: 'talk', seq: mine.seq, emoji: '👍', on: i % 2 === 0 });
      if (!res.ok) refused = res;
    }
    assert.ok(refused && !refused.ok, 'the reactions were never limited');
    assert.equal(refused.error.code, 'rate_limited');
    assert.ok((refused.error.retryAfterMs ?? 0) > 0);
  });

  test('webhooks message.edited and message.deleted carry the entry; a reaction sends none', async () => {
    const hook = await receiver((_req, _n, res) => res.writeHead(204).end());
    const { url } = await startApp({
      ...moderationEnv,
      WEBHOOK_URL: hook.url,
      WEBHOOK_SECRET: 'webhook-secret-0123456789',
      WEBHOOK_EVENTS: 'message.edited,message.deleted',
    });
    const ann = await connectAs(url, { sub: 'ann' });
    await join(ann.socket, 'talk');
    const mine = await send(ann.socket, 'talk', 'mine');
    await change(ann.socket, 'message:react', { room: 'talk', seq: mine.seq, emoji: '👍', on: true });
    const edited = await change(ann.socket, 'message:edit', { room: 'talk', seq: mine.seq, text: 'edited' });
    await waitFor(hook.events, 'request');
    const deleted = await change(ann.socket, 'message:delete', { room: 'talk', seq: mine.seq });
    await waitFor(hook.events, 'request');
    const bodies = hook.received.map((r) => JSON.parse(r.body) as { event: string; data: { message: Message } });
    assert.deepEqual(
      bodies.map((b) => [b.event, b.data.message]),
      [
        ['message.edited', edited],
        ['message.deleted', deleted],
      ],
    );
  });

  test('ChatConnection: remove(seq) and edit(seq, text) resolve with the entry or reject with a ChatError; the outbox keeps replyTo', async () => {
    const { url } = await startApp(moderationEnv);
    const storage = memoryStorage();
    const host = controllerHost();
    const conn = new ChatConnection(host, { url, room: 'talk', token: await token({ sub: 'ann' }), storage });
    await conn.connect();
    const other = await connectAs(url, { sub: 'bob' });
    await join(other.socket, 'talk');
    const theirs = await send(other.socket, 'talk', 'theirs');
    const mine = await conn.send('mine', { replyTo: theirs.seq });
    assert.equal(mine.replyTo, theirs.seq);
    await assert.rejects(conn.edit(theirs.seq, 'no'), (err) => err instanceof ChatError && err.code === 'forbidden');
    await assert.rejects(conn.remove(theirs.seq), (err) => err instanceof ChatError && err.code === 'forbidden');
    await assert.rejects(conn.react(theirs.seq, 'no', true), (err) => err instanceof ChatError && err.code === 'bad_request');
    await assert.rejects(conn.send('to nothing', { replyTo: 99 }), (err) => err instanceof ChatError && err.code === 'not_found');
    assert.deepEqual(
      conn.outbox.entries.map((e) => [e.text, e.state, e.replyTo]),
      [['to nothing', 'failed', 99]],
      'a reply to no message fails for good, and is not retried',
    );
    conn.outbox.delete(conn.outbox.entries[0]?.clientId ?? '');
    const removed = await conn.remove(mine.seq);
    assert.deepEqual([removed.type, removed.target], ['delete', mine.seq]);
    await host.changed(() => conn.messages.find((m) => m.seq === mine.seq)?.deleted === true);
    assert.equal(conn.messages.length, 2, 'the entry is applied, not shown');
    conn.close();

    // Sent while offline, then a reload: the reply goes out with its replyTo.
    const offline = new ChatConnection(controllerHost(), { url, room: 'talk', token: await token({ sub: 'ann' }), storage });
    const queued = offline.send('later', { replyTo: theirs.seq });
    queued.catch(() => undefined);
    offline.close();
    const reloaded = new ChatConnection(controllerHost(), { url, room: 'talk', token: await token({ sub: 'ann' }), storage });
    assert.equal(reloaded.outbox.entries[0]?.replyTo, theirs.seq);
    const arrived = nextMessages(other.socket, 1);
    await reloaded.connect();
    const [later] = await arrived;
    assert.deepEqual([later?.text, later?.replyTo], ['later', theirs.seq]);
    reloaded.close();
  });
});
