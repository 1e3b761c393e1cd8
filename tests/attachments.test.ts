import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import type { ErrorBody, Message, Push } from '../src/protocol.js';
import { type Body, png, upload, uploaded, uploadToken } from './files-helpers.js';
import type { AddressInfo } from 'node:net';
import { AttachmentTray } from '../web-components/attachment-tray.js';
import { formatSize } from '../web-components/attachments.js';
import { ChatConnection } from '../web-components/chat-connection.js';
import { acked, connectChat, connectPush, controllerHost, createTestDatabase, memoryStorage, startApp, waitFor } from './helpers.js';

const jwtSecret = 'attachments-test-jwt-secret-0123456789';
const apiKey = 'attachments-test-api-key';

const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));

async function joined(url: string, room: string, auth: Record<string, unknown> = {}) {
  const user = await connectChat(url, auth);
  const join = await acked(user.socket).emitWithAck('room:join', { room });
  assert.ok(join.ok, JSON.stringify(join));
  return user;
}

async function refusal(res: Response): Promise<[number, string | undefined]> {
  const body = (await res.json()) as { ok: false; error?: ErrorBody };
  return [res.status, body.error?.code];
}

function storedFiles(databasePath: string): number {
  const db = new Database(databasePath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM attachments').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('attachments (issue 13 point 4)', () => {
  test('upload:token is for a socket that joined the room; the upload needs it, for that room', async () => {
    const { url } = await startApp();
    const ann = await connectChat(url);
    const early = await acked(ann.socket).emitWithAck('upload:token', { room: 'files' });
    assert.ok(!early.ok);
    assert.equal(early.error.code, 'forbidden');
    for (const bad of [{}, { room: 'bad room' }, { room: 5 }]) {
      const res = await acked(ann.socket).emitWithAck('upload:token', bad as { room: string });
      assert.ok(!res.ok);
      assert.equal(res.error.code, 'bad_request', JSON.stringify(bad));
    }
    await acked(ann.socket).emitWithAck('room:join', { room: 'files' });
    const granted = await acked(ann.socket).emitWithAck('upload:token', { room: 'files' });
    assert.ok(granted.ok);
    assert.ok(granted.expiresAt > Date.now() + 60_000 && granted.expiresAt <= Date.now() + 5 * 60_000 + 1000);
    assert.equal(granted.maxBytes, 10 * 1024 * 1024);

    const file = png(3, 2);
    assert.deepEqual(await refusal(await fetch(`${url}/api/rooms/files/attachments`, { method: 'POST', body: new Uint8Array(file) })), [
      401,
      'unauthorized',
    ]);
    // The API key's Bearer scheme is not an upload token.
    assert.deepEqual(
      await refusal(
        await fetch(`${url}/api/rooms/files/attachments`, {
          method: 'POST',
          body: new Uint8Array(file),
          headers: { authorization: `Bearer ${granted.token}` },
        }),
      ),
      [401, 'unauthorized'],
    );
    const forged = `${granted.token.split('.')[0]}.${'A'.repeat(43)}`;
    assert.deepEqual(await refusal(await upload(url, 'files', forged, file)), [401, 'invalid_token']);
    assert.deepEqual(await refusal(await upload(url, 'files', `${granted.token}x`, file)), [401, 'invalid_token']);
    assert.deepEqual(await refusal(await upload(url, 'elsewhere', granted.token, file)), [403, 'forbidden']);
    const ok = await uploaded(await upload(url, 'files', granted.token, file, 'dot.png'));
    assert.match(ok.id, /^[A-Za-z0-9_-]{22}$/);
  });

  test('a file over MAX_UPLOAD_BYTES is too_large before its body is read, or as it grows; nothing is stored', async () => {
    const { url, databasePath } = await startApp({ MAX_UPLOAD_BYTES: '2048' });
    const ann = await joined(url, 'big');
    const token = await uploadToken(ann.socket, 'big');
    // Announced too large: refused on the Content-Length alone.
    assert.deepEqual(await refusal(await upload(url, 'big', token, Buffer.alloc(4096, 0x61), 'a.txt')), [413, 'too_large']);
    // No length announced (chunked): cut off once past the cap.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(1024).fill(0x61));
        controller.close();
      },
    });
    assert.deepEqual(await refusal(await upload(url, 'big', token, stream, 'b.txt')), [413, 'too_large']);
    assert.equal(storedFiles(databasePath), 0);
    // At the cap it is taken.
    const fits = await uploaded(await upload(url, 'big', token, Buffer.alloc(2048, 0x61), 'c.txt'));
    assert.equal(fits.size, 2048);
    assert.equal(storedFiles(databasePath), 1);
  });

  test('the type is read from the bytes: a PNG named .txt is image/png; HTML, SVG, an EXE or binary junk are refused', async () => {
    const { url, databasePath } = await startApp({ UPLOADS_PER_MINUTE: '100' });
    const ann = await joined(url, 'types');
    const token = await uploadToken(ann.socket, 'types');
    const image = await uploaded(await upload(url, 'types', token, png(30, 20), 'notes.txt', { 'content-type': 'text/plain' }));
    assert.deepEqual(
      { type: image.type, width: image.width, height: image.height, name: image.name, url: image.url },
      { type: 'image/png', width: 30, height: 20, name: 'notes.txt', url: `/api/rooms/types/attachments/${image.id}` },
    );
    const text = await uploaded(await upload(url, 'types', token, 'Hello, Grüße 👋\nline two\n', '../../etc/pass\u202Ewd.txt'));
    assert.equal(text.type, 'text/plain; charset=utf-8');
    assert.equal(text.name, 'passwd.txt');
    assert.equal(text.width, undefined);
    // Any Content-Type is taken as bytes: a JSON body is not parsed, it is a text file.
    const json = await uploaded(await upload(url, 'types', token, '{"a":1}', 'a.json', { 'content-type': 'application/json' }));
    assert.deepEqual([json.type, json.size], ['text/plain; charset=utf-8', 7]);
    const pdf = await uploaded(await upload(url, 'types', token, '%PDF-1.4\n%\xE2\xE3\n1 0 obj\n<<>>\nendobj\n', 'doc.pdf'));
    assert.equal(pdf.type, 'application/pdf');

    const exe = Buffer.alloc(512);
    exe.write('MZ', 0, 'latin1');
    const refused: Array<[string, Body]> = [
      ['page.html', '<!doctype html><html><script>alert(1)</script></html>'],
      ['page.png', '  <html><body onload="alert(1)"></body></html>'],
      ['pic.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
      ['data.xml', '<?xml version="1.0"?><a/>'],
      ['run.exe', exe],
      ['junk.bin', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02, 0x80, 0x81])],
      ['nul.txt', 'text\u0000with a NUL'],
    ];
    for (const [name, body] of refused) {
      assert.deepEqual(
        await refusal(await upload(url, 'types', token, body, name, { 'content-type': 'image/png' })),
        [400, 'bad_request'],
        name,
      );
    }
    assert.deepEqual(await refusal(await upload(url, 'types', token, Buffer.alloc(0), 'empty.txt')), [400, 'bad_request']);
    assert.equal(storedFiles(databasePath), 4);
  });

  test('served with its type, Content-Disposition, nosniff, a sandboxing CSP and caching that asks again; only in its room', async () => {
    const { url } = await startApp();
    const ann = await joined(url, 'serve');
    const token = await uploadToken(ann.socket, 'serve');
    const bytes = png(4, 4);
    const image = await uploaded(await upload(url, 'serve', token, bytes, 'Ünïcode "pic".png'));
    const res = await fetch(`${url}${image.url}`);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy') ?? '', /\bsandbox\b/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    // Caches must ask again (a delete withdraws the file), and are answered 304 without the bytes.
    assert.equal(res.headers.get('cache-control'), 'public, no-cache');
    assert.equal(res.headers.get('etag'), `"${image.id}"`);
    const cached = await fetch(`${url}${image.url}`, { headers: { 'if-none-match': `"other", "${image.id}"` } });
    assert.equal(cached.status, 304);
    assert.equal((await cached.arrayBuffer()).byteLength, 0);
    assert.equal((await fetch(`${url}${image.url}`, { headers: { 'if-none-match': '"other"' } })).status, 200);
    assert.equal(
      res.headers.get('content-disposition'),
      `inline; filename="_n_code _pic_.png"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20%22pic%22.png`,
    );
    // Other origins' pages may show it (an <img> on the widget's host page).
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');

    const text = await uploaded(await upload(url, 'serve', token, 'plain', 'a.txt'));
    const download = await fetch(`${url}${text.url}`);
    assert.equal(download.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(download.headers.get('content-disposition') ?? '', /^attachment; filename="a.txt"/);

    assert.deepEqual(await refusal(await fetch(`${url}/api/rooms/other/attachments/${image.id}`)), [404, 'not_found']);
    assert.deepEqual(await refusal(await fetch(`${url}/api/rooms/serve/attachments/${'x'.repeat(22)}`)), [404, 'not_found']);
    assert.deepEqual(await refusal(await fetch(`${url}/api/rooms/serve/attachments/short`)), [400, 'bad_request']);
  });

  test("a private room's files need a user token that lists the room", async () => {
    const { url } = await startApp({ JWT_SECRET: jwtSecret });
    const bea = await joined(url, 'private-hr', { token: await sign({ sub: 'bea', rooms: ['private-hr'] }) });
    const token = await uploadToken(bea.socket, 'private-hr');
    const file = await uploaded(await upload(url, 'private-hr', token, png(2, 2), 'secret.png'));
    assert.deepEqual(await refusal(await fetch(`${url}${file.url}`)), [401, 'unauthorized']);
    const wrong = await fetch(`${url}${file.url}`, {
      headers: { authorization: `Bearer ${await sign({ sub: 'x', rooms: ['private-it'] })}` },
    });
    assert.deepEqual(await refusal(wrong), [403, 'forbidden']);
    const right = await fetch(`${url}${file.url}`, {
      headers: { authorization: `Bearer ${await sign({ sub: 'y', rooms: ['private-hr'] })}` },
    });
    assert.equal(right.status, 200);
    assert.equal(right.headers.get('cache-control'), 'private, no-cache');
  });

  test('message:send carries attachments (text may be empty); live, in history; foreign and unknown ids refused', async () => {
    const running = await startApp();
    const { url } = running;
    const ann = await joined(url, 'share');
    const bob = await joined(url, 'share');
    const annToken = await uploadToken(ann.socket, 'share');
    const image = await uploaded(await upload(url, 'share', annToken, png(8, 6), 'photo.png'));
    const text = await uploaded(await upload(url, 'share', annToken, 'notes', 'notes.txt'));

    const watcher = await connectPush(url);
    assert.ok((await acked(watcher.socket).emitWithAck('push:subscribe', { topic: 'room:share' })).ok);
    const pushed = waitFor<Push>(watcher.socket, 'push:new');
    const heard = waitFor<Message>(bob.socket, 'message:new');
    const sent = await acked(ann.socket).emitWithAck('message:send', {
      room: 'share',
      text: '  ',
      clientId: randomUUID(),
      attachments: [image.id, text.id],
    });
    assert.ok(sent.ok, JSON.stringify(sent));
    assert.equal(sent.message.text, '');
    assert.deepEqual(sent.message.attachments, [image, text]);
    assert.deepEqual((await heard).attachments, [image, text]);
    // The room's push (an unread badge's preview) names the files of a message without text.
    assert.equal(((await pushed).data as { preview: string }).preview, 'photo.png, notes.txt');
    const history = await acked(bob.socket).emitWithAck('message:history', { room: 'share' });
    assert.ok(history.ok);
    assert.deepEqual(history.messages.at(-1)?.attachments, [image, text]);
    const overHttp = (await (await fetch(`${url}/api/rooms/share/messages`)).json()) as { messages: Message[] };
    assert.deepEqual(overHttp.messages.at(-1)?.attachments, [image, text]);

    const send = (payload: Record<string, unknown>) =>
      acked(bob.socket).emitWithAck('message:send', { room: 'share', text: 'x', clientId: randomUUID(), ...payload } as never) as Promise<{
        ok: boolean;
        error?: ErrorBody;
      }>;
    assert.equal((await send({ attachments: [image.id] })).error?.code, 'forbidden', "Ann's file is not Bob's to send");
    assert.equal((await send({ attachments: ['A'.repeat(22)] })).error?.code, 'not_found');
    assert.equal((await send({ text: '', attachments: undefined })).error?.code, 'bad_request');
    for (const attachments of [
      [],
      ['short'],
      [image.id, image.id],
      Array.from({ length: 11 }, (_, i) => `${'A'.repeat(21)}${i % 10}`),
      'x',
    ]) {
      assert.equal((await send({ attachments })).error?.code, 'bad_request', JSON.stringify(attachments));
    }
    // A file uploaded to another room cannot be sent here.
    await acked(ann.socket).emitWithAck('room:join', { room: 'else' });
    const elsewhere = await uploaded(await upload(url, 'else', await uploadToken(ann.socket, 'else'), 'x', 'x.txt'));
    const misplaced = await acked(ann.socket).emitWithAck('message:send', {
      room: 'share',
      text: 'x',
      clientId: randomUUID(),
      attachments: [elsewhere.id],
    });
    assert.equal(misplaced.ok ? undefined : misplaced.error.code, 'forbidden');
    // Files never sent are swept (after a day; here all that are older than now); sent ones stay.
    assert.equal(await running.store.sweepAttachments(Date.now() + 1), 1);
    assert.equal((await fetch(`${url}${elsewhere.url}`)).status, 404);
    assert.equal((await fetch(`${url}${image.url}`)).status, 200);

    // A deleted message shows its files no more, and they are no longer served unless a live
    // message of the room still carries them (here the image, sent again).
    const again = await acked(ann.socket).emitWithAck('message:send', {
      room: 'share',
      text: 'the photo again',
      clientId: randomUUID(),
      attachments: [image.id],
    });
    assert.ok(again.ok, JSON.stringify(again));
    const removed = await acked(ann.socket).emitWithAck('message:delete', { room: 'share', seq: sent.message.seq });
    assert.ok(removed.ok, JSON.stringify(removed));
    const after = await acked(bob.socket).emitWithAck('message:history', { room: 'share' });
    assert.ok(after.ok);
    assert.equal(after.messages.find((m) => m.seq === sent.message.seq)?.attachments, undefined);
    assert.deepEqual(after.messages.find((m) => m.seq === again.message.seq)?.attachments, [image]);
    assert.deepEqual(await refusal(await fetch(`${url}${text.url}`)), [404, 'not_found']);
    // Also to a cache that kept a copy and asks again.
    assert.equal((await fetch(`${url}${text.url}`, { headers: { 'if-none-match': `"${text.id}"` } })).status, 404);
    assert.equal((await fetch(`${url}${image.url}`)).status, 200, 'the image is still carried by a live message');
    const removedAgain = await acked(bob.socket).emitWithAck('message:delete', { room: 'share', seq: again.message.seq });
    assert.equal(removedAgain.ok ? undefined : removedAgain.error.code, 'forbidden', "Bob cannot delete Ann's message");
    assert.equal((await fetch(`${url}${image.url}`)).status, 200);
    assert.ok((await acked(ann.socket).emitWithAck('message:delete', { room: 'share', seq: again.message.seq })).ok);
    assert.deepEqual(await refusal(await fetch(`${url}${image.url}`)), [404, 'not_found']);
    const overHttpAfter = (await (await fetch(`${url}/api/rooms/share/messages`)).json()) as { messages: Message[] };
    assert.ok(
      overHttpAfter.messages.every((m) => m.attachments === undefined),
      'no deleted message carries files over HTTP either',
    );
    // Deleting a deleted message again withdraws nothing twice; sending the file again serves it again.
    assert.ok((await acked(ann.socket).emitWithAck('message:delete', { room: 'share', seq: again.message.seq })).ok);
    const third = await acked(ann.socket).emitWithAck('message:send', {
      room: 'share',
      text: 'once more',
      clientId: randomUUID(),
      attachments: [image.id],
    });
    assert.ok(third.ok, JSON.stringify(third));
    assert.equal((await fetch(`${url}${image.url}`)).status, 200);
  });

  test("read-only rooms, observers and banned users get no upload token, a banned user's token is refused; uploads per user are rate limited", async () => {
    const { url } = await startApp({ JWT_SECRET: jwtSecret, API_KEY: apiKey, UPLOADS_PER_MINUTE: '2' });
    const ann = await joined(url, 'quiet');
    assert.ok((await acked(ann.socket).emitWithAck('message:send', { room: 'quiet', text: 'first', clientId: randomUUID() })).ok);
    const settings = await fetch(`${url}/api/rooms/quiet/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readOnly: true }),
    });
    assert.equal(settings.status, 200);
    const readOnly = await acked(ann.socket).emitWithAck('upload:token', { room: 'quiet' });
    assert.equal(readOnly.ok ? undefined : readOnly.error.code, 'forbidden');

    const mod = await connectChat(url, { token: await sign({ sub: 'mod', moderates: ['watched'] }) });
    assert.ok((await acked(mod.socket).emitWithAck('room:join', { room: 'watched', observe: true })).ok);
    const observing = await acked(mod.socket).emitWithAck('upload:token', { room: 'watched' });
    assert.equal(observing.ok ? undefined : observing.error.code, 'forbidden');

    // A ban stops uploads at once, also with a token given before it.
    const eveOpen = await connectChat(url, { name: 'Eve' });
    assert.ok((await acked(eveOpen.socket).emitWithAck('room:join', { room: 'open' })).ok);
    const given = await uploadToken(eveOpen.socket, 'open');
    const ban = await fetch(`${url}/api/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: eveOpen.user.id, room: 'open' }),
    });
    assert.equal(ban.status, 201);
    assert.deepEqual(await refusal(await upload(url, 'open', given, 'after the ban', 'ban.txt')), [403, 'forbidden']);
    const again = await acked(eveOpen.socket).emitWithAck('upload:token', { room: 'open' });
    assert.equal(again.ok ? undefined : again.error.code, 'forbidden');

    const bob = await joined(url, 'busy');
    const token = await uploadToken(bob.socket, 'busy');
    await uploaded(await upload(url, 'busy', token, 'one', '1.txt'));
    await uploaded(await upload(url, 'busy', token, 'two', '2.txt'));
    const third = await upload(url, 'busy', token, 'three', '3.txt');
    assert.equal(third.status, 429);
    assert.equal(((await third.json()) as { error: ErrorBody }).error.code, 'rate_limited');
  });

  test("with PostgreSQL, a second node takes the first node's token and serves its files and messages", async (t) => {
    const databaseUrl = await createTestDatabase();
    if (!databaseUrl) return t.skip('no PostgreSQL');
    const one = await startApp({ DATABASE_URL: databaseUrl });
    const two = await startApp({ DATABASE_URL: databaseUrl });
    const ann = await joined(one.url, 'shared');
    const token = await uploadToken(ann.socket, 'shared');
    const bytes = png(5, 3);
    const image = await uploaded(await upload(one.url, 'shared', token, bytes, 'pg.png'));
    const served = await fetch(`${two.url}${image.url}`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), bytes);
    // The upload secret is the database's: node two takes node one's token.
    const other = await uploaded(await upload(two.url, 'shared', token, 'from two', 'two.txt'));
    const sent = await acked(ann.socket).emitWithAck('message:send', {
      room: 'shared',
      text: 'both',
      clientId: randomUUID(),
      attachments: [image.id, other.id],
    });
    assert.ok(sent.ok, JSON.stringify(sent));
    const bob = await joined(two.url, 'shared');
    const history = await acked(bob.socket).emitWithAck('message:history', { room: 'shared' });
    assert.ok(history.ok);
    assert.deepEqual(history.messages.at(-1)?.attachments, [image, other]);
    assert.equal(await two.store.sweepAttachments(Date.now() + 1), 0, 'both were sent');
    // Deleted on one node, the files are gone from both; history on either carries none.
    const again = await acked(ann.socket).emitWithAck('message:send', {
      room: 'shared',
      text: 'the picture again',
      clientId: randomUUID(),
      attachments: [image.id],
    });
    assert.ok(again.ok, JSON.stringify(again));
    assert.ok((await acked(ann.socket).emitWithAck('message:delete', { room: 'shared', seq: sent.message.seq })).ok);
    assert.deepEqual(await refusal(await fetch(`${two.url}${other.url}`)), [404, 'not_found']);
    assert.equal((await fetch(`${two.url}${image.url}`)).status, 200, 'still carried by the live message');
    assert.ok((await acked(ann.socket).emitWithAck('message:delete', { room: 'shared', seq: again.message.seq })).ok);
    assert.deepEqual(await refusal(await fetch(`${one.url}${image.url}`)), [404, 'not_found']);
    const afterDelete = await acked(bob.socket).emitWithAck('message:history', { room: 'shared' });
    assert.ok(afterDelete.ok);
    assert.ok(afterDelete.messages.every((m) => m.attachments === undefined));
    assert.deepEqual(await refusal(await upload(two.url, 'shared', token, Buffer.alloc(11 * 1024 * 1024), 'big.bin')), [413, 'too_large']);
  });

  test('the client: the tray uploads at once; a send that waits for the connection keeps its files, also across a reload', async () => {
    const app = await startApp();
    const { port } = app.app.server.address() as AddressInfo;
    const storage = memoryStorage();
    const h = controllerHost();
    const conn = new ChatConnection(h, { url: app.url, room: 'later', name: 'Ada', storage });
    await conn.connect();
    const tray = new AttachmentTray(
      () => conn,
      () => h.requestUpdate(),
      formatSize,
    );
    tray.add([new File([new Uint8Array(png(6, 4))], 'six.png', { type: 'image/png' }), new File(['<svg/>'], 'x.svg')]);
    await h.changed(() => !tray.busy, 10_000);
    assert.deepEqual(
      tray.items.map((i) => [i.name, i.attachment?.type, i.error !== undefined]),
      [
        ['six.png', 'image/png', false],
        ['x.svg', undefined, true],
      ],
    );
    await app.close();
    await h.changed(() => conn.status === 'reconnecting');
    void conn.send('', { attachments: tray.take() }).catch(() => undefined);
    assert.equal(tray.items.length, 0);
    conn.close(); // the tab is closed with the send still waiting

    const again = new ChatConnection(h, { url: app.url, room: 'later', name: 'Ada', storage });
    assert.equal(again.outbox.entries[0]?.attachments?.[0]?.name, 'six.png');
    await startApp({ DATABASE_PATH: app.databasePath, PORT: String(port) });
    await again.connect();
    await h.changed(() => again.outbox.entries.length === 0 && again.messages.length === 1, 10_000);
    assert.deepEqual(
      again.messages[0]?.attachments?.map((a) => [a.name, a.width, a.height]),
      [['six.png', 6, 4]],
    );
    again.close();
  });
});
