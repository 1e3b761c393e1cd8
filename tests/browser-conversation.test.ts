import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';
import type { RoomcastRoom } from '../web-components/roomcast-room.js';
import {
  delivered,
  hostPage,
  noSeriousAxeViolation,
  openPage,
  openRoom,
  sendFrom,
  skipBrowser as skip,
  useBrowser,
  useHostSite,
  widget,
} from './browser-helpers.js';
import { acked, connectChat, startApp } from './helpers.js';
import { api, apiKey, moderationEnv, token } from './moderation-helpers.js';

const browser = useBrowser();
const host = useHostSite();

const viewports: Record<string, BrowserContextOptions> = {
  // bypassCSP: axe-core is injected as an inline script.
  desktop: { viewport: { width: 1280, height: 800 }, bypassCSP: true },
  phone: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, bypassCSP: true },
};

const item = (page: Page, seq: number) => page.locator(`roomcast-room li.message[data-seq="${seq}"]`);
const text = (page: Page, seq: number) => item(page, seq).locator('[part="text"]');
const chip = (page: Page, seq: number, emoji: string) => item(page, seq).locator(`[part="reaction"][data-emoji="${emoji}"]`);

/** Opens a message's menu as the device would: a tap on a phone, hover then click on a desktop. */
async function openMenu(page: Page, seq: number, touch: boolean): Promise<string[]> {
  const more = item(page, seq).getByRole('button', { name: 'More actions' });
  if (touch) {
    // Phones have no hover: the button shows without it.
    assert.equal(await more.evaluate((el) => getComputedStyle(el).opacity), '1');
    await more.tap();
  } else {
    await item(page, seq).hover();
    await more.click();
  }
  const menu = item(page, seq).getByRole('menu');
  await menu.waitFor({ timeout: 5_000 });
  return menu.getByRole('menuitem').allTextContents();
}

async function choose(page: Page, seq: number, touch: boolean, action: string): Promise<void> {
  await openMenu(page, seq, touch);
  const entry = item(page, seq).getByRole('menuitem', { name: action, exact: true });
  await (touch ? entry.tap() : entry.click());
}

async function chipText(page: Page, seq: number, emoji: string): Promise<string | null> {
  const c = chip(page, seq, emoji);
  return (await c.count()) === 0 ? null : ((await c.textContent()) ?? '').trim();
}

describe('the conversation: menu, replies, reactions, edits, deletes (Chromium)', () => {
  for (const [device, options] of Object.entries(viewports)) {
    const touch = device === 'phone';
    test(`${device}: two users reply, react, edit and delete, live and after a reload`, { skip }, async () => {
      const app = await startApp(moderationEnv);
      const room = `conv-${device}`;
      const ann = await openRoom(app.url, room, 'Ann', await browser().newContext(options));
      const bob = await openRoom(app.url, room, 'Bob', await browser().newContext(options));
      const a = ann.page;
      const b = bob.page;

      await sendFrom(a, room, 'Lunch at noon?');
      await delivered(b, 1);
      if (!touch) {
        const more = item(b, 1).getByRole('button', { name: 'More actions' });
        assert.equal(await more.evaluate((el) => getComputedStyle(el).opacity), '0', 'hidden until hover or focus');
      }
      // Someone else's message: no Edit, no Delete.
      assert.deepEqual(await openMenu(b, 1, touch), ['Reply', 'React', 'Copy link']);
      await (touch ? b.getByRole('menuitem', { name: 'Reply' }).tap() : b.getByRole('menuitem', { name: 'Reply' }).click());
      const bar = b.locator('roomcast-room [part="reply-bar"]');
      assert.match((await bar.textContent()) ?? '', /Replying to\s*Ann:\s*Lunch at noon\?/);
      await sendFrom(b, room, 'Yes, see you there');
      await delivered(a, 2);
      assert.equal(await bar.count(), 0, 'the bar goes once the reply is sent');
      for (const page of [a, b]) {
        const quote = item(page, 2).locator('[part="quote"]');
        await quote.filter({ hasText: 'Lunch at noon?' }).waitFor({ timeout: 5_000 });
        assert.match((await quote.textContent()) ?? '', /Ann:\s*Lunch at noon\?/);
      }
      await item(a, 2).locator('[part="quote"]').click();
      await item(a, 1).and(a.locator('[data-highlighted]')).waitFor({ timeout: 5_000 });

      // Ann read the reply: "Seen by Ann" goes under it on Bob's page, moving what is above it; a
      // tap while it moves lands beside the button, so the line comes first.
      await item(b, 2).locator('[part="seen-by"]').waitFor({ timeout: 5_000 });

      // React: Bob picks 👍; Ann toggles the chip on; both see the count live.
      await choose(b, 1, touch, 'React');
      const thumbs = item(b, 1).getByRole('menuitemcheckbox', { name: '👍' });
      await (touch ? thumbs.tap() : thumbs.click());
      for (const page of [a, b]) await chip(page, 1, '👍').filter({ hasText: '1' }).waitFor({ timeout: 5_000 });
      assert.equal(await chip(b, 1, '👍').getAttribute('aria-pressed'), 'true');
      assert.equal(await chip(a, 1, '👍').getAttribute('aria-pressed'), 'false');
      await (touch ? chip(a, 1, '👍').tap() : chip(a, 1, '👍').click());
      for (const page of [a, b]) await chip(page, 1, '👍').filter({ hasText: '👍 2' }).waitFor({ timeout: 5_000 });
      assert.equal(await chip(a, 1, '👍').getAttribute('aria-pressed'), 'true');
      assert.match((await chip(b, 1, '👍').getAttribute('title')) ?? '', /Bob.*Ann|Ann.*Bob/);
      await (touch ? chip(b, 1, '👍').tap() : chip(b, 1, '👍').click());
      for (const page of [a, b]) await chip(page, 1, '👍').filter({ hasText: '👍 1' }).waitFor({ timeout: 5_000 });
      assert.equal(await chip(b, 1, '👍').getAttribute('aria-pressed'), 'false');
      await choose(b, 2, touch, 'React');
      const party = item(b, 2).getByRole('menuitemcheckbox', { name: '🎉' });
      await (touch ? party.tap() : party.click());
      await chip(a, 2, '🎉').waitFor({ timeout: 5_000 });

      // Edit: Ann's own message, inline; Bob sees the new text and "(edited)" live and after a reload.
      assert.deepEqual(await openMenu(a, 1, touch), ['Reply', 'React', 'Edit', 'Delete', 'Copy link']);
      await a.keyboard.press('Escape');
      await choose(a, 1, touch, 'Edit');
      const editor = item(a, 1).getByRole('textbox', { name: 'Edit message' });
      assert.equal(await editor.inputValue(), 'Lunch at noon?');
      await editor.press('Escape');
      assert.equal(await editor.count(), 0, 'Esc cancels');
      assert.equal(await text(a, 1).textContent(), 'Lunch at noon?');
      await choose(a, 1, touch, 'Edit');
      await editor.press('End');
      await editor.press('Shift+Enter');
      assert.equal(await editor.inputValue(), 'Lunch at noon?\n', 'Shift+Enter makes a new line');
      await editor.fill('Lunch at 1 pm?');
      await editor.press('Enter');
      for (const page of [a, b]) await text(page, 1).filter({ hasText: 'Lunch at 1 pm? (edited)' }).waitFor({ timeout: 5_000 });
      assert.ok(await text(b, 1).locator('[part="edited"]').getAttribute('title'), 'the edit time in the title');
      await item(b, 2).locator('[part="quote"]').filter({ hasText: 'Lunch at 1 pm?' }).waitFor({ timeout: 5_000 });

      // Screenshots: a menu open, a reply, reactions.
      await openMenu(b, 2, touch);
      await noSeriousAxeViolation(b, `${device} with a menu open`);
      await b.screenshot({ path: join(projectRoot, 'docs', touch ? 'conversation-phone.png' : 'conversation.png') });
      await b.keyboard.press('Escape');

      await b.reload();
      await delivered(b, 2, 10_000);
      await text(b, 1).filter({ hasText: 'Lunch at 1 pm? (edited)' }).waitFor({ timeout: 5_000 });
      assert.equal(await chipText(b, 1, '👍'), '👍 1');
      assert.equal(await chipText(b, 2, '🎉'), '🎉 1');

      // Delete: Ann's own, after an inline confirmation; the reply's quote says so.
      await choose(a, 1, touch, 'Delete');
      const confirm = item(a, 1).getByRole('group', { name: 'Delete message' });
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      assert.equal(await confirm.count(), 0);
      assert.equal(await item(a, 1).getAttribute('data-deleted'), null, 'cancel deletes nothing');
      await choose(a, 1, touch, 'Delete');
      await confirm.getByRole('button', { name: 'Delete' }).click();
      for (const page of [a, b]) {
        await item(page, 1).and(page.locator('[data-deleted]')).waitFor({ timeout: 5_000 });
        await item(page, 2).locator('[part="quote"]').filter({ hasText: 'Message deleted' }).waitFor({ timeout: 5_000 });
      }
      assert.equal(await item(b, 1).getByRole('button', { name: 'More actions' }).count(), 0, 'no menu on a deleted message');
      assert.deepEqual([...ann.errors, ...bob.errors], []);
    });
  }

  test('the menu works by keyboard alone: Tab, Enter, arrows, Enter; Esc closes it and returns focus; no Edit past the window; a refusal shows why', {
    skip,
  }, async () => {
    // No edit window: the author's own message offers no Edit, as the join ack says.
    const app = await startApp({ ...moderationEnv, EDIT_WINDOW_SECONDS: '0' });
    const { page, errors } = await openRoom(app.url, 'keys', 'Kim', browser());
    await sendFrom(page, 'keys', 'Keyboard only');
    await delivered(page, 1);
    await page.locator('roomcast-room [part="messages"]').focus();
    await page.keyboard.press('Tab');
    const more = item(page, 1).getByRole('button', { name: 'More actions' });
    assert.equal(await more.evaluate((el) => el.matches(':focus')), true, 'Tab reaches the message button');
    assert.equal(await more.evaluate((el) => getComputedStyle(el).opacity), '1', 'shown on keyboard focus');
    await page.keyboard.press('Enter');
    const focused = async () => {
      // The focus moves after the element's next render.
      await page.locator('roomcast-room').evaluate((room) => (room as RoomcastRoom).updateComplete);
      return page.locator('roomcast-room').evaluate((room) => room.shadowRoot?.activeElement?.textContent?.trim());
    };
    assert.equal(await focused(), 'Reply');
    assert.equal(await more.getAttribute('aria-expanded'), 'true');
    assert.deepEqual(await item(page, 1).getByRole('menuitem').allTextContents(), ['Reply', 'React', 'Delete', 'Copy link']);
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'React');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focused(), 'Copy link', 'the arrows wrap around');
    await page.keyboard.press('Escape');
    assert.equal(await item(page, 1).getByRole('menu').count(), 0);
    assert.equal(await more.evaluate((el) => el.matches(':focus')), true, 'Esc returns the focus to the button');

    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.equal(await focused(), '👍', 'React opens the picker, focused');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await chip(page, 1, '❤️').filter({ hasText: '1' }).waitFor({ timeout: 5_000 });

    // A click outside closes the menu.
    await more.click();
    await item(page, 1).getByRole('menu').waitFor({ timeout: 5_000 });
    await page.mouse.click(5, 5);
    await item(page, 1).getByRole('menu').waitFor({ state: 'detached', timeout: 5_000 });

    // Refused (a read-only room takes no reactions but a moderator's): the notice says why.
    assert.equal((await api(app.url, 'PUT', '/api/rooms/keys/settings', apiKey, { readOnly: true })).status, 200);
    await page.locator('roomcast-room [part="room-rules"]').waitFor({ timeout: 5_000 });
    await chip(page, 1, '❤️').click();
    await page.locator('roomcast-room [part="error"]').filter({ hasText: /\w/ }).waitFor({ timeout: 5_000 });
    assert.equal(await chipText(page, 1, '❤️'), '❤️ 1', 'nothing changed');
    assert.deepEqual(errors, []);
  });

  test('Copy link puts the message URL on the clipboard; opening it loads back to the message, scrolls to it and highlights it; a quote of a message not loaded says its number', {
    skip,
  }, async () => {
    // A join brings the newest 20: seqs 1..11 are not loaded at first.
    const app = await startApp({ ...moderationEnv, HISTORY_LIMIT: '20' });
    for (let i = 1; i <= 30; i++) {
      const res = await api(app.url, 'POST', '/api/rooms/links/messages', apiKey, {
        text: `note ${i}`,
        author: { id: 'bot', name: 'Bot' },
      });
      assert.equal(res.status, 201);
    }
    const other = await connectChat(app.url, { name: 'Ray' });
    assert.ok((await acked(other.socket).emitWithAck('room:join', { room: 'links' })).ok);
    const reply = await acked(other.socket).emitWithAck('message:send', {
      room: 'links',
      text: 'about note 2',
      clientId: 'r-1',
      replyTo: 2,
    });
    assert.ok(reply.ok && reply.message.seq === 31);
    other.socket.disconnect();

    const context = await browser().newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    const { page, errors } = await openRoom(app.url, 'links', 'Lea', context);
    await delivered(page, 31);
    const quote = item(page, 31).locator('[part="quote"]');
    assert.equal((await quote.textContent())?.trim(), 'In reply toMessage #2');
    assert.equal(await quote.isDisabled(), true);
    await choose(page, 30, false, 'Copy link');
    const url = `${app.url}/rooms/links#m-30`;
    await page.waitForFunction((want) => navigator.clipboard.readText().then((got) => got === want), url, { timeout: 5_000 });

    // Seq 3 is not loaded on entry: the link loads older messages back to it and scrolls there.
    const opened = await context.newPage();
    await opened.goto(`${app.url}/rooms/links#m-3`);
    const target = item(opened, 3).and(opened.locator('[data-highlighted]'));
    await target.waitFor({ timeout: 10_000 });
    const inView = await target.evaluate((li) => {
      const list = (li.getRootNode() as ShadowRoot).querySelector('[part="messages"]')?.getBoundingClientRect();
      const box = li.getBoundingClientRect();
      return list !== undefined && box.top >= list.top && box.bottom <= list.bottom;
    });
    assert.equal(inView, true, 'the linked message is in view');
    // Now loaded, the quoted message shows as itself.
    await item(opened, 31).locator('[part="quote"]').filter({ hasText: 'Bot: note 2' }).waitFor({ timeout: 5_000 });
    assert.deepEqual(errors, []);
  });

  test('in the widget: the menu opens, Esc closes it and not the panel, Copy link names the chat server, not the host page', {
    skip,
  }, async () => {
    const app = await startApp({ ...moderationEnv, ALLOWED_ORIGINS: host.origin });
    const context = await browser().newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.origin });
    const { page, errors } = await openPage(host.page('/conversation', hostPage(app.url, widget('room="wid" name="Wes"'))), context);
    await page.locator('roomcast-chat [part="launcher"]').click();
    await page.locator('roomcast-room [part="status"].connected').waitFor({ timeout: 10_000 });
    await sendFrom(page, 'wid', 'From the widget');
    await delivered(page, 1);
    assert.deepEqual(await openMenu(page, 1, false), ['Reply', 'React', 'Edit', 'Delete', 'Copy link']);
    await page.keyboard.press('Escape');
    assert.equal(await item(page, 1).getByRole('menu').count(), 0);
    assert.equal(await page.locator('roomcast-chat [part="panel"]').isVisible(), true, 'Esc closed the menu, not the panel');
    await choose(page, 1, false, 'Copy link');
    const url = `${app.url}/rooms/wid#m-1`;
    await page.waitForFunction((want) => navigator.clipboard.readText().then((got) => got === want), url, { timeout: 5_000 });
    // Said where it shows, and to a screen reader: a polite status.
    const toast = page.getByRole('status').filter({ hasText: 'Link copied' });
    await toast.waitFor({ timeout: 5_000 });
    assert.equal(await toast.isVisible(), true);
    await page.screenshot({ path: 'docs/link-copied.png' });
    await toast.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await page.locator('roomcast-room [part="toast"]').textContent(), '', 'gone after a moment');
    assert.deepEqual(errors, []);

    // A host page whose Permissions-Policy refuses the clipboard (here in German): the link shows
    // under the message, focused and selected, to copy by hand; Esc closes it.
    const refused = await openPage(
      host.page('/conversation-de', hostPage(app.url, widget('room="wid" name="Wes" lang="de"')), {
        'permissions-policy': 'clipboard-write=()',
      }),
      context,
    );
    const de = refused.page;
    await de.locator('roomcast-chat [part="launcher"]').click();
    await delivered(de, 1);
    await item(de, 1).hover();
    await item(de, 1).getByRole('button', { name: 'Weitere Aktionen' }).click();
    await item(de, 1).getByRole('menuitem', { name: 'Link kopieren' }).click();
    const box = item(de, 1).getByRole('group', { name: 'Link zu dieser Nachricht' });
    await box.waitFor({ timeout: 5_000 });
    assert.match((await box.textContent()) ?? '', /Kopieren nicht möglich/);
    const field = box.getByRole('textbox', { name: 'Link zu dieser Nachricht' });
    assert.equal(await field.inputValue(), url);
    const selection = await field.evaluate((el) => {
      const input = el as HTMLInputElement;
      return {
        focused: (input.getRootNode() as ShadowRoot).activeElement === input,
        selected: (input.selectionEnd ?? 0) - (input.selectionStart ?? 0),
      };
    });
    assert.deepEqual(selection, { focused: true, selected: url.length });
    assert.equal(await de.locator('roomcast-room [part="toast"]').textContent(), '', 'nothing claims it was copied');
    await de.screenshot({ path: 'docs/copy-link-refused.png' });
    await de.keyboard.press('Escape');
    await box.waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await de.locator('roomcast-chat [part="panel"]').isVisible(), true, 'Esc closed the link, not the panel');
    assert.deepEqual(refused.errors, []);
  });

  test('a moderator may delete the message of anyone, and not edit it', { skip }, async () => {
    const app = await startApp(moderationEnv);
    const ann = await openRoom(app.url, 'modded', 'Ann', browser());
    await sendFrom(ann.page, 'modded', 'Buy cheap pills');
    await delivered(ann.page, 1);
    const mod = await openRoom(app.url, 'modded', 'Mo', browser());
    const jwt = await token({ sub: 'mo', name: 'Mo', moderates: ['modded'] });
    await mod.page.locator('roomcast-room').evaluate((room, t) => {
      (room as RoomcastRoom).token = t;
    }, jwt);
    await mod.page.waitForFunction(
      () => (document.querySelector('roomcast-room') as RoomcastRoom | null)?.connection?.moderator === true,
      undefined,
      { timeout: 10_000 },
    );
    await delivered(mod.page, 1);
    assert.deepEqual(await openMenu(mod.page, 1, false), ['Reply', 'React', 'Delete', 'Copy link']);
    await mod.page.getByRole('menuitem', { name: 'Delete' }).click();
    await item(mod.page, 1).getByRole('group', { name: 'Delete message' }).getByRole('button', { name: 'Delete' }).click();
    await item(ann.page, 1).and(ann.page.locator('[data-deleted]')).waitFor({ timeout: 5_000 });
    assert.deepEqual([...ann.errors, ...mod.errors], []);
  });
});
