import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';
import {
  hostPage,
  noSeriousAxeViolation,
  openPage,
  openRoom,
  showsStatus,
  skipBrowser as skip,
  useBrowser,
  useHostSite,
  widget,
} from './browser-helpers.js';
import { acked, type ChatClient, connectChat, type Running, startApp } from './helpers.js';

const browser = useBrowser();
const host = useHostSite();
const JWT_SECRET = 'browser-small-secret-0123456789abcdef';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;
const DESKTOP = { viewport: { width: 1280, height: 800 } } as const;

/** Writes `texts` into `room` from Node, in order. */
async function seed(app: Running, room: string, texts: readonly string[], name = 'Seeder'): Promise<ChatClient> {
  const { socket } = await connectChat(app.url, { name });
  assert.ok((await acked(socket).emitWithAck('room:join', { room })).ok);
  for (const text of texts) {
    const res = await acked(socket).emitWithAck('message:send', { room, text, clientId: randomUUID() });
    assert.ok(res.ok, JSON.stringify(res));
  }
  return socket;
}

/** The element that has the keyboard focus, through shadow roots: its `part`, else its tag name. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    let active: Element | null = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return active ? (active.getAttribute('part') ?? active.tagName.toLowerCase()) : '';
  });
}

/** `panel:<part or tag>` for the focused element when it is inside the widget's panel, else `page:<tag>`. */
function focusedInPanel(page: Page): Promise<string> {
  return page.evaluate(() => {
    let active: Element | null = document.activeElement;
    const panel = document.querySelector('roomcast-chat')?.shadowRoot?.querySelector('[part="panel"]');
    let inside = false;
    while (active?.shadowRoot?.activeElement) {
      active = active.shadowRoot.activeElement;
      // The panel's descendants, through the inner room's shadow root (its host is in the panel).
      inside ||= panel?.contains(active) ?? false;
    }
    const name = active?.getAttribute('part') ?? active?.tagName.toLowerCase() ?? '';
    return `${inside ? 'panel' : 'page'}:${name}`;
  });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: process.env.SCREENSHOTS ? join(projectRoot, 'docs', name) : join('/tmp', `roomcast-${name}`) });
}

async function context(options: Parameters<Browser['newContext']>[0] = DESKTOP): Promise<BrowserContext> {
  return browser().newContext(options);
}

describe('links in messages', () => {
  const texts = [
    'Read https://example.com/a_(b)). Then stop.',
    'Mail ada@example.com, or see https://пример.рф/путь?q=1!',
    '<b>bold</b> <script>alert(1)</script> javascript:alert(1) ftp://example.com/f //example.com/x example.com <img src=x onerror=alert(1)>',
    'http://a.example/x?y=1&z=2, and JAVASCRIPT://example.com/%0aalert(1)',
  ];
  const expected = [
    { seq: 1, text: 'https://example.com/a_(b)', href: 'https://example.com/a_(b)' },
    { seq: 2, text: 'ada@example.com', href: 'mailto:ada@example.com' },
    { seq: 2, text: 'https://пример.рф/путь?q=1', href: 'https://пример.рф/путь?q=1' },
    { seq: 4, text: 'http://a.example/x?y=1&z=2', href: 'http://a.example/x?y=1&z=2' },
  ];

  async function links(page: Page, scope: string) {
    return page.locator(`${scope} li.message [part="text"] a`).evaluateAll((anchors) =>
      anchors.map((a) => ({
        seq: Number(a.closest('li')?.getAttribute('data-seq')),
        text: a.textContent,
        href: a.getAttribute('href'),
        rel: a.getAttribute('rel'),
        target: a.getAttribute('target'),
      })),
    );
  }

  async function assertLinks(page: Page, scope: string): Promise<void> {
    await page
      .locator(`${scope} li.message [part="text"] a`)
      .nth(expected.length - 1)
      .waitFor({ timeout: 10_000 });
    assert.deepEqual(
      await links(page, scope),
      expected.map((e) => ({ ...e, rel: 'noopener noreferrer nofollow ugc', target: '_blank' })),
    );
    // Every text is the message's text exactly; the markup in it stays text (no <b>, <script>, <img>).
    const shown = await page
      .locator(`${scope} li.message [part="text"]`)
      .evaluateAll((els) =>
        els.map((el) => ({ text: el.textContent, tags: [...el.querySelectorAll('*')].map((c) => c.tagName.toLowerCase()) })),
      );
    assert.deepEqual(
      shown.map((s) => s.text),
      texts,
    );
    assert.deepEqual(
      shown.map((s) => s.tags),
      [['a'], ['a', 'a'], [], ['a']],
    );
  }

  test('URLs and e-mail addresses become links (rel, target), plain text until the linkifier has loaded; markup, javascript: and other schemes stay text', {
    skip,
  }, async (t) => {
    const app = await startApp({ MESSAGE_RATE_BURST: '50', ALLOWED_ORIGINS: host.origin });
    t.after(() => app.close());
    await seed(app, 'links', texts);
    const ctx = await context();
    t.after(() => ctx.close());
    // The linkifier is held back: the messages show, as plain text, without it.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let fetched = 0;
    await ctx.route('**/linkify.js', async (route) => {
      fetched++;
      await held;
      await route.continue();
    });
    const { page, errors, dialogs } = await openRoom(app.url, 'links', 'Viewer', ctx);
    await page.locator('roomcast-room li.message[data-seq="4"]').waitFor();
    assert.equal(await page.locator('roomcast-room li.message a').count(), 0, 'links before the linkifier loaded');
    assert.equal(
      await page.locator('roomcast-room li.message[data-seq="1"] [part="text"]').textContent(),
      texts[0],
      'plain text meanwhile',
    );
    release();
    await assertLinks(page, 'roomcast-room');
    assert.equal(fetched, 1, 'the linkifier is fetched once');
    await screenshot(page, 'links.png');
    // axe is an inline script: a page of its own, without the page's CSP.
    const axeContext = await context({ ...DESKTOP, bypassCSP: true });
    t.after(() => axeContext.close());
    const plain = await openRoom(app.url, 'links', 'Axe', axeContext);
    await assertLinks(plain.page, 'roomcast-room');
    await noSeriousAxeViolation(plain.page, 'room page with links');

    // The widget on another origin loads the linkifier from the chat server, beside widget.js.
    const widgetPage = await ctx.newPage();
    await widgetPage.goto(host.page('/links', hostPage(app.url, widget('room="links" mode="inline"'))));
    await assertLinks(widgetPage, 'roomcast-chat');
    assert.deepEqual([...errors, ...dialogs], []);
  });
});

describe('presence list', () => {
  for (const device of ['desktop', 'phone'] as const) {
    test(`the member count opens who is here, names and guest marks, live; Esc closes it and gives the focus back (${device})`, {
      skip,
    }, async (t) => {
      const app = await startApp({ JWT_SECRET });
      t.after(() => app.close());
      const ctx = await context({ ...(device === 'phone' ? PHONE : DESKTOP), bypassCSP: true });
      t.after(() => ctx.close());
      const { page, errors } = await openRoom(app.url, 'people', 'Ann', ctx);
      const token = await new SignJWT({ sub: 'u-bob', name: 'Bob Builder' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(JWT_SECRET));
      const bob = await connectChat(app.url, { token });
      const cy = await connectChat(app.url, { name: 'Cy' });
      for (const { socket } of [bob, cy]) assert.ok((await acked(socket).emitWithAck('room:join', { room: 'people' })).ok);

      const button = page.getByRole('button', { name: '3 people here' });
      await button.waitFor({ timeout: 10_000 });
      assert.equal(await button.getAttribute('aria-expanded'), 'false');
      await button.click();
      assert.equal(await button.getAttribute('aria-expanded'), 'true');
      const members = page.locator('roomcast-room [part="presence-member"]');
      const list = async () =>
        members.evaluateAll((items) =>
          items
            .map((li) => ({ name: li.querySelector('[dir]')?.textContent ?? '', guest: li.querySelector('[part="guest-badge"]') !== null }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        );
      assert.deepEqual(await list(), [
        { name: 'Ann', guest: true },
        { name: 'Bob Builder', guest: false },
        { name: 'Cy', guest: true },
      ]);
      await screenshot(page, device === 'phone' ? 'presence-list-phone.png' : 'presence-list.png');
      await noSeriousAxeViolation(page, 'room page with the presence list open');

      // Live: Cy leaves, Dee comes.
      cy.socket.disconnect();
      await page.getByRole('button', { name: '2 people here' }).waitFor({ timeout: 10_000 });
      assert.deepEqual(
        (await list()).map((m) => m.name),
        ['Ann', 'Bob Builder'],
      );
      const dee = await connectChat(app.url, { name: 'Dee' });
      assert.ok((await acked(dee.socket).emitWithAck('room:join', { room: 'people' })).ok);
      await page.getByRole('button', { name: '3 people here' }).waitFor({ timeout: 10_000 });
      assert.deepEqual(
        (await list()).map((m) => m.name),
        ['Ann', 'Bob Builder', 'Dee'],
      );

      await page.keyboard.press('Escape');
      assert.equal(await members.count(), 0, 'Esc closes the list');
      assert.equal(await page.getByRole('button', { name: '3 people here' }).getAttribute('aria-expanded'), 'false');
      assert.equal(await focused(page), 'members', 'the focus is back on the count');
      // Keyboard: Enter opens it again; Tab away closes it.
      await page.keyboard.press('Enter');
      assert.equal(await members.count(), 3);
      await page.keyboard.press('Tab');
      await members.first().waitFor({ state: 'detached', timeout: 2_000 });
      assert.deepEqual(errors, []);
    });
  }
});

describe('scrolling', () => {
  test('older messages load as the top scrolls into view, what is read stays in place; "Jump to newest" while scrolled away, "1 new message" when one comes', {
    skip,
  }, async (t) => {
    const app = await startApp({ MESSAGE_RATE_BURST: '200' });
    t.after(() => app.close());
    const seeder = await seed(
      app,
      'long',
      Array.from({ length: 120 }, (_, i) => `message ${i + 1}`),
    );
    const ctx = await context();
    t.after(() => ctx.close());
    const { page, errors } = await openRoom(app.url, 'long', 'Ann', ctx);
    const item = (seq: number) => page.locator(`roomcast-room li.message[data-seq="${seq}"]`);
    await item(120).waitFor();
    assert.equal(await item(70).count(), 0, 'the last 50 at first');
    const jump = page.locator('roomcast-room [part="new-messages"]');
    assert.equal(await jump.count(), 0, 'no jump button at the bottom');

    const scroller = page.locator('roomcast-room [part="messages"]');
    // Scrolled to the top, in one step: where the first loaded message (71) is then.
    const topOf71 = () =>
      scroller.evaluate((list) => {
        const li = list.querySelector('li[data-seq="71"]');
        return (li?.getBoundingClientRect().top ?? Number.NaN) - list.getBoundingClientRect().top;
      });
    await scroller.evaluate((list) => {
      list.scrollTop = 0;
    });
    const before = await topOf71();
    await item(21).waitFor({ state: 'attached', timeout: 10_000 });
    await page.waitForFunction(() => true);
    const after = await topOf71();
    assert.ok(Math.abs(after - before) < 2, `message 71 moved from ${before} to ${after} px when older ones came`);
    assert.ok(await page.getByRole('button', { name: 'Load older messages' }).isVisible(), 'the button stays, for keyboards');

    await jump.waitFor();
    assert.equal((await jump.textContent())?.replace(/\s+/g, ' ').trim(), 'Jump to newest ↓');
    await jump.click();
    await jump.waitFor({ state: 'detached', timeout: 5_000 });
    await page.waitForFunction(() => {
      const list = document.querySelector('roomcast-room')?.shadowRoot?.querySelector('[part="messages"]');
      return list !== null && list !== undefined && list.scrollHeight - list.scrollTop - list.clientHeight < 2;
    });

    // Away from the bottom, a new message: the button counts it.
    await scroller.evaluate((list) => {
      list.scrollTop = list.scrollHeight / 2;
    });
    await jump.waitFor();
    assert.ok((await acked(seeder).emitWithAck('message:send', { room: 'long', text: 'the newest', clientId: randomUUID() })).ok);
    await page.waitForFunction(
      () =>
        document.querySelector('roomcast-room')?.shadowRoot?.querySelector('[part="new-messages"]')?.textContent?.includes('1 new message'),
      undefined,
      { timeout: 5_000 },
    );
    assert.deepEqual(errors, []);
  });
});

describe('focus on entry', () => {
  for (const device of ['desktop', 'phone'] as const) {
    test(`the composer has the focus on entry to the room page and on opening the widget, not on a phone (${device})`, {
      skip,
    }, async (t) => {
      const app = await startApp({ ALLOWED_ORIGINS: host.origin });
      t.after(() => app.close());
      const ctx = await context(device === 'phone' ? PHONE : DESKTOP);
      t.after(() => ctx.close());
      const { page } = await openRoom(app.url, 'entry', 'Ann', ctx);
      assert.equal(await page.evaluate(() => matchMedia('(pointer: coarse)').matches), device === 'phone');
      const input = page.locator('roomcast-room [part="input"]');
      if (device === 'desktop') {
        await page.waitForFunction(
          () => document.querySelector('roomcast-room')?.shadowRoot?.activeElement?.getAttribute('part') === 'input',
          undefined,
          { timeout: 5_000 },
        );
      } else {
        // The page is connected and rendered: had it focused the composer, it would have by now.
        await input.waitFor();
        await page.evaluate(() => document.querySelector('roomcast-room')?.updateComplete);
        assert.notEqual(await focused(page), 'input');
      }

      const hosted = await openPage(host.page(`/entry-${device}`, hostPage(app.url, widget('room="entry"'))), ctx);
      await hosted.page.locator('roomcast-chat [part="launcher"]').click();
      await showsStatus(hosted.page, 'connected');
      if (device === 'desktop') {
        await hosted.page.waitForFunction(
          () => {
            let active: Element | null = document.activeElement;
            while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
            return active?.getAttribute('part') === 'input';
          },
          undefined,
          { timeout: 5_000 },
        );
      } else {
        assert.notEqual(await focused(hosted.page), 'input');
      }
      // The open panel, its presence list open too, is axe clean.
      await hosted.page.locator('roomcast-chat [part="members"]').click();
      await hosted.page.locator('roomcast-chat [part="presence-member"]').first().waitFor();
      await noSeriousAxeViolation(hosted.page, `the open widget with its presence list (${device})`);
    });
  }
});

describe('the open widget', () => {
  const hostile = `<style>
  * { font-family: serif; color: red; }
  html { font-size: 10px; direction: rtl; line-height: 3; letter-spacing: 3px; text-align: center; }
</style>`;

  test('keeps Tab inside its panel, Esc closes it (the presence list first) and gives the focus back to the launcher; the host page styles do not reach it', {
    skip,
  }, async (t) => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    t.after(() => app.close());
    await seed(app, 'trap', ['hello https://example.com']);
    const ctx = await context();
    t.after(() => ctx.close());
    const { page, errors } = await openPage(host.page('/trap', hostPage(app.url, `${hostile}${widget('room="trap"')}`)), ctx);
    const launcher = page.locator('roomcast-chat [part="launcher"]');
    await launcher.focus();
    await page.keyboard.press('Enter');
    await showsStatus(page, 'connected');
    await page.locator('roomcast-chat li.message').first().waitFor();

    const forward: string[] = [];
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      forward.push(await focusedInPanel(page));
    }
    assert.ok(
      forward.every((f) => f.startsWith('panel:') && f !== 'panel:launcher'),
      `Tab left the panel: ${forward}`,
    );
    assert.ok(forward.filter((f) => f === 'panel:input').length >= 2, `Tab did not go round: ${forward}`);
    const backward: string[] = [];
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Shift+Tab');
      backward.push(await focusedInPanel(page));
    }
    assert.ok(
      backward.every((f) => f.startsWith('panel:') && f !== 'panel:launcher'),
      `Shift+Tab left the panel: ${backward}`,
    );
    assert.ok(backward.filter((f) => f === 'panel:input').length >= 2, `Shift+Tab did not go round: ${backward}`);

    // The presence list takes the first Esc, the panel the second.
    await page.locator('roomcast-chat [part="members"]').click();
    await page.locator('roomcast-chat [part="presence-member"]').first().waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('roomcast-chat [part="presence-member"]').count(), 0);
    assert.ok(await page.locator('roomcast-chat [part="panel"]').isVisible(), 'the panel stays open');
    await page.keyboard.press('Escape');
    await page.locator('roomcast-chat [part="panel"]').waitFor({ state: 'hidden' });
    assert.equal(await focused(page), 'launcher');

    // The host's * and html rules, inherited or matching the host element, stop at the widget.
    await page.keyboard.press('Enter');
    await page.locator('roomcast-chat [part="panel"]').waitFor();
    // Anonymous functions only in the page: a named one would call tsx's __name helper, which the page lacks.
    const styles = Object.fromEntries(
      await page.evaluate(() => {
        const chat = document.querySelector('roomcast-chat');
        const room = chat?.shadowRoot?.querySelector('roomcast-room');
        return [
          ['text', room?.shadowRoot?.querySelector('[part="text"]')],
          ['input', room?.shadowRoot?.querySelector('[part="input"]')],
          ['title', room?.shadowRoot?.querySelector('[part="title"]')],
          ['launcher', chat?.shadowRoot?.querySelector('[part="launcher"]')],
        ].map(([what, el]) => {
          const s = el ? getComputedStyle(el as Element) : undefined;
          return [
            what as string,
            s && {
              font: s.fontFamily,
              color: s.color,
              size: s.fontSize,
              line: s.lineHeight,
              dir: s.direction,
              spacing: s.letterSpacing,
              align: s.textAlign,
            },
          ] as const;
        });
      }),
    );
    for (const [what, s] of Object.entries(styles)) {
      assert.ok(s, `${what} not found`);
      assert.match(s.font, /^system-ui/, `${what}: font ${s.font}`);
      assert.notEqual(s.color, 'rgb(255, 0, 0)', `${what}: colour`);
      assert.equal(s.dir, 'ltr', `${what}: direction`);
      assert.equal(s.spacing, 'normal', `${what}: letter-spacing`);
    }
    assert.equal(styles.text?.size, '15px');
    assert.equal(styles.text?.line, '21.75px');
    assert.equal(styles.text?.align, 'start');
    assert.equal(styles.input?.size, '16px');
    await screenshot(page, 'widget-hostile-host.png');
    assert.deepEqual(errors, []);
  });
});

describe('message length', () => {
  for (const device of ['desktop', 'phone'] as const) {
    test(`near MAX_MESSAGE_LENGTH a counter says what is left, over it by how much in words, and Send is off (${device})`, {
      skip,
    }, async (t) => {
      const app = await startApp({ MAX_MESSAGE_LENGTH: '100' });
      t.after(() => app.close());
      const { socket } = await connectChat(app.url, { name: 'Probe' });
      const join = await acked(socket).emitWithAck('room:join', { room: 'long' });
      assert.ok(join.ok && join.maxMessageLength === 100, 'the join ack says the limit');
      const ctx = await context({ ...(device === 'phone' ? PHONE : DESKTOP), bypassCSP: true });
      t.after(() => ctx.close());
      const { page, errors } = await openRoom(app.url, 'long', 'Ann', ctx);
      const input = page.getByLabel('Message', { exact: true });
      const counter = page.locator('roomcast-room [part="counter"]');
      const send = page.getByRole('button', { name: 'Send', exact: true });
      const said = async () => (await counter.textContent())?.replace(/\s+/g, ' ').trim();

      await input.fill('x'.repeat(89));
      assert.equal(await counter.count(), 0, 'nothing far from the limit');
      await input.fill('x'.repeat(95));
      assert.equal(await said(), '5 characters left');
      await input.fill(`  ${'x'.repeat(120)}  `);
      assert.equal(await said(), 'Your message is 20 characters too long.');
      assert.ok(await send.isDisabled());
      assert.equal(await input.getAttribute('aria-invalid'), 'true');
      if (device === 'phone') await screenshot(page, 'counter-phone.png');
      await noSeriousAxeViolation(page, `room page over the limit (${device})`);
      await input.press('Enter');
      assert.equal(await page.locator('roomcast-room li.message').count(), 0, 'Enter sends nothing while too long');
      assert.equal((await input.inputValue()).trim().length, 120, 'the draft stays');

      // Characters as the server counts them: 100 emoji (200 UTF-16 units) fit.
      await input.fill('😀'.repeat(100));
      assert.equal(await said(), '0 characters left');
      assert.ok(await send.isEnabled());
      await send.click();
      await page.locator('roomcast-room li.message[data-state="sent"]').waitFor({ timeout: 10_000 });
      assert.equal(await counter.count(), 0);
      assert.deepEqual(errors, []);
    });
  }
});

describe('drafts', () => {
  test('each room keeps its own draft, across switching rooms and a reload', { skip }, async (t) => {
    const app = await startApp();
    t.after(() => app.close());
    const ctx = await context();
    t.after(() => ctx.close());
    const { page } = await openRoom(app.url, 'alpha', 'Ann', ctx);
    const input = page.getByLabel('Message', { exact: true });
    await input.fill('half a thought for alpha');
    const go = async (room: string) => {
      await page.goto(`${app.url}/rooms/${room}?name=Ann`);
      await showsStatus(page, 'connected');
    };
    await go('beta');
    assert.equal(await input.inputValue(), '', "alpha's draft is not beta's");
    await input.fill('and one for beta');
    await go('alpha');
    assert.equal(await input.inputValue(), 'half a thought for alpha');
    await page.reload();
    await showsStatus(page, 'connected');
    assert.equal(await input.inputValue(), 'half a thought for alpha');
    await go('beta');
    assert.equal(await input.inputValue(), 'and one for beta');
  });
});

describe('the index page', () => {
  test('lists the rooms people talked in after they left, with their last activity, and never a private room', { skip }, async (t) => {
    const app = await startApp({ JWT_SECRET });
    t.after(() => app.close());
    const talker = await seed(app, 'history-room', ['we were here']);
    talker.disconnect();
    const token = await new SignJWT({ sub: 'u-admin', name: 'Admin', admin: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const admin = await connectChat(app.url, { token });
    assert.ok((await acked(admin.socket).emitWithAck('room:join', { room: 'private-ops' })).ok);
    assert.ok((await acked(admin.socket).emitWithAck('message:send', { room: 'private-ops', text: 'secret', clientId: randomUUID() })).ok);
    const ctx = await context({ ...DESKTOP, bypassCSP: true });
    t.after(() => ctx.close());
    const { page, errors } = await openPage(`${app.url}/`, ctx);
    const link = page.locator('#rooms a[href="/rooms/history-room"]');
    await link.waitFor({ timeout: 10_000 });
    assert.match(
      (await link.textContent())?.replace(/\s+/g, ' ') ?? '',
      /history-room.*\d+ (person|people) · 1 message · active (now|\d+ seconds? ago)/,
    );
    assert.equal(await page.locator('#rooms a[href*="private"]').count(), 0, 'a private room is listed');
    await noSeriousAxeViolation(page, 'index page');
    assert.deepEqual(errors, []);
  });
});
