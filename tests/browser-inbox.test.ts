/**
 * The staff's inbox page (/inbox, issue 14) in Chromium: two visitors (socket.io-client) and two
 * staff members on two node processes sharing PostgreSQL and Redis. Both staff see the same list
 * and unread counts, live; one answers and the other sees it at once; assign, close, reopen and
 * snooze from the page; a private note reaches the other staff member and never the visitor; the
 * phone layout; the demo sign-in; one notifying tab.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { BrowserContextOptions, Locator, Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';
import type { Message } from '../src/protocol.js';
import { noSeriousAxeViolation, openPage, skipBrowser as skip, useBrowser } from './browser-helpers.js';
import { startNode, testRedisUrl } from './cluster-helpers.js';
import { clusterEnv, eventually } from './chaos-helpers.js';
import { acked, type ChatClient, connectChat, startApp } from './helpers.js';
import { secret, token } from './moderation-helpers.js';

const browser = useBrowser();
// bypassCSP: axe-core is injected as an inline script, which the pages' CSP refuses.
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 }, bypassCSP: true };
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
  bypassCSP: true,
};
const WAIT = { timeout: 10_000 };

/** A staff member's inbox page, signed in with a token handed in `?token=`, listing. */
async function openInbox(url: string, claims: Record<string, unknown>, options: BrowserContextOptions = DESKTOP) {
  const context = await browser().newContext(options);
  const opened = await openPage(`${url}/inbox?token=${await token(claims)}`, context);
  await opened.page.locator('roomcast-inbox [part="status"][data-state="connected"]').waitFor(WAIT);
  return opened;
}

/** A visitor over socket.io-client: opens their conversation in `support`, joins it and says `text`. */
async function visitor(url: string, name: string, text: string) {
  const client = await connectChat(url, { name });
  const events: unknown[] = [];
  client.socket.onAny((event: string, ...args: unknown[]) => events.push([event, ...args]));
  const opened = await acked(client.socket).emitWithAck('conversation:open', { inbox: 'support' });
  assert.ok(opened.ok && opened.conversation, JSON.stringify(opened));
  const { conversation } = opened;
  const joined = await acked(client.socket).emitWithAck('room:join', { room: conversation.room });
  assert.ok(joined.ok, JSON.stringify(joined));
  await say(client.socket, conversation.room, text);
  return { ...client, conversation, events };
}

async function say(socket: ChatClient, room: string, text: string): Promise<Message> {
  const sent = await acked(socket).emitWithAck('message:send', { room, text, clientId: crypto.randomUUID() });
  assert.ok(sent.ok, JSON.stringify(sent));
  return sent.message;
}

/** A conversation's item in the page's list. */
const item = (page: Page, room: string): Locator => page.locator(`inbox-list .item[data-room="${room}"]`);
const tab = (page: Page, name: string): Locator => page.locator(`inbox-list [role="tab"][data-tab="${name}"]`);
const pane = (page: Page) => page.locator('inbox-conversation');
const conversationRoom = (page: Page) => page.locator('inbox-conversation roomcast-room.conversation');
const notesRoom = (page: Page) => page.locator('inbox-conversation .notes roomcast-room');
const action = (page: Page, name: string) => pane(page).locator(`button[data-action="${name}"]`);

/** Writes in one of the page's rooms with its composer. */
async function write(room: Locator, text: string): Promise<void> {
  await room.locator('[part="status"][data-state="connected"]').waitFor(WAIT);
  const input = room.getByLabel('Message', { exact: true });
  await input.fill(text);
  await input.press('Enter');
  await room.locator('li.message[data-state="sent"]', { hasText: text }).waitFor(WAIT);
}

/** The unread badge an item shows ('' for none). */
async function unread(page: Page, room: string): Promise<string> {
  const badge = item(page, room).locator('[part="unread"]');
  return (await badge.count()) === 0 ? '' : ((await badge.textContent()) ?? '').trim();
}

async function sameUnread(pages: Page[], room: string, expected: string): Promise<void> {
  for (const page of pages) {
    await page.waitForFunction(
      ([room, expected]) => {
        const list = document.querySelector('roomcast-inbox')?.shadowRoot?.querySelector('inbox-list')?.shadowRoot;
        const badge = list?.querySelector(`.item[data-room="${room}"] [part="unread"]`);
        return list?.querySelector(`.item[data-room="${room}"]`) && (badge?.textContent?.trim() ?? '') === expected;
      },
      [room, expected] as const,
      WAIT,
    );
  }
  assert.deepEqual(
    await Promise.all(pages.map((p) => unread(p, room))),
    pages.map(() => expected),
  );
}

describe('the inbox page', () => {
  test('two staff members on two nodes: the same list and counts, replies, assign, close, reopen, snooze, private notes', {
    skip,
  }, async (t) => {
    const env = await clusterEnv(t, testRedisUrl);
    if (!env) return;
    const [n1, n2] = await Promise.all([startNode({ ...env, JWT_SECRET: secret }), startNode({ ...env, JWT_SECRET: secret })]);
    const sam = await openInbox(n1.url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
    const kim = await openInbox(n2.url, { sub: 'kim', name: 'Kim', inboxes: ['support'] });
    const staff = [sam.page, kim.page];
    for (const page of staff) await page.locator('inbox-list .empty').waitFor(WAIT);

    // Two visitors, one on each node: both staff see both conversations, with the same counts, live.
    const ann = await visitor(n1.url, 'Ann', 'Hello, my order has not arrived');
    const bob = await visitor(n2.url, 'Bob', 'Do you ship to Norway?');
    await say(ann.socket, ann.conversation.room, 'Order 1234');
    for (const page of staff) {
      await item(page, ann.conversation.room).filter({ hasText: 'Order 1234' }).waitFor(WAIT);
      await item(page, bob.conversation.room).filter({ hasText: 'Do you ship to Norway?' }).waitFor(WAIT);
      assert.match((await item(page, ann.conversation.room).textContent()) ?? '', /Ann\s*guest/, 'the guest mark');
      await item(page, ann.conversation.room).locator('[part="waiting"]').waitFor(WAIT);
    }
    await sameUnread(staff, ann.conversation.room, '2');
    await sameUnread(staff, bob.conversation.room, '1');
    const listed = (page: Page) => page.locator('inbox-list .item').evaluateAll((items) => items.map((i) => i.getAttribute('data-room')));
    assert.deepEqual(await listed(sam.page), await listed(kim.page), 'the same list, in the same order');
    assert.deepEqual(await listed(sam.page), [ann.conversation.room, bob.conversation.room], 'most recently updated first');

    // Sam and Kim open Ann's conversation; Sam answers: Kim sees it at once, and so does Ann.
    for (const page of staff) {
      await item(page, ann.conversation.room).click();
      await conversationRoom(page).locator('li.message', { hasText: 'Order 1234' }).waitFor(WAIT);
    }
    // Read by staff (shown at the end of the list in a visible page): no count left, for either.
    await sameUnread(staff, ann.conversation.room, '');
    const annHears = new Promise<Message>((resolve) =>
      ann.socket.on('message:new', (m: Message) => m.text === 'Hi Ann, Sam here. Let me look.' && resolve(m)),
    );
    await write(conversationRoom(sam.page), 'Hi Ann, Sam here. Let me look.');
    await conversationRoom(kim.page).locator('li.message', { hasText: 'Hi Ann, Sam here. Let me look.' }).waitFor(WAIT);
    const reply = await annHears;
    assert.equal(reply.author.staff, true, 'a staff reply carries the staff mark');
    // Answered: no waiting time, and the first reply assigned it to Sam.
    for (const page of staff) {
      await item(page, ann.conversation.room).filter({ hasText: 'Assigned to Sam' }).waitFor(WAIT);
      assert.equal(await item(page, ann.conversation.room).locator('[part="waiting"]').count(), 0);
    }
    await tab(sam.page, 'mine').click();
    await item(sam.page, ann.conversation.room).waitFor(WAIT);
    assert.equal(await item(sam.page, bob.conversation.room).count(), 0, "Bob's is not Sam's");
    await tab(sam.page, 'open').click();

    // Kim takes Bob's conversation from the page: Sam's list says so.
    await item(kim.page, bob.conversation.room).click();
    await action(kim.page, 'assign').click();
    await item(sam.page, bob.conversation.room).filter({ hasText: 'Assigned to Kim' }).waitFor(WAIT);
    await action(kim.page, 'unassign').waitFor(WAIT);

    // A private note in Ann's conversation: Kim sees it, Ann's socket and history never do.
    await item(kim.page, ann.conversation.room).click();
    await pane(kim.page).locator('.private').waitFor(WAIT);
    await write(notesRoom(sam.page), 'VIP customer, refund if late');
    await notesRoom(kim.page).locator('li.message', { hasText: 'VIP customer, refund if late' }).waitFor(WAIT);

    // Sam closes Ann's: it leaves both Open lists and is in Kim's Closed tab; Kim reopens it.
    await action(sam.page, 'close').click();
    for (const page of staff) await item(page, ann.conversation.room).waitFor({ state: 'detached', ...WAIT });
    await pane(kim.page).locator('.status[data-status="closed"]').waitFor(WAIT);
    await tab(kim.page, 'closed').click();
    await item(kim.page, ann.conversation.room).waitFor(WAIT);
    await action(kim.page, 'reopen').click();
    await item(kim.page, ann.conversation.room).waitFor({ state: 'detached', ...WAIT });
    await tab(kim.page, 'open').click();
    for (const page of staff) await item(page, ann.conversation.room).waitFor(WAIT);

    // Kim snoozes Bob's until he replies: it leaves Open for both, shows in Snoozed, and his next
    // message brings it back.
    await item(kim.page, bob.conversation.room).click();
    await pane(kim.page).locator('summary[data-action="snooze"]').click();
    await pane(kim.page).locator('button[data-snooze="reply"]').click();
    for (const page of staff) await item(page, bob.conversation.room).waitFor({ state: 'detached', ...WAIT });
    await tab(sam.page, 'snoozed').click();
    await item(sam.page, bob.conversation.room).waitFor(WAIT);
    await tab(sam.page, 'open').click();
    await say(bob.socket, bob.conversation.room, 'Still there?');
    for (const page of staff) await item(page, bob.conversation.room).filter({ hasText: 'Still there?' }).waitFor(WAIT);
    // And a snooze for an hour, from the menu: Snoozed until a time.
    await pane(kim.page).locator('summary[data-action="snooze"]').click();
    await pane(kim.page).locator('button[data-snooze="hour"]').click();
    await pane(kim.page).locator('.status[data-status="snoozed"]').waitFor(WAIT);
    await item(sam.page, bob.conversation.room).waitFor({ state: 'detached', ...WAIT });

    // The note never reached Ann: not live, not in her history, not by joining or reading the notes room.
    const history = await acked(ann.socket).emitWithAck('message:history', { room: ann.conversation.room, limit: 100 });
    assert.ok(history.ok);
    assert.ok(
      history.messages.some((m) => m.text === 'Hi Ann, Sam here. Let me look.'),
      'her history has the reply',
    );
    assert.ok(!JSON.stringify(history).includes('VIP customer'), 'the note is not in her history');
    assert.ok(!JSON.stringify(ann.events).includes('VIP customer'), `the note reached her socket: ${JSON.stringify(ann.events)}`);
    const notes = ann.conversation.notes;
    const joinNotes = await acked(ann.socket).emitWithAck('room:join', { room: notes });
    assert.equal(!joinNotes.ok && joinNotes.error.code, 'forbidden');
    const read = await acked(ann.socket).emitWithAck('message:history', { room: notes, limit: 100 });
    assert.equal(!read.ok && read.error.code, 'forbidden');
    const http = await fetch(`${n2.url}/api/rooms/${notes}/messages`, { headers: { authorization: `Bearer ${ann.session}` } });
    assert.equal(http.status, 403);

    // The page as the docs show it: Kim with Ann's conversation and its notes open.
    await item(kim.page, ann.conversation.room).click();
    await notesRoom(kim.page).locator('li.message', { hasText: 'VIP customer' }).waitFor(WAIT);
    await conversationRoom(kim.page).locator('li.message', { hasText: 'Hi Ann, Sam here' }).waitFor(WAIT);
    await noSeriousAxeViolation(kim.page, 'the inbox on a desktop');
    await kim.page.screenshot({ path: join(projectRoot, 'docs', 'inbox-desktop.png') });
    for (const opened of [sam, kim]) assert.deepEqual([...opened.errors, ...opened.dialogs], []);
  });

  test('on a phone: the list, then the conversation with a back button, its notes behind a switch', { skip }, async () => {
    const app = await startApp({ JWT_SECRET: secret });
    const cleo = await visitor(app.url, 'Cleo', 'Can I change the size of my order?');
    const dee = await visitor(app.url, 'Dee', 'Where is my parcel?');
    const { page, errors, dialogs } = await openInbox(app.url, { sub: 'sam', name: 'Sam', inboxes: ['support'] }, PHONE);
    await item(page, dee.conversation.room).waitFor(WAIT);
    await item(page, cleo.conversation.room).waitFor(WAIT);
    assert.equal(await pane(page).isVisible(), false, 'the list alone on a phone');
    await page.screenshot({ path: join(projectRoot, 'docs', 'inbox-phone-list.png') });

    await item(page, cleo.conversation.room).tap();
    await conversationRoom(page).locator('li.message', { hasText: 'change the size' }).waitFor(WAIT);
    assert.equal(await page.locator('inbox-list').isVisible(), false, 'the conversation alone');
    assert.equal(await notesRoom(page).isVisible(), false, 'the notes behind the switch');
    await write(conversationRoom(page), 'Yes: which size would you like?');
    await noSeriousAxeViolation(page, 'the inbox on a phone');
    await page.screenshot({ path: join(projectRoot, 'docs', 'inbox-phone.png') });
    await pane(page).getByRole('button', { name: 'Private notes' }).tap();
    await notesRoom(page).waitFor({ state: 'visible', ...WAIT });
    assert.equal(await conversationRoom(page).isVisible(), false);
    await pane(page).locator('[part="back"]').tap();
    await page.locator('inbox-list').waitFor({ state: 'visible', ...WAIT });
    assert.equal(await pane(page).isVisible(), false);
    assert.deepEqual([...errors, ...dialogs], []);
  });

  test('sign-in: a refused token says so, a token of no inbox says so, DEMO=1 signs in with /inbox?demo', { skip }, async () => {
    const app = await startApp({ JWT_SECRET: secret });
    const refused = await openPage(`${app.url}/inbox?token=not-a-jwt`, await browser().newContext(DESKTOP));
    await refused.page.locator('admin-sign-in .error', { hasText: 'This token was refused' }).waitFor(WAIT);
    assert.equal(await refused.page.evaluate(() => sessionStorage.getItem('roomcast-inbox-token')), null, 'a refused token is not kept');
    const outsider = await openInbox(app.url, { sub: 'ola', name: 'Ola' });
    await outsider.page.locator('roomcast-inbox .problem').waitFor(WAIT);
    // Without DEMO the demo route is not there, and /inbox?demo says so.
    assert.equal((await fetch(`${app.url}/api/demo/staff-token`)).status, 404);
    const noDemo = await openPage(`${app.url}/inbox?demo`, await browser().newContext(DESKTOP));
    await noDemo.page.locator('admin-sign-in .error', { hasText: 'No demo token' }).waitFor(WAIT);

    // DEMO=1 without JWT_SECRET: the server signs its demo tokens with a secret of its own.
    const demo = await startApp({ DEMO: '1' });
    const res = await fetch(`${demo.url}/api/demo/staff-token`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as { token: string; expiresAt: number };
    assert.ok(body.expiresAt > Date.now() && body.expiresAt <= Date.now() + 3600_000 + 1000);
    const staff = await connectChat(demo.url, { token: body.token });
    assert.deepEqual(staff.inboxes, ['support']);
    assert.equal(staff.user.kind, 'user');
    const guest = await visitor(demo.url, 'Eve', 'Hello demo');
    const page = await openPage(`${demo.url}/inbox?demo`, await browser().newContext(DESKTOP));
    await item(page.page, guest.conversation.room).filter({ hasText: 'Hello demo' }).waitFor(WAIT);
    assert.deepEqual([...page.errors, ...page.dialogs], []);

    // With DEMO=1, /demo shows the link that opens the inbox as the demo staff member.
    const shop = await openPage(`${demo.url}/demo`, await browser().newContext(DESKTOP));
    const link = shop.page.locator('#staff-demo a');
    await link.waitFor({ state: 'visible', ...WAIT });
    await link.click();
    await shop.page.waitForURL(/\/inbox\?demo$/, WAIT);
    await item(shop.page, guest.conversation.room).filter({ hasText: 'Hello demo' }).waitFor(WAIT);
  });

  test('notifications: a visitor message notifies in one of two tabs of a staff member', { skip }, async () => {
    const app = await startApp({ JWT_SECRET: secret });
    const { page, context } = await openInbox(app.url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
    // A token is kept per tab (sessionStorage): the second tab is handed it too.
    const second = await context.newPage();
    await second.goto(`${app.url}/inbox?token=${await token({ sub: 'sam', name: 'Sam', inboxes: ['support'] })}`);
    await second.locator('roomcast-inbox [part="status"][data-state="connected"]').waitFor(WAIT);
    for (const p of [page, second]) {
      await p.evaluate(() => {
        const seen: unknown[] = [];
        (window as unknown as { notified: unknown[] }).notified = seen;
        document.addEventListener('inbox-notify', (e) => seen.push((e as CustomEvent<{ kind: string }>).detail.kind));
      });
      await p.locator('inbox-list .empty').waitFor(WAIT);
    }
    assert.equal(await page.locator('roomcast-inbox button.sound').getAttribute('aria-pressed'), 'false', 'sound is off by default');
    const fay = await visitor(app.url, 'Fay', 'Is anyone there?');
    const notified = async () =>
      (await Promise.all([page, second].map((p) => p.evaluate(() => (window as unknown as { notified: string[] }).notified)))).flat();
    for (const p of [page, second]) await item(p, fay.conversation.room).waitFor(WAIT);
    await eventually(async () => (await notified()).length > 0, 'a notification', 10_000);
    await say(fay.socket, fay.conversation.room, 'Hello?');
    for (const p of [page, second]) await item(p, fay.conversation.room).filter({ hasText: 'Hello?' }).waitFor(WAIT);
    await eventually(async () => (await notified()).length > 1, 'a second notification', 10_000);
    // Not a wait for something to happen but for a duplicate not to: past the tabs' claim window
    // (250 ms without Web Locks), still one notification per message.
    await page.waitForTimeout(600);
    assert.deepEqual(await notified(), ['new', 'reply']);
    // The toggle is kept for the browser's other tabs.
    await page.locator('roomcast-inbox button.sound').click();
    assert.equal(await page.evaluate(() => localStorage.getItem('roomcast:inbox-sound')), 'on');
  });
});
