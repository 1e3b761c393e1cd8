import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { DrainingEvent } from '../src/protocol.js';
import { acked, chatClient, startApp, waitFor } from './helpers.js';

describe('shutdown', () => {
  test('drains clients so they reconnect by themselves to the next server', async () => {
    const first = await startApp();
    const { port } = first.app.server.address() as AddressInfo;
    const socket = chatClient(first.url, { name: 'Stay' }, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
    const connected = waitFor(socket, 'connect');
    socket.connect();
    await connected;
    await acked(socket).emitWithAck('room:join', { room: 'before' });

    const draining = waitFor<DrainingEvent>(socket, 'server:draining');
    const disconnected = waitFor<string>(socket, 'disconnect');
    await first.close();
    const { retryInMs } = await draining;
    assert.ok(retryInMs >= 0 && retryInMs <= 10_000);
    // "transport close" keeps the client reconnecting; "io server disconnect" would stop it.
    assert.equal(await disconnected, 'transport close');
    assert.equal(socket.active, true, 'the client gave up reconnecting');

    const reconnected = waitFor(socket, 'connect', 5000);
    await startApp({ DATABASE_PATH: first.databasePath, PORT: String(port) });
    await reconnected;
    const join = await acked(socket).emitWithAck('room:join', { room: 'after' });
    assert.equal(join.ok, true);
  });

  test('while draining, /readyz answers 503 and new handshakes are refused', async () => {
    const app = await startApp({}, { drainMs: 1000 });
    const socket = chatClient(app.url);
    const connected = waitFor(socket, 'connect');
    socket.connect();
    await connected;
    const draining = waitFor(socket, 'server:draining');
    const closed = app.close();
    await draining;
    const ready = await fetch(`${app.url}/readyz`);
    assert.equal(ready.status, 503);
    const late = chatClient(app.url);
    const refused = waitFor(late, 'connect_error');
    late.connect();
    await refused;
    await closed;
  });
});
