import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { rawSocket, startApp, waitFor } from './helpers.js';

/**
 * A `/chat` client speaking Engine.IO v4 by hand, so the test decides whether pongs are sent:
 * `0` open, `2` ping, `3` pong, `40/chat,` namespace connect.
 */
async function rawChatClient(url: string, { answerPings }: { answerPings: boolean }) {
  const { ws } = rawSocket(url);
  let pings = 0;
  let onPing = () => {};
  let connected = () => {};
  const opened = new Promise<{ pingInterval: number; pingTimeout: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no Engine.IO open packet')), 3000);
    ws.on('message', (data) => {
      const frame = data.toString();
      if (frame.startsWith('0{')) {
        clearTimeout(timer);
        resolve(JSON.parse(frame.slice(1)));
      }
      if (frame.startsWith('40/chat,{"sid"')) connected();
      if (frame === '2') {
        pings++;
        if (answerPings) ws.send('3');
        onPing();
      }
    });
  });
  const open = await opened;
  const openedAt = Date.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the /chat namespace did not accept the connect')), 3000);
    connected = () => {
      clearTimeout(timer);
      resolve();
    };
    ws.send('40/chat,{}');
  });
  return {
    ws,
    open,
    openedAt,
    pings: () => pings,
    /** Resolves once `count` pings have come in all, or rejects after `ms`. */
    pinged(count: number, ms: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`saw ${pings} of ${count} pings`)), ms);
        onPing = () => {
          if (pings < count) return;
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

describe('heartbeat', () => {
  test('defaults notice a silent drop within 30 s and ping well inside a 55 s idle proxy', () => {
    const { pingIntervalMs, pingTimeoutMs } = loadConfig({});
    assert.equal(pingIntervalMs, 20_000);
    assert.equal(pingTimeoutMs, 10_000);
    assert.ok(pingIntervalMs + pingTimeoutMs <= 30_000);
    assert.ok(pingIntervalMs <= 25_000);
  });

  test('a client that stops answering pings is dropped within interval + timeout; one that answers stays', async () => {
    const interval = 1000;
    const timeout = 1000;
    const { url } = await startApp({ PING_INTERVAL_MS: String(interval), PING_TIMEOUT_MS: String(timeout) });
    const silent = await rawChatClient(url, { answerPings: false });
    const silentClosed = waitFor(silent.ws, 'close', 5000).then(() => Date.now());
    const alive = await rawChatClient(url, { answerPings: true });
    assert.deepEqual([silent.open.pingInterval, silent.open.pingTimeout], [interval, timeout]);

    const closedAt = await silentClosed;
    assert.equal(silent.pings(), 1, 'the silent client was pinged once, then dropped');
    const took = closedAt - silent.openedAt;
    assert.ok(took <= interval + timeout + 500, `dropped after ${took} ms`);
    assert.ok(took >= interval + timeout - 200, `dropped early, after ${took} ms`);

    // Three pings answered take longer than the silent client lasted.
    await alive.pinged(3, 3 * interval + timeout);
    assert.equal(alive.ws.readyState, WebSocket.OPEN);
    alive.ws.close();
  });
});
