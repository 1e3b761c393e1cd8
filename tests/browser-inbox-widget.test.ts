import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { Conversation, InboxUpdateEvent, Message } from '../src/protocol.js';
import { hostPage, noSeriousAxeViolation, skipBrowser as skip, useBrowser, useHostSite, watchPage, widget } from './browser-helpers.js';
import { acked, startApp, waitFor } from './helpers.js';
import { connectAs, moderationEnv } from './moderation-helpers.js';

const browser = useBrowser();
const host = useHostSite();

const inWidget = (page: Page, selector: string) => page.locator(`roomcast-chat ${selector}`);
const message = (page: Page, text: string) =>
  inWidget(page, 'li.message').filter({ has: page.locator('[part="text"]', { hasText: text }) });
const connected = (page: Page) => inWidget(page, '[part="status"][data-state="connected"]').waitFor({ state: 'attached', timeout: 10_000 });

describe('the support widget: <roomcast-chat inbox="support"> (Chromium)', () => {
  test('a visitor writes to the inbox: created by the first send, kept across a reload, answered by staff with the staff mark, typing and "Seen"', {
    skip,
  }, async () => {
    const app = await startApp({ ...moderationEnv, ALLOWED_ORIGINS: host.origin });
    const url = host.page(
      '/shop',
      hostPage(app.url, widget('inbox="support" reply-time="10" heading="Fjord & Pine support" label="Chat with support"')),
    );
    const visit = async (options: BrowserContextOptions, storageState?: Awaited<ReturnType<BrowserContext['storageState']>>) => {
      const context = await browser().newContext({ ...options, ...(storageState && { storageState }) });
      const page = await context.newPage();
      const watched = watchPage(page);
      await page.goto(url);
      return { page, ...watched };
    };
    const desktop = { viewport: { width: 1280, height: 800 } };
    const visitor = await visit(desktop);
    const { page } = visitor;

    // Nothing connects for a first-time visitor until they open the panel.
    await inWidget(page, '[part="launcher"]').waitFor();
    assert.equal(await inWidget(page, '[part="status"][data-state="connected"]').count(), 0);
    await inWidget(page, '[part="launcher"]').click();
    await connected(page);

    // No staff member is connected: the empty state, the reply time and the e-mail field.
    await inWidget(page, '.empty').filter({ hasText: 'No messages yet' }).waitFor({ timeout: 5_000 });
    assert.equal((await inWidget(page, '[part="intro"] p').first().textContent())?.trim(), 'We usually answer within 10 minutes.');
    await inWidget(page, '[part="email-input"]').waitFor({ timeout: 5_000 });
    assert.equal(
      await inWidget(page, '[part="title"]')
        .textContent()
        .then((t) => t?.trim()),
      'Fjord & Pine support',
    );

    // Opening made no conversation: the staff's list is empty.
    const staff = await connectAs(app.url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
    assert.deepEqual(staff.inboxes, ['support']);
    const before = await acked(staff.socket).emitWithAck('inbox:list', { inbox: 'support' });
    assert.ok(before.ok, JSON.stringify(before));
    assert.deepEqual(before.conversations, []);

    // A file pasted before the conversation exists is not taken (the paperclip is off too): it has no room to go to.
    assert.equal(await inWidget(page, '[part="attach-button"] input').isDisabled(), true);
    await inWidget(page, 'textarea').evaluate((textarea) => {
      const data = new DataTransfer();
      data.items.add(new File(['hello'], 'early.txt', { type: 'text/plain' }));
      textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });

    // The visitor leaves an address, then writes: the first send opens the conversation, with the address.
    await inWidget(page, '[part="email-input"]').fill('kari@example.com');
    await inWidget(page, '[part="email-button"]').click();
    await inWidget(page, '[part="email-saved"]').filter({ hasText: 'kari@example.com' }).waitFor({ timeout: 5_000 });
    assert.equal(await inWidget(page, '[part="attachment-tray"]').count(), 0, 'the early paste left nothing in the tray');
    const created = waitFor<InboxUpdateEvent>(staff.socket, 'inbox:update', 10_000);
    const input = inWidget(page, 'textarea');
    assert.equal(await input.getAttribute('placeholder'), 'Write a message…');
    await input.fill('Hello, my Nordkapp tent leaks at the door');
    await input.press('Enter');
    await message(page, 'my Nordkapp tent leaks').and(inWidget(page, 'li[data-state="sent"]')).waitFor({ timeout: 10_000 });
    const { conversation } = await created;
    assert.match(conversation.room, /^conv-[A-Za-z0-9_-]{22}$/);
    const listed = await acked(staff.socket).emitWithAck('inbox:list', { inbox: 'support' });
    assert.ok(listed.ok, JSON.stringify(listed));
    assert.equal(listed.conversations.length, 1);
    const [only] = listed.conversations as [Conversation];
    assert.equal(only.room, conversation.room);
    assert.equal(only.email, 'kari@example.com');
    assert.equal(only.visitor.kind, 'guest');
    assert.equal(only.lastMessage?.text, 'Hello, my Nordkapp tent leaks at the door');
    assert.equal(await message(page, 'my Nordkapp tent leaks').locator('[part="staff-badge"]').count(), 0, 'a visitor has no staff mark');

    // A reload keeps the thread: the same conversation, joined at once (a returning visitor connects on load).
    await page.reload();
    await connected(page);
    await inWidget(page, '[part="launcher"]').click();
    await message(page, 'my Nordkapp tent leaks').waitFor({ timeout: 10_000 });
    assert.equal(await inWidget(page, 'li.message').count(), 1);

    // Sam joins, types, reads and answers: the visitor sees each, the answer with the staff mark.
    const joined = await acked(staff.socket).emitWithAck('room:join', { room: conversation.room });
    assert.ok(joined.ok, JSON.stringify(joined));
    staff.socket.emit('typing:update', { room: conversation.room, typing: true });
    await inWidget(page, '[part="typing"]').filter({ hasText: 'Sam is typing…' }).waitFor({ timeout: 5_000 });
    const read = await acked(staff.socket).emitWithAck('room:read', { room: conversation.room, seq: joined.lastSeq });
    assert.ok(read.ok, JSON.stringify(read));
    await message(page, 'my Nordkapp tent leaks')
      .locator('[part="seen-by"]')
      .filter({ hasText: 'Seen by Sam' })
      .waitFor({ timeout: 5_000 });
    const reply = await acked(staff.socket).emitWithAck('message:send', {
      room: conversation.room,
      text: 'Sorry to hear that! Is it the zip or the seam?',
      clientId: '0190a0a0-0000-7000-8000-000000000001',
    });
    assert.ok(reply.ok, JSON.stringify(reply));
    assert.equal((reply.message as Message).author.staff, true);
    const answer = message(page, 'Is it the zip or the seam?');
    await answer.waitFor({ timeout: 5_000 });
    assert.equal((await answer.locator('[part="author"]').textContent())?.trim(), 'Sam');
    assert.equal((await answer.locator('[part="staff-badge"]').textContent())?.trim(), 'staff');
    assert.equal(
      await inWidget(page, '[part="typing"]')
        .textContent()
        .then((t) => t?.trim()),
      '',
      'the answer ends the typing line',
    );

    // The panel closed, another answer counts on the launcher's badge.
    await page.keyboard.press('Escape');
    const more = await acked(staff.socket).emitWithAck('message:send', {
      room: conversation.room,
      text: 'A photo would help.',
      clientId: '0190a0a0-0000-7000-8000-000000000002',
    });
    assert.ok(more.ok, JSON.stringify(more));
    await inWidget(page, '[part="badge"]').filter({ hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    await inWidget(page, '[part="launcher"]').click();
    await inWidget(page, '[part="badge"]').waitFor({ state: 'detached', timeout: 5_000 });

    // Staff is online now: a second visitor's panel shows no e-mail field, and still no conversation of theirs exists.
    const second = await visit(desktop);
    await inWidget(second.page, '[part="launcher"]').click();
    await connected(second.page);
    await inWidget(second.page, '.empty').waitFor({ timeout: 5_000 });
    assert.equal(await inWidget(second.page, '[part="email-input"]').count(), 0);
    const after = await acked(staff.socket).emitWithAck('inbox:list', { inbox: 'support' });
    assert.ok(after.ok);
    assert.equal(after.conversations.length, 1);

    await noSeriousAxeViolation(page, 'the support widget');
    await page.screenshot({ path: 'docs/widget-support-desktop.png', animations: 'disabled' });

    // The same visitor on a phone (the stored session goes along): full screen, the thread and the mark.
    const phone = await visit(
      { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
      await page.context().storageState(),
    );
    await connected(phone.page);
    await inWidget(phone.page, '[part="launcher"]').click();
    await message(phone.page, 'Is it the zip or the seam?').locator('[part="staff-badge"]').waitFor({ timeout: 10_000 });
    await phone.page.screenshot({ path: 'docs/widget-support-phone.png', animations: 'disabled' });

    for (const v of [visitor, second, phone]) {
      assert.deepEqual(v.errors, []);
      assert.deepEqual(v.dialogs, []);
    }
    await app.close();
  });

  test('a first message typed offline waits in the outbox, and opens the conversation once back online', { skip }, async () => {
    const app = await startApp({ ...moderationEnv, ALLOWED_ORIGINS: host.origin });
    const url = host.page('/offline', hostPage(app.url, widget('inbox="support"')));
    const staff = await connectAs(app.url, { sub: 'sam', name: 'Sam', inboxes: ['support'] });
    const list = async () => {
      const res = await acked(staff.socket).emitWithAck('inbox:list', { inbox: 'support' });
      assert.ok(res.ok, JSON.stringify(res));
      return res.conversations;
    };
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const { errors } = watchPage(page);
    await page.goto(url);
    await inWidget(page, '[part="launcher"]').click();
    await connected(page);
    // Staff is online: no e-mail field, and no reply-time line without the attribute.
    await inWidget(page, '.empty').waitFor({ timeout: 5_000 });
    assert.equal(await inWidget(page, '[part="email-input"]').count(), 0);
    assert.equal(await inWidget(page, '[part="intro"] p').count(), 0);

    await context.setOffline(true);
    await inWidget(page, '[part="status"][data-state="offline"]').waitFor({ state: 'attached', timeout: 5_000 });
    const input = inWidget(page, 'textarea');
    await input.fill('Are you open on Sundays?');
    await input.press('Enter');
    const waiting = message(page, 'open on Sundays');
    await waiting.and(inWidget(page, 'li[data-state="sending"]')).waitFor({ timeout: 5_000 });
    assert.equal((await waiting.locator('[part="delivery"]').textContent())?.trim(), 'Will send when connected');
    assert.deepEqual(await list(), [], 'no conversation while the message waits');

    const created = waitFor<InboxUpdateEvent>(staff.socket, 'inbox:update', 15_000);
    await context.setOffline(false);
    await waiting.and(inWidget(page, 'li[data-state="sent"]')).waitFor({ timeout: 15_000 });
    const { conversation } = await created;
    const [only, ...rest] = await list();
    assert.deepEqual(rest, []);
    assert.equal(only?.room, conversation.room);
    assert.equal(only?.lastMessage?.text, 'Are you open on Sundays?');
    assert.equal(await inWidget(page, 'li.message').count(), 1, 'sent once');
    assert.deepEqual(errors, []);
    await context.close();
    await app.close();
  });
});
