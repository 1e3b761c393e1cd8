import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import * as reference from 'socket.io-parser';
import type { Message, SessionEvent } from '../src/protocol.js';
import * as textOnly from '../web-components/socket-parser.js';
import { acked, chatClient, connectChat, nextMessages, startApp, waitFor } from './helpers.js';

/** Packets of every kind roomcast exchanges, in the main namespace and in /chat, with and without an ack id. */
const packets = [
  { type: 0, nsp: '/chat', data: { token: 'x', session: 'y' } },
  { type: 0, nsp: '/chat', data: { sid: 'abc', pid: 'def' } },
  { type: 0, nsp: '/' },
  { type: 1, nsp: '/chat' },
  { type: 2, nsp: '/chat', data: ['message', { text: 'a, "b" [c] 1,2 é 😀', seq: 12 }] },
  { type: 2, nsp: '/chat', id: 7, data: ['room:join', { room: 'lobby' }] },
  { type: 2, nsp: '/', data: ['hello'] },
  { type: 3, nsp: '/chat', id: 1234, data: [{ ok: true, messages: [] }] },
  { type: 3, nsp: '/push', id: 0, data: [] },
  { type: 4, nsp: '/chat', data: { message: 'unauthorized', data: { code: 'unauthorized', message: 'Bad token.' } } },
  { type: 4, nsp: '/', data: 'Invalid namespace' },
];

test('socket-parser: encodes every packet as socket.io-parser does, and decodes what socket.io-parser encodes', () => {
  const ours = new textOnly.Encoder();
  const theirs = new reference.Encoder();
  for (const packet of packets) {
    const encoded = theirs.encode(packet) as string[];
    assert.deepEqual(ours.encode(packet as textOnly.Packet), encoded);
    const decoded: unknown[] = [];
    const decoder = new textOnly.Decoder();
    decoder.on('decoded', (p) => decoded.push(p));
    decoder.add(encoded[0]);
    const expected: unknown[] = [];
    const ref = new reference.Decoder();
    ref.on('decoded', (p: unknown) => expected.push(p));
    ref.add(encoded[0] as string);
    assert.deepEqual(decoded, expected, encoded[0]);
  }
  assert.equal(textOnly.protocol, reference.protocol);
});

test('socket-parser: binary, malformed and reserved-name packets throw (the client closes the connection)', () => {
  const bad = [
    '51-/chat,["file",{"_placeholder":true,"num":0}]',
    '61-/chat,3[{"_placeholder":true,"num":0}]',
    '9',
    '',
    '2/chat,{"not":"an array"}',
    '2/chat,["connect"]',
    '2/chat,[1,',
    '0/chat,"string"',
    '1/chat,["x"]',
    '3/chat,5{}',
  ];
  for (const chunk of bad) assert.throws(() => new textOnly.Decoder().add(chunk), Error, chunk);
  assert.throws(() => new textOnly.Decoder().add(new ArrayBuffer(4)), Error);
});

test('socket-parser: a real client on it joins, sends, receives broadcasts and gets refused like one on socket.io-parser', async () => {
  const { url } = await startApp({ ALLOW_GUESTS: 'true' });
  const socket = chatClient(url, { name: 'Text' }, { parser: textOnly });
  const session = waitFor<SessionEvent>(socket, 'session');
  socket.connect();
  assert.equal((await session).user.name, 'Text');
  const other = await connectChat(url, { name: 'Other' });
  assert.equal((await acked(socket).emitWithAck('room:join', { room: 'parser' })).ok, true);
  assert.equal((await acked(other.socket).emitWithAck('room:join', { room: 'parser' })).ok, true);
  const seen = nextMessages(socket, 1);
  const ack = await acked(other.socket).emitWithAck('message:send', { room: 'parser', text: 'hi, "there"', clientId: randomUUID() });
  assert.equal(ack.ok, true);
  const [message] = (await seen) as [Message];
  assert.equal(message.text, 'hi, "there"');

  const refused = chatClient(url, { token: 'not-a-jwt' }, { parser: textOnly });
  const error = waitFor<Error & { data?: { code: string } }>(refused, 'connect_error');
  refused.connect();
  assert.equal((await error).data?.code, 'unauthorized');
});
