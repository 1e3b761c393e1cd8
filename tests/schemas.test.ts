import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import asyncApiSpecs from '@asyncapi/specs';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Message, Push, SessionEvent } from '../src/protocol.js';
import { acked, chatClient, connectChat, connectPush, postPush, startApp, waitFor } from './helpers.js';
import { connectAs, moderationEnv, token } from './moderation-helpers.js';

const apiKey = 'schemas-test-api-key-0123456789';

type Json = Record<string, unknown>;

/**
 * A copy of a published schema where every object lists all its fields: a response or event
 * that gained a field the document does not name fails, as one that lost a required field does.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Json = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)]));
  if (copy.properties !== undefined && copy.additionalProperties === undefined && copy.patternProperties === undefined) {
    copy.additionalProperties = false;
  }
  return copy;
}

/** Follows a local `$ref` such as `#/channels/chat/messages/RoomJoin` in `document`. */
function resolve(document: Json, ref: string): Json {
  const found = ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Json)[key.replaceAll('~1', '/').replaceAll('~0', '~')], document);
  assert.ok(found, `${ref} does not resolve`);
  return found as Json;
}

/** Asserts `value` is valid against `schema` (closed), saying which recording failed and why. */
function check(ajv: Ajv, schema: unknown, value: unknown, what: string): void {
  const validate = ajv.compile(closed(schema) as object);
  assert.ok(validate(value), `${what}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value)}`);
}

/** The HTTP answers the OpenAPI document describes, by the schema it publishes for that status. */
function openApiChecker(openapi: Json) {
  // OpenAPI 3.1 schemas are JSON Schema 2020-12.
  const ajv = new Ajv2020({ strict: false });
  return async (method: string, path: string, res: Response) => {
    const operation = (openapi.paths as Record<string, Record<string, Json>>)[path]?.[method];
    assert.ok(operation, `${method.toUpperCase()} ${path} is not in the OpenAPI document`);
    const responses = operation.responses as Record<string, { content: Record<string, { schema: unknown }> }>;
    const range = `${String(res.status)[0]}XX`;
    const response = responses[res.status] ?? responses[range] ?? responses[range.toLowerCase()];
    assert.ok(response, `${method.toUpperCase()} ${path} does not document ${res.status}`);
    const body: unknown = await res.json();
    check(ajv, response.content['application/json']?.schema, body, `${method.toUpperCase()} ${path} ${res.status}`);
    return body;
  };
}

/**
 * Socket events by the AsyncAPI document: `sent` (a client's payload), `ack` (the reply of a
 * client's event) and `received` (a server event), looked up by their Socket.IO names.
 */
function asyncApiChecker(asyncapi: Json) {
  const ajv = new Ajv({ strict: false });
  const operations = Object.values(asyncapi.operations as Record<string, Json>);
  const operation = (channel: string, action: 'send' | 'receive', event: string) => {
    const found = operations.find(
      (op) =>
        op.action === action &&
        (op.channel as { $ref: string }).$ref === `#/channels/${channel}` &&
        resolve(asyncapi, (op.messages as { $ref: string }[])[0]!.$ref).name === event,
    );
    assert.ok(found, `no ${action} operation for ${event} on ${channel}`);
    return found;
  };
  const payloadOf = (ref: { $ref: string }) => resolve(asyncapi, ref.$ref).payload;
  return {
    sent(channel: string, event: string, payload: unknown) {
      const op = operation(channel, 'send', event);
      check(ajv, payloadOf((op.messages as { $ref: string }[])[0]!), payload, `${channel} ${event} payload`);
    },
    ack(channel: string, event: string, result: unknown) {
      const reply = operation(channel, 'send', event).reply as { messages: { $ref: string }[] } | undefined;
      assert.ok(reply, `${event} has no reply in the AsyncAPI document`);
      check(ajv, payloadOf(reply.messages[0]!), result, `${channel} ${event} ack`);
    },
    received(channel: string, event: string, payload: unknown) {
      const op = operation(channel, 'receive', event);
      check(ajv, payloadOf((op.messages as { $ref: string }[])[0]!), payload, `${channel} ${event} event`);
    },
  };
}

async function documents(url: string) {
  const [openapi, asyncapi] = await Promise.all(
    ['/api/openapi.json', '/api/asyncapi.json'].map(async (path) => {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200, path);
      return (await res.json()) as Json;
    }),
  );
  return { openapi: openapi!, asyncapi: asyncapi! };
}

describe('the published documents (protocol 6.1)', () => {
  test('OpenAPI 3.1 lists every route of the HTTP API, with the bearer schemes, and no page', async () => {
    const { url } = await startApp();
    const { openapi } = await documents(url);
    assert.match(String(openapi.openapi), /^3\.1\.\d+$/);
    // The document as a whole is valid OpenAPI 3.1, by the specification's own JSON Schema.
    const validity = await new Validator().validate(openapi);
    assert.ok(validity.valid, `not valid OpenAPI: ${JSON.stringify(validity.errors)}`);
    const info = openapi.info as Json;
    assert.equal(info.title, 'roomcast');
    assert.match(String(info.version), /^\d+\.\d+\.\d+/);
    const paths = openapi.paths as Record<string, Record<string, Json>>;
    const routes = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(routes.sort(), [
      'DELETE /api/bans/{id}',
      'DELETE /api/rooms/{room}/messages/{seq}',
      'GET /api/admin/overview',
      'GET /api/asyncapi.json',
      'GET /api/audit',
      'GET /api/bans',
      'GET /api/demo/staff-token',
      'GET /api/openapi.json',
      'GET /api/origin',
      'GET /api/rooms',
      'GET /api/rooms/{room}/attachments/{id}',
      'GET /api/rooms/{room}/members',
      'GET /api/rooms/{room}/messages',
      'GET /api/rooms/{room}/settings',
      'GET /healthz',
      'GET /readyz',
      'POST /api/bans',
      'POST /api/push',
      'POST /api/rooms/{room}/attachments',
      'POST /api/rooms/{room}/kick',
      'POST /api/rooms/{room}/live',
      'POST /api/rooms/{room}/messages',
      'PUT /api/rooms/{room}/settings',
    ]);
    const schemes = (openapi.components as Json).securitySchemes as Record<string, Json>;
    assert.deepEqual(schemes.apiKey && { type: schemes.apiKey.type, scheme: schemes.apiKey.scheme }, { type: 'http', scheme: 'bearer' });
    assert.deepEqual(paths['/api/push']?.post?.security, [{ apiKey: [] }]);
    assert.deepEqual(paths['/api/rooms/{room}/messages']?.post?.security, [{ apiKey: [] }]);
    // Every route documents its error answer, the one `{ ok: false, error }` shape.
    for (const route of ['/api/rooms', '/api/push', '/api/rooms/{room}/messages']) {
      for (const operation of Object.values(paths[route]!)) {
        const responses = operation.responses as Json;
        assert.ok(responses['4XX'] ?? responses['4xx'], `${route} documents no 4XX`);
      }
    }
  });

  test('AsyncAPI 3.0.0 has /chat and /push and every event, each client event with its ack as the reply', async () => {
    const { url } = await startApp();
    const { asyncapi } = await documents(url);
    assert.equal(asyncapi.asyncapi, '3.0.0');
    // The document as a whole is valid AsyncAPI 3.0.0, by the specification's own JSON Schema.
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(asyncApiSpecs.schemasWithoutId['3.0.0'] as object);
    assert.ok(validate(asyncapi), `not valid AsyncAPI: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    const channels = asyncapi.channels as Record<string, Json>;
    assert.deepEqual(
      Object.values(channels).map((c) => c.address),
      ['/chat', '/push'],
    );
    const events = (action: string, channel: string) =>
      Object.values(asyncapi.operations as Record<string, Json>)
        .filter((op) => op.action === action && (op.channel as { $ref: string }).$ref === `#/channels/${channel}`)
        .map((op) => resolve(asyncapi, (op.messages as { $ref: string }[])[0]!.$ref).name)
        .sort();
    assert.deepEqual(events('send', 'chat'), [
      'conversation:assign',
      'conversation:close',
      'conversation:open',
      'conversation:reopen',
      'conversation:snooze',
      'inbox:list',
      'message:delete',
      'message:edit',
      'message:history',
      'message:react',
      'message:send',
      'room:configure',
      'room:join',
      'room:kick',
      'room:leave',
      'room:read',
      'typing:update',
      'upload:token',
    ]);
    assert.deepEqual(events('receive', 'chat'), [
      'inbox:update',
      'message:new',
      'presence:update',
      'request:failed',
      'room:read',
      'room:removed',
      'room:settings',
      'server:draining',
      'session',
      'sync:hint',
      'typing:update',
    ]);
    assert.deepEqual(events('send', 'push'), ['push:subscribe', 'push:unsubscribe']);
    assert.deepEqual(events('receive', 'push'), ['push:new', 'request:failed', 'server:draining', 'session', 'sync:hint']);
    for (const op of Object.values(asyncapi.operations as Record<string, Json>)) {
      const name = resolve(asyncapi, (op.messages as { $ref: string }[])[0]!.$ref).name;
      if (op.action === 'send') assert.equal(op.reply === undefined, name === 'typing:update', `${String(name)}'s reply`);
    }
    assert.match(String((asyncapi.info as Json).description), /auth\.token/);
  });

  test('real HTTP answers match the OpenAPI document', async () => {
    const { url } = await startApp({ API_KEY: apiKey, JWT_SECRET: 'schemas-test-jwt-secret-0123456789' });
    const { openapi } = await documents(url);
    const answer = openApiChecker(openapi);
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };

    await answer('get', '/healthz', await fetch(`${url}/healthz`));
    await answer('get', '/readyz', await fetch(`${url}/readyz`));
    await answer('get', '/api/origin', await fetch(`${url}/api/origin`));
    await answer('get', '/api/origin', await fetch(`${url}/api/origin`, { headers: { origin: 'https://elsewhere.example' } }));

    // Someone in the room, so GET /api/rooms lists it.
    const { socket } = await connectChat(url);
    assert.ok((await acked(socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    const post = (body: unknown) => fetch(`${url}/api/rooms/lobby/messages`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    assert.equal(
      ((await answer('post', '/api/rooms/{room}/messages', await post({ text: 'from the backend' }))) as Json).message !== undefined,
      true,
    );
    await answer(
      'post',
      '/api/rooms/{room}/messages',
      await post({ text: 'as a user', author: { id: 'u1', name: 'Ann' }, clientId: 'c1' }),
    );
    await answer('get', '/api/rooms', await fetch(`${url}/api/rooms`));
    await answer('get', '/api/rooms/{room}/messages', await fetch(`${url}/api/rooms/lobby/messages?limit=1&after=0`));

    const single = await postPush(url, apiKey, { topic: 'news', event: 'headline', data: { title: 'hi' } });
    assert.equal(single.status, 202);
    await answer('post', '/api/push', single);
    await answer(
      'post',
      '/api/push',
      await postPush(url, apiKey, {
        pushes: [
          { topic: 'a', data: 1 },
          { topic: 'b', data: null },
        ],
      }),
    );
    await answer('post', '/api/rooms/{room}/live', await fetch(`${url}/api/rooms/lobby/live`, { method: 'POST' }));

    // Errors: a missing key, a bad room name, a private room without a token, a body too large.
    const errors: [string, string, Response, number][] = [
      ['post', '/api/push', await postPush(url, '', { topic: 'news', data: 1 }), 401],
      ['post', '/api/push', await postPush(url, apiKey, { topic: 'bad topic', data: 1 }), 400],
      ['get', '/api/rooms/{room}/messages', await fetch(`${url}/api/rooms/bad%20name/messages`), 400],
      ['get', '/api/rooms/{room}/messages', await fetch(`${url}/api/rooms/private-x/messages`), 401],
      ['post', '/api/rooms/{room}/messages', await post({ text: 'x'.repeat(5000) }), 413],
    ];
    for (const [method, path, res, status] of errors) {
      assert.equal(res.status, status, `${method} ${path}`);
      const body = (await answer(method, path, res)) as { ok: boolean };
      assert.equal(body.ok, false);
    }
  });

  test('real socket events and acks match the AsyncAPI document', async () => {
    const running = await startApp({ API_KEY: apiKey });
    const { url } = running;
    const { asyncapi } = await documents(url);
    const doc = asyncApiChecker(asyncapi);

    // /chat: two users in one room; what each sends and what the other is broadcast.
    const ann = chatClient(url, { name: 'Ann' });
    const annSession = waitFor<SessionEvent>(ann, 'session');
    ann.connect();
    doc.received('chat', 'session', await annSession);
    const bob = await connectChat(url, { name: 'Bob' });
    doc.received('chat', 'session', { user: bob.user, session: bob.session });

    const join = { room: 'lobby', limit: 10 };
    doc.sent('chat', 'room:join', join);
    doc.ack('chat', 'room:join', await acked(ann).emitWithAck('room:join', join));
    const presence = waitFor(ann, 'presence:update');
    doc.ack('chat', 'room:join', await acked(bob.socket).emitWithAck('room:join', { room: 'lobby' }));
    doc.received('chat', 'presence:update', await presence);

    const send = { room: 'lobby', text: 'hello', clientId: randomUUID() };
    doc.sent('chat', 'message:send', send);
    const broadcast = waitFor<Message>(bob.socket, 'message:new');
    doc.ack('chat', 'message:send', await acked(ann).emitWithAck('message:send', send));
    doc.received('chat', 'message:new', await broadcast);

    // Attachments (issue 13 point 4): the token, the upload's answer, a message that carries the file.
    const tokenRequest = { room: 'lobby' };
    doc.sent('chat', 'upload:token', tokenRequest);
    const granted = await acked(ann).emitWithAck('upload:token', tokenRequest);
    doc.ack('chat', 'upload:token', granted);
    assert.ok(granted.ok);
    const openapi = (await documents(url)).openapi;
    const uploaded = await fetch(`${url}/api/rooms/lobby/attachments?name=hi.txt`, {
      method: 'POST',
      headers: { authorization: `Upload ${granted.token}` },
      body: 'hello file',
    });
    const { attachment } = (await openApiChecker(openapi)('post', '/api/rooms/{room}/attachments', uploaded)) as {
      attachment: { id: string };
    };
    const withFile = { room: 'lobby', text: '', clientId: randomUUID(), attachments: [attachment.id] };
    doc.sent('chat', 'message:send', withFile);
    const fileBroadcast = waitFor<Message>(bob.socket, 'message:new');
    doc.ack('chat', 'message:send', await acked(ann).emitWithAck('message:send', withFile));
    doc.received('chat', 'message:new', await fileBroadcast);

    const history = { room: 'lobby', after: 0, limit: 5 };
    doc.sent('chat', 'message:history', history);
    doc.ack('chat', 'message:history', await acked(ann).emitWithAck('message:history', history));

    const read = { room: 'lobby', seq: 1 };
    doc.sent('chat', 'room:read', read);
    const readEvent = waitFor(ann, 'room:read');
    doc.ack('chat', 'room:read', await acked(bob.socket).emitWithAck('room:read', read));
    doc.received('chat', 'room:read', await readEvent);
    const rejoined = await acked(ann).emitWithAck('room:join', { room: 'lobby', after: 1 });
    assert.ok(rejoined.ok && rejoined.reads[bob.user.id] === 1, 'the join carries the reads');
    doc.ack('chat', 'room:join', rejoined);

    const typing = { room: 'lobby', typing: true };
    doc.sent('chat', 'typing:update', typing);
    const typed = waitFor(bob.socket, 'typing:update');
    ann.emit('typing:update', typing);
    doc.received('chat', 'typing:update', await typed);

    // Refusals: in the ack, and as request:failed for an event sent without one.
    const refused = await acked(ann).emitWithAck('room:join', { room: 'bad name' });
    assert.equal(refused.ok, false);
    doc.ack('chat', 'room:join', refused);
    const failed = waitFor(ann, 'request:failed');
    // Without an ack, as many clients emit; the typed socket insists on one.
    (ann as unknown as { emit(event: string, payload: unknown): void }).emit('message:send', {
      room: 'elsewhere',
      text: 'not joined',
      clientId: 'c-failed',
    });
    doc.received('chat', 'request:failed', await failed);

    doc.ack('chat', 'room:leave', await acked(bob.socket).emitWithAck('room:leave', { room: 'lobby' }));

    // /push: a subscriber gets what a backend pushes over HTTP, and catches up with `after`.
    const reader = await connectPush(url);
    doc.received('push', 'session', { user: reader.user, session: reader.session });
    const subscribe = { topic: 'news' };
    doc.sent('push', 'push:subscribe', subscribe);
    doc.ack('push', 'push:subscribe', await acked(reader.socket).emitWithAck('push:subscribe', subscribe));
    const pushed = waitFor<Push>(reader.socket, 'push:new');
    assert.equal((await postPush(url, apiKey, { topic: 'news', data: { deep: [1, { x: 'y' }] } })).status, 202);
    doc.received('push', 'push:new', await pushed);
    doc.ack('push', 'push:subscribe', await acked(reader.socket).emitWithAck('push:subscribe', { topic: 'news', after: 0 }));
    doc.ack('push', 'push:unsubscribe', await acked(reader.socket).emitWithAck('push:unsubscribe', { topic: 'news' }));
    const badTopic = await acked(reader.socket).emitWithAck('push:subscribe', { topic: 'no spaces' });
    assert.equal(badTopic.ok, false);
    doc.ack('push', 'push:subscribe', badTopic);

    // What roomcast itself pushes to a room's topic for a chat message is a push too.
    assert.ok((await acked(reader.socket).emitWithAck('push:subscribe', { topic: 'room:lobby' })).ok);
    const roomPush = waitFor<Push>(reader.socket, 'push:new');
    assert.ok((await acked(ann).emitWithAck('message:send', { room: 'lobby', text: 'again', clientId: randomUUID() })).ok);
    doc.received('push', 'push:new', await roomPush);

    // Shutting down: every client is told to reconnect elsewhere.
    const drainingChat = waitFor(ann, 'server:draining');
    const drainingPush = waitFor(reader.socket, 'server:draining');
    await running.close();
    doc.received('chat', 'server:draining', await drainingChat);
    doc.received('push', 'server:draining', await drainingPush);
  });

  test('real support conversation events and acks match the AsyncAPI document (protocol 6.5)', async () => {
    const { url } = await startApp(moderationEnv);
    const doc = asyncApiChecker((await documents(url)).asyncapi);
    const staff = chatClient(url, { token: await token({ sub: 'sam', name: 'Sam', inboxes: ['support'] }) });
    const session = waitFor<SessionEvent>(staff, 'session');
    staff.connect();
    const staffSession = await session;
    assert.deepEqual(staffSession.inboxes, ['support']);
    doc.received('chat', 'session', staffSession);
    const list = { inbox: 'support', status: 'open', limit: 10 };
    doc.sent('chat', 'inbox:list', list);
    doc.ack('chat', 'inbox:list', await acked(staff).emitWithAck('inbox:list', { inbox: 'support' }));

    const vera = await connectChat(url, { name: 'Vera' });
    const peek = { inbox: 'support', create: false };
    doc.sent('chat', 'conversation:open', peek);
    doc.ack('chat', 'conversation:open', await acked(vera.socket).emitWithAck('conversation:open', peek));
    const open = { inbox: 'support', email: 'vera@example.com' };
    doc.sent('chat', 'conversation:open', open);
    const created = waitFor(staff, 'inbox:update');
    const opened = await acked(vera.socket).emitWithAck('conversation:open', open);
    doc.ack('chat', 'conversation:open', opened);
    doc.received('chat', 'inbox:update', await created);
    assert.ok(opened.ok && opened.conversation);
    const { room } = opened.conversation;
    assert.ok((await acked(vera.socket).emitWithAck('room:join', { room })).ok);
    assert.ok((await acked(staff).emitWithAck('room:join', { room })).ok);
    assert.ok((await acked(vera.socket).emitWithAck('message:send', { room, text: 'help', clientId: randomUUID() })).ok);
    const reply = waitFor<Message>(vera.socket, 'message:new');
    const sent = await acked(staff).emitWithAck('message:send', { room, text: 'here', clientId: randomUUID() });
    doc.ack('chat', 'message:send', sent);
    const staffMessage = await reply;
    assert.equal(staffMessage.author.staff, true);
    doc.received('chat', 'message:new', staffMessage);
    // A listed conversation with a last message, an assignee and a snooze.
    const snooze = { room, until: Date.now() + 60_000 };
    doc.sent('chat', 'conversation:snooze', snooze);
    doc.ack('chat', 'conversation:snooze', await acked(staff).emitWithAck('conversation:snooze', snooze));
    doc.ack('chat', 'inbox:list', await acked(staff).emitWithAck('inbox:list', { inbox: 'support', status: 'snoozed' }));
    for (const [event, payload] of [
      ['conversation:assign', { room, user: null }],
      ['conversation:assign', { room }],
      ['conversation:close', { room }],
      ['conversation:reopen', { room }],
    ] as const) {
      doc.sent('chat', event, payload);
      doc.ack('chat', event, await acked(staff).emitWithAck(event, payload as { room: string }));
    }
    const refused = await acked(vera.socket).emitWithAck('conversation:close', { room });
    assert.equal(refused.ok, false);
    doc.ack('chat', 'conversation:close', refused);
  });

  test('real moderation answers and events match both documents', async () => {
    const { url } = await startApp(moderationEnv);
    const { openapi, asyncapi } = await documents(url);
    const answer = openApiChecker(openapi);
    const doc = asyncApiChecker(asyncapi);
    const admin = await token({ sub: 'root', name: 'Root', admin: true });
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    const mod = await connectAs(url, { sub: 'mod', name: 'Mo', moderates: ['lobby'] });
    const eve = await connectChat(url, { name: 'Eve' });
    for (const { socket } of [mod, eve]) assert.ok((await acked(socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    const sent = await acked(eve.socket).emitWithAck('message:send', { room: 'lobby', text: 'spam', clientId: randomUUID() });
    assert.ok(sent.ok);

    // /chat: a moderator's events, their acks, and what the room and the removed user are sent.
    const remove = { room: 'lobby', seq: sent.message.seq, reason: 'spam' };
    doc.sent('chat', 'message:delete', remove);
    const entry = waitFor<Message>(eve.socket, 'message:new');
    doc.ack('chat', 'message:delete', await acked(mod.socket).emitWithAck('message:delete', remove));
    doc.received('chat', 'message:new', await entry);
    const configure = { room: 'lobby', slowModeSeconds: 5 };
    doc.sent('chat', 'room:configure', configure);
    const settings = waitFor(eve.socket, 'room:settings');
    doc.ack('chat', 'room:configure', await acked(mod.socket).emitWithAck('room:configure', configure));
    doc.received('chat', 'room:settings', await settings);
    const kick = { room: 'lobby', user: eve.user.id, reason: 'calm down' };
    doc.sent('chat', 'room:kick', kick);
    const removed = waitFor(eve.socket, 'room:removed');
    doc.ack('chat', 'room:kick', await acked(mod.socket).emitWithAck('room:kick', kick));
    doc.received('chat', 'room:removed', await removed);
    const refused = await acked(eve.socket).emitWithAck('room:kick', { room: 'lobby', user: mod.user.id });
    assert.equal(refused.ok ? 'ok' : refused.error.code, 'forbidden');
    doc.ack('chat', 'room:kick', refused);

    // Protocol 6.3: a reply, an edit and reactions, their entries, and history with the message as it is now.
    assert.ok((await acked(eve.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    const question = await acked(eve.socket).emitWithAck('message:send', { room: 'lobby', text: 'why?', clientId: randomUUID() });
    assert.ok(question.ok);
    const reply = { room: 'lobby', text: 'becuase', clientId: randomUUID(), replyTo: question.message.seq };
    doc.sent('chat', 'message:send', reply);
    const replied = await acked(mod.socket).emitWithAck('message:send', reply);
    doc.ack('chat', 'message:send', replied);
    assert.ok(replied.ok);
    const edit = { room: 'lobby', seq: replied.message.seq, text: 'because' };
    doc.sent('chat', 'message:edit', edit);
    const edited = waitFor<Message>(eve.socket, 'message:new');
    doc.ack('chat', 'message:edit', await acked(mod.socket).emitWithAck('message:edit', edit));
    doc.received('chat', 'message:new', await edited);
    const react = { room: 'lobby', seq: replied.message.seq, emoji: '👍🏽', on: true };
    doc.sent('chat', 'message:react', react);
    const reacted = waitFor<Message>(mod.socket, 'message:new');
    doc.ack('chat', 'message:react', await acked(eve.socket).emitWithAck('message:react', react));
    doc.received('chat', 'message:new', await reacted);
    doc.ack('chat', 'message:react', await acked(eve.socket).emitWithAck('message:react', react));
    doc.ack('chat', 'message:react', await acked(eve.socket).emitWithAck('message:react', { ...react, emoji: 'no' }));
    const history = await acked(eve.socket).emitWithAck('message:history', { room: 'lobby', after: question.message.seq - 1 });
    doc.ack('chat', 'message:history', history);
    assert.ok(history.ok);
    assert.deepEqual(
      history.messages.map((m) => [m.type ?? m.text, m.replyTo ?? null, m.editedAt !== undefined, m.reactions ?? null]),
      [
        ['why?', null, false, null],
        ['because', question.message.seq, true, { '👍🏽': [eve.user.id] }],
        ['edit', null, false, null],
        ['reaction', null, false, null],
      ],
    );

    // HTTP: every moderation route, as an admin, and refusals.
    assert.ok((await acked(eve.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    await answer('get', '/api/rooms/{room}/members', await call('GET', '/api/rooms/lobby/members'));
    await answer('put', '/api/rooms/{room}/settings', await call('PUT', '/api/rooms/lobby/settings', { readOnly: true }));
    await answer('get', '/api/rooms/{room}/settings', await call('GET', '/api/rooms/lobby/settings'));
    const created = await call('POST', '/api/bans', { user: eve.user.id, room: 'lobby', until: Date.now() + 60_000, reason: 'again' });
    assert.equal(created.status, 201);
    const { ban } = (await answer('post', '/api/bans', created)) as { ban: { id: string } };
    await answer('get', '/api/bans', await call('GET', '/api/bans'));
    await answer('delete', '/api/bans/{id}', await call('DELETE', `/api/bans/${ban.id}`));
    // The ban took Eve out of the room; lifted, she may join again, and be kicked.
    assert.ok((await acked(eve.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    const kicked = await call('POST', '/api/rooms/lobby/kick', { user: eve.user.id });
    assert.equal(kicked.status, 200);
    await answer('post', '/api/rooms/{room}/kick', kicked);
    const posted = await acked(mod.socket).emitWithAck('message:send', { room: 'lobby', text: 'rules', clientId: randomUUID() });
    assert.ok(posted.ok);
    const deleted = await call('DELETE', `/api/rooms/lobby/messages/${posted.message.seq}?reason=x`);
    assert.equal(deleted.status, 200);
    await answer('delete', '/api/rooms/{room}/messages/{seq}', deleted);
    const audit = (await answer('get', '/api/audit', await call('GET', '/api/audit?limit=50'))) as { entries: unknown[] };
    assert.equal(audit.entries.length, 8);
    const errors: [string, string, Response, number][] = [
      ['delete', '/api/bans/{id}', await call('DELETE', `/api/bans/${ban.id}`), 404],
      ['post', '/api/bans', await call('POST', '/api/bans', { room: 'lobby' }), 400],
      ['get', '/api/audit', await fetch(`${url}/api/audit`), 401],
    ];
    for (const [method, path, res, status] of errors) {
      assert.equal(res.status, status, `${method} ${path}`);
      await answer(method, path, res);
    }
  });
});
