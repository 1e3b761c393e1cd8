import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import {
  delivered,
  openRoom,
  pageItems,
  pageUser,
  pageView,
  recordStatus,
  sendFrom,
  showsStatus,
  skipBrowser as skip,
  statusLog,
  useBrowser,
} from './browser-helpers.js';
import { checkViews, type Sent, until } from './chaos-helpers.js';
import { type Running, startApp, waitFor } from './helpers.js';

const browser = useBrowser();

/** How long run e keeps the browser offline: the 30 s. */
const OFFLINE_MS = 30_000;

const input = (page: Page) => page.getByLabel('Message', { exact: true });

/** [state, text] of every message item the page shows, in order. */
async function shown(page: Page): Promise<[string, string][]> {
  return (await pageItems(page)).map((item) => [item.state, item.text]);
}

/**
 * Holds every `message:send` of `user`'s sockets on `/chat` unanswered, as a hung server would:
 * the request has left the browser, nothing comes back. `release()` lets the held ones (of sockets
 * still connected; socket.io drops the others) and every later one through. `events` emits
 * `change` for each one held.
 */
function holdSends(app: Running, user: string) {
  const events = new EventEmitter();
  const held: { socket: string; go(): void }[] = [];
  let holding = true;
  const sockets = [...app.io.of('/chat').sockets.values()].filter((s) => s.data.identity.user.id === user);
  for (const socket of sockets) {
    socket.use((packet, next) => {
      if (!holding || packet[0] !== 'message:send') return next();
      held.push({ socket: socket.id, go: () => next() });
      events.emit('change');
    });
  }
  return {
    /** The user's sockets, in the order they connected. */
    sockets,
    events,
    /** Whether a send of this socket is held. */
    holds: (socket: string) => held.some((h) => h.socket === socket),
    release(): void {
      holding = false;
      for (const h of held.splice(0)) h.go();
    },
  };
}

describe('chaos: the browser', () => {
  test('e. offline 30 s with two messages typed, the tab closed while offline, opened again online: both delivered once', {
    skip,
  }, async () => {
    const app = await startApp();
    const room = 'offline-30s';
    const ana = await openRoom(app.url, room, 'Ana', browser());
    const bo = await openRoom(app.url, room, 'Bo', browser());
    const sent: Sent[] = [await sendFrom(bo.page, room, 'hello from Bo'), await sendFrom(ana.page, room, 'hello from Ana')];
    for (const { page } of [ana, bo]) await delivered(page, 2);
    await recordStatus(ana.page);

    const wentOffline = Date.now();
    await ana.context.setOffline(true);
    await showsStatus(ana.page, 'offline', 1_000);
    sent.push(await sendFrom(ana.page, room, 'typed offline, one'));
    sent.push(await sendFrom(ana.page, room, 'typed offline, two'));
    await input(ana.page).fill('a draft, offline');
    assert.deepEqual((await shown(ana.page)).slice(2), [
      ['sending', 'typed offline, one'],
      ['sending', 'typed offline, two'],
    ]);
    const log = await statusLog(ana.page);
    assert.deepEqual(
      log.filter((r) => !r.online && r.state !== 'offline'),
      [],
      JSON.stringify(log),
    );
    await ana.page.close();

    // The rest of the 30 s: the outage itself, not a wait for something to happen.
    await delay(OFFLINE_MS - (Date.now() - wentOffline));
    assert.deepEqual(await shown(bo.page), [
      ['sent', 'hello from Bo'],
      ['sent', 'hello from Ana'],
    ]);
    assert.equal(await bo.page.locator('roomcast-room [part="status"]').getAttribute('data-state'), 'connected');
    await ana.context.setOffline(false);

    const again = await openRoom(app.url, room, 'Ana', ana.context);
    for (const { page } of [again, bo]) await delivered(page, 4);
    assert.equal(await input(again.page).inputValue(), 'a draft, offline', 'the draft was lost');
    await checkViews(app.url, [], { views: [await pageView(again.page, 'ana', room), await pageView(bo.page, 'bo', room)], sent });
    assert.deepEqual(
      (await pageView(bo.page, 'bo', room)).messages.map((m) => m.text),
      ['hello from Bo', 'hello from Ana', 'typed offline, one', 'typed offline, two'],
    );
    assert.deepEqual([...ana.errors, ...again.errors, ...bo.errors], []);
  });

  test('g. two tabs of one user, one closed in the middle of a send: the other delivers it, once', { skip }, async () => {
    const app = await startApp();
    const room = 'two-tabs';
    const context = await browser().newContext();
    const first = await openRoom(app.url, room, 'Ana', context);
    const second = await openRoom(app.url, room, 'Ana', context);
    const bo = await openRoom(app.url, room, 'Bo', browser());
    const user = await pageUser(first.page);
    assert.equal(await pageUser(second.page), user, 'two tabs of one context are two users');
    const sent: Sent[] = [await sendFrom(first.page, room, 'from the first tab'), await sendFrom(second.page, room, 'from the second tab')];
    for (const { page } of [first, second, bo]) await delivered(page, 2);

    const hold = holdSends(app, user);
    const [firstSocket] = hold.sockets;
    assert.ok(firstSocket && hold.sockets.length === 2, `${hold.sockets.length} sockets of Ana`);
    const message = await sendFrom(first.page, room, 'sent as the tab closes');
    sent.push(message);
    await until([hold.events], () => hold.holds(firstSocket.id), 'the first tab’s send to reach the server', 5_000);
    // The other tab has it too, from the shared storage, as not yet sent.
    const inSecond = second.page.locator(`roomcast-room li.message[data-client-id="${message.clientId}"]`);
    await inSecond.waitFor({ state: 'attached' });
    assert.equal(await inSecond.getAttribute('data-state'), 'sending');

    const gone = waitFor(firstSocket, 'disconnect', 5_000);
    await first.page.close();
    await gone;
    hold.release();

    for (const { page } of [second, bo]) await delivered(page, 3);
    await checkViews(app.url, [], { views: [await pageView(second.page, 'second tab', room), await pageView(bo.page, 'bo', room)], sent });
    assert.equal(await second.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('roomcast:outbox:')).length), 0);
    assert.deepEqual([...first.errors, ...second.errors, ...bo.errors], []);
  });
});
