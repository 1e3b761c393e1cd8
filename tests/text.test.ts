import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { HistoryResult, Message } from '../src/protocol.js';
import { acked, connectChat, createTestDatabase, nextMessages, startApp } from './helpers.js';

const apiKey = 'text-api-key-0123456789';

/** What is sent, and what every reader must get back. */
const texts: [sent: string, kept: string][] = [
  ['lone high \uD800 surrogate', 'lone high \uFFFD surrogate'],
  ['\uDC00 lone low first', '\uFFFD lone low first'],
  ['pair 😀 kept, \uD83D\uDE00 too', 'pair 😀 kept, 😀 too'],
  ['nul\u0000 bell\u0007 esc\u001b del\u007f c1\u0085\u009b', 'nul bell esc del c1'],
  ['lines\r\nand\ttabs\nkept', 'lines\nand\ttabs\nkept'],
  ['txt.\u202Egnp.exe', 'txt.gnp.exe'],
  ['\u202Aembed\u202B \u202Doverride\u202C \u2066iso\u2067late\u2068d\u2069', 'embed override isolated'],
  ['family 👩\u200D👩\u200D👧 and \u200Fعربي', 'family 👩\u200D👩\u200D👧 and \u200Fعربي'],
  ['  \u0000 padded \u202E  ', 'padded'],
];

/** Text cleaning on one store: ack, broadcast, history (socket and HTTP) agree byte for byte. */
function textCases(name: string, env: () => Promise<Record<string, string> | undefined>) {
  test(`${name}: what is acked is what is broadcast and stored, cleaned once`, async (t) => {
    const extra = await env();
    if (!extra) return t.skip('no PostgreSQL');
    const { url } = await startApp({ ...extra, API_KEY: apiKey });
    const sender = await connectChat(url, { name: 'Eve\u202E\u0000 \uD800' });
    assert.equal(sender.user.name, 'Eve \uFFFD');
    const observer = await connectChat(url);
    const room = `text-${randomUUID().slice(0, 8)}`;
    await acked(sender.socket).emitWithAck('room:join', { room });
    await acked(observer.socket).emitWithAck('room:join', { room });

    const broadcast = nextMessages(observer.socket, texts.length + 1);
    const answered: Message[] = [];
    for (const [sent] of texts) {
      const ack = await acked(sender.socket).emitWithAck('message:send', { room, text: sent, clientId: randomUUID() });
      assert.ok(ack.ok, JSON.stringify(ack));
      answered.push(ack.message);
    }
    const byHttp = await fetch(`${url}/api/rooms/${room}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ text: texts[6]?.[0], author: { id: 'bot', name: 'Bot\u2066\u0007' } }),
    });
    assert.equal(byHttp.status, 201);
    const posted = ((await byHttp.json()) as { message: Message }).message;
    answered.push(posted);

    assert.deepEqual(
      answered.map((m) => m.text),
      [...texts.map(([, kept]) => kept), texts[6]?.[1]],
    );
    assert.equal(answered[0]?.author.name, 'Eve \uFFFD');
    assert.equal(posted.author.name, 'Bot');
    assert.deepEqual(await broadcast, answered);
    const history = await acked(observer.socket).emitWithAck('message:history', { room });
    assert.ok(history.ok);
    assert.deepEqual(history.messages, answered);
    const overHttp = (await (await fetch(`${url}/api/rooms/${room}/messages`)).json()) as HistoryResult;
    assert.deepEqual(overHttp.messages, answered);
    // Byte for byte: every text is well-formed, so its UTF-8 round-trips.
    for (const m of overHttp.messages) assert.equal(Buffer.from(m.text, 'utf8').toString('utf8'), m.text);

    for (const empty of ['\u0000', '\u202E\u2066 \u2069', ' \u0085\r ']) {
      const ack = await acked(sender.socket).emitWithAck('message:send', { room, text: empty, clientId: randomUUID() });
      assert.equal(!ack.ok && ack.error.code, 'bad_request', JSON.stringify(empty));
    }
  });
}

describe('message text is cleaned once at the edge', () => {
  textCases('SQLite', async () => ({}));
  textCases('PostgreSQL', async () => {
    const databaseUrl = await createTestDatabase();
    return databaseUrl ? { DATABASE_URL: databaseUrl } : undefined;
  });
});
