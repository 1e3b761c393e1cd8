import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Conversation, InboxUpdateEvent, Message } from '../src/protocol.js';
import { acked, type ChatClient, connectChat, createTestDatabase } from './helpers.js';

/** Support conversations' tests (protocol 6.5): what they share. */

export const code = (result: { ok: boolean; error?: { code: string } }) => (result.ok ? 'ok' : result.error?.code);

/** Waits for the `inbox:update` of `room` that satisfies `check`. */
export function updateOf(
  socket: ChatClient,
  room: string,
  check: (c: Conversation) => boolean = () => true,
  ms = 5000,
): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('inbox:update', listener);
      reject(new Error(`no inbox:update of ${room} within ${ms} ms`));
    }, ms);
    const listener = ({ conversation }: InboxUpdateEvent) => {
      if (conversation.room !== room || !check(conversation)) return;
      clearTimeout(timer);
      socket.off('inbox:update', listener);
      resolve(conversation);
    };
    socket.on('inbox:update', listener);
  });
}

export async function send(socket: ChatClient, room: string, text: string): Promise<Message> {
  const sent = await acked(socket).emitWithAck('message:send', { room, text, clientId: randomUUID() });
  assert.ok(sent.ok, `send to ${room}: ${JSON.stringify(sent)}`);
  return sent.message;
}

export async function join(socket: ChatClient, room: string) {
  const joined = await acked(socket).emitWithAck('room:join', { room });
  assert.ok(joined.ok, `join ${room}: ${JSON.stringify(joined)}`);
  return joined;
}

/** A visitor (a guest unless `auth` says otherwise) with an open conversation in `inbox`, joined to its room. */
export async function visitorWithConversation(url: string, auth: Record<string, unknown> = { name: 'Vera' }, inbox = 'support') {
  const visitor = await connectChat(url, auth);
  const opened = await acked(visitor.socket).emitWithAck('conversation:open', { inbox });
  assert.ok(opened.ok && opened.conversation, JSON.stringify(opened));
  await join(visitor.socket, opened.conversation.room);
  return { ...visitor, conversation: opened.conversation };
}

/** Each store: SQLite, and PostgreSQL where there is one (else skipped, loudly outside CI). */
export const stores: [string, (t: TestContext) => Promise<Record<string, string> | undefined>][] = [
  ['SQLite', async () => ({})],
  [
    'PostgreSQL',
    async (t) => {
      const url = await createTestDatabase();
      if (!url) t.skip('needs PostgreSQL');
      return url ? { DATABASE_URL: url } : undefined;
    },
  ],
];
