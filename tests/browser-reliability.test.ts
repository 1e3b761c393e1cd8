import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  delivered,
  hostPage,
  type Opened,
  openPage,
  openRoom,
  pageItems,
  pageUser,
  pageView,
  recordStatus,
  sendFrom,
  showsStatus,
  skipBrowser as skip,
  statusLog,
  statusPill,
  useBrowser,
  useHostSite,
  widget,
} from './browser-helpers.js';
import { checkViews, type Sent } from './chaos-helpers.js';
import { acked, connectChat, startApp } from './helpers.js';

const browser = useBrowser();
const host = useHostSite();

/** [state, text] of every message item the page shows, in order. */
async function shown(page: Page): Promise<[string, string][]> {
  return (await pageItems(page)).map((item) => [item.state, item.text]);
}

const input = (page: Page) => page.getByLabel('Message', { exact: true });

/**
 * The offline run, on the page of `ana` (a room page or the widget) with `bo` in the same room:
 * each has sent one message; `ana` goes offline, sends two, comes back. Asserts every step as the
 * pages show it, and the store at the end.
 */
async function sendWhileOffline(appUrl: string, room: string, ana: Opened, bo: Opened): Promise<void> {
  const sent: Sent[] = [await sendFrom(bo.page, room, 'before, from Bo'), await sendFrom(ana.page, room, 'before, from Ana')];
  for (const { page } of [ana, bo]) await delivered(page, 2);
  await recordStatus(ana.page);

  const wentOffline = Date.now();
  await ana.context.setOffline(true);
  await showsStatus(ana.page, 'offline', 1_000);
  assert.equal((await statusPill(ana.page).textContent())?.trim(), 'Offline');
  sent.push(await sendFrom(ana.page, room, 'first, offline'));
  await input(ana.page).fill('second, offline');
  assert.equal(await ana.page.getByRole('button', { name: 'Send', exact: true }).isEnabled(), true, 'Send is disabled offline');
  sent.push(await sendFrom(ana.page, room, 'second, offline', { click: true }));
  assert.deepEqual(await shown(ana.page), [
    ['sent', 'before, from Bo'],
    ['sent', 'before, from Ana'],
    ['sending', 'first, offline'],
    ['sending', 'second, offline'],
  ]);
  const delivery = ana.page.locator('roomcast-room li.message[data-state="sending"] [part="delivery"]');
  assert.deepEqual(await delivery.allTextContents(), ['Will send when connected', 'Will send when connected']);
  assert.equal(await input(ana.page).inputValue(), '', 'the composer kept a sent text');
  assert.equal(await statusPill(ana.page).getAttribute('data-state'), 'offline');
  assert.equal((await shown(bo.page)).length, 2, 'Bo got a message sent offline');

  await ana.context.setOffline(false);
  for (const { page } of [ana, bo]) await delivered(page, 4);
  await showsStatus(ana.page, 'connected');
  await checkViews(appUrl, [], { views: [await pageView(ana.page, 'ana', room), await pageView(bo.page, 'bo', room)], sent });
  assert.deepEqual(
    (await pageView(bo.page, 'bo', room)).messages.map((m) => m.text),
    ['before, from Bo', 'before, from Ana', 'first, offline', 'second, offline'],
  );

  const log = await statusLog(ana.page);
  const lies = log.filter((r) => !r.online && r.state !== 'offline');
  assert.deepEqual(lies, [], 'the page said something else than Offline while offline');
  const offline = log.find((r) => r.state === 'offline');
  assert.ok(offline && offline.at - wentOffline < 1_000, `Offline shown late: ${JSON.stringify(log)}`);
  assert.equal(log.at(-1)?.state, 'connected', JSON.stringify(log));
  assert.deepEqual([...ana.errors, ...bo.errors, ...ana.dialogs, ...bo.dialogs], []);
}

describe('the browser keeps what the user sent, and tells the truth about the connection', () => {
  test('offline: "Offline" within 1 s, Send stays enabled, what is sent shows at once as sending, in order, and arrives once when back online', {
    skip,
  }, async () => {
    const app = await startApp();
    const ana = await openRoom(app.url, 'offline', 'Ana', browser());
    const bo = await openRoom(app.url, 'offline', 'Bo', browser());
    await sendWhileOffline(app.url, 'offline', ana, bo);
  });

  test('the widget on a page of another origin keeps what is sent offline the same way', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const ana = await openPage(host.page('/offline', hostPage(app.url, widget('room="widget-offline" name="Ana"'))), browser());
    await ana.page.locator('roomcast-chat [part="launcher"]').click();
    await showsStatus(ana.page, 'connected');
    const bo = await openRoom(app.url, 'widget-offline', 'Bo', browser());
    await sendWhileOffline(app.url, 'widget-offline', ana, bo);
  });

  test('a refusal shows the message failed with its reason; it and the draft survive a reload; Delete drops it, Retry sends it once', {
    skip,
  }, async () => {
    const app = await startApp({ MAX_MESSAGE_LENGTH: '20' });
    const room = 'refusals';
    const ana = await openRoom(app.url, room, 'Ana', browser());
    const bo = await openRoom(app.url, room, 'Bo', browser());
    const sent = [await sendFrom(ana.page, room, 'short and fine')];
    // The composer keeps an over-long text from being sent (its counter says so): these go
    // through the connection's send, as a refusal the page cannot foresee would.
    const tooLong = await sendPast(ana.page, room, 'this one is far too long');
    const alsoTooLong = await sendPast(ana.page, room, 'and this one is too long');
    sent.push(await sendFrom(ana.page, room, 'the next one goes'));
    const failed = ana.page.locator('roomcast-room li.message[data-state="failed"]');
    await failed.nth(1).waitFor({ state: 'attached' });
    await delivered(bo.page, 2);
    const expected: [string, string][] = [
      ['sent', 'short and fine'],
      ['sent', 'the next one goes'],
      ['failed', 'this one is far too long'],
      ['failed', 'and this one is too long'],
    ];
    assert.deepEqual(await shown(ana.page), expected);
    await input(ana.page).fill('half a thought');

    await ana.page.reload();
    await showsStatus(ana.page, 'connected');
    assert.equal(await input(ana.page).inputValue(), 'half a thought', 'the draft was lost');
    assert.deepEqual(await shown(ana.page), expected);
    for (const reason of await failed.locator('[part="delivery"] > span').allTextContents()) {
      assert.match(reason, /^Not sent: \S/);
    }
    assert.deepEqual(await failed.locator('button').allTextContents(), ['Retry', 'Delete', 'Retry', 'Delete']);

    await failed.filter({ hasText: alsoTooLong.text }).getByRole('button', { name: 'Delete' }).click();
    await failed.nth(1).waitFor({ state: 'detached' });
    const stored = await ana.page.evaluate(() => Object.entries(localStorage).filter(([key]) => key.startsWith('roomcast:outbox:')));
    assert.deepEqual(
      stored.map(([, json]) => (JSON.parse(json) as { clientId: string }[]).map((e) => e.clientId)),
      [[tooLong.clientId]],
    );

    // The operator raises the limit: the failed message can now go.
    const { port } = new URL(app.url);
    await app.close();
    await showsStatus(ana.page, 'reconnecting');
    const again = await startApp({ DATABASE_PATH: app.databasePath, PORT: port });
    await showsStatus(ana.page, 'connected', 35_000);
    await failed.getByRole('button', { name: 'Retry' }).click();
    sent.push(tooLong);
    for (const { page } of [ana, bo]) await delivered(page, 3);
    const store = await checkViews(again.url, [], {
      views: [await pageView(ana.page, 'ana', room), await pageView(bo.page, 'bo', room)],
      sent,
    });
    assert.deepEqual(
      store.get(room)?.map((m) => m.text),
      ['short and fine', 'the next one goes', 'this one is far too long'],
    );
    assert.equal(await input(ana.page).inputValue(), 'half a thought');
    assert.deepEqual([...ana.errors, ...bo.errors], []);
  });

  test('after a server restart no error from the outage stays under the composer once the header says Connected', { skip }, async () => {
    const app = await startApp({ MESSAGE_RATE_BURST: '100' });
    const room = 'restart';
    const seeder = await connectChat(app.url, { name: 'Seeder' });
    await acked(seeder.socket).emitWithAck('room:join', { room });
    for (let i = 1; i <= 60; i++) {
      const res = await acked(seeder.socket).emitWithAck('message:send', { room, text: `seed ${i}`, clientId: `seed-${i}` });
      assert.ok(res.ok, JSON.stringify(res));
    }
    seeder.socket.disconnect();
    const ana = await openRoom(app.url, room, 'Ana', browser());
    const older = ana.page.getByRole('button', { name: 'Load older messages' });
    await older.waitFor();
    const error = ana.page.locator('roomcast-room [part="error"]');

    const { port } = new URL(app.url);
    await app.close();
    await showsStatus(ana.page, 'reconnecting');
    await older.click();
    await error.waitFor();
    assert.notEqual((await error.textContent())?.trim(), '');

    await startApp({ DATABASE_PATH: app.databasePath, PORT: port });
    await showsStatus(ana.page, 'connected', 35_000);
    assert.equal(await error.count(), 0, 'an error from the outage stayed under the composer');
    assert.equal(await ana.page.locator('roomcast-room [role="alert"]').count(), 0, 'an error from the outage stayed in the header');
    await older.click();
    await ana.page.locator('roomcast-room li.message[data-seq="1"]').waitFor({ state: 'attached' });
    assert.equal((await pageItems(ana.page)).length, 60);
    assert.deepEqual(ana.errors, []);
  });
});

/** Sends `text` with the room element's connection, past the composer's checks; resolves with what was sent once it shows. */
async function sendPast(page: Page, room: string, text: string): Promise<Sent> {
  const clientId = await page.evaluate((t) => {
    const connection = document.querySelector('roomcast-room')?.connection;
    if (!connection) throw new Error('no roomcast-room with a connection');
    void connection.send(t).catch(() => undefined);
    return connection.outbox.entries.at(-1)?.clientId;
  }, text);
  assert.ok(clientId, `"${text}" is not in the outbox`);
  await page.locator(`roomcast-room li.message[data-client-id="${clientId}"]`).waitFor({ state: 'attached', timeout: 5_000 });
  return { room, author: await pageUser(page), clientId, text };
}
