import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import type { NotifyDetail, StatusDetail } from '../web-components/roomcast-chat.js';
import { hostPage, noSeriousAxeViolation, skipBrowser as skip, useBrowser, useHostSite, watchPage, widget } from './browser-helpers.js';
import { acked, connectChat, type Running, startApp } from './helpers.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const NONCE = 'widget-test-nonce';
const JWT_SECRET = 'widget-test-secret-0123456789abcdef';

const browser = useBrowser();
const host = useHostSite();

/** A new page in a new context (its own storage), recording errors and widget events. */
async function openPage(url: string, options: BrowserContextOptions = {}, context?: BrowserContext) {
  const ctx = context ?? (await browser().newContext(options));
  const page = await ctx.newPage();
  const watched = watchPage(page);
  await page.addInitScript(() => {
    const record = window as unknown as Record<string, unknown[]>;
    record.statuses = [];
    record.notified = [];
    record.csp = [];
    document.addEventListener('roomcast-status', (e) => record.statuses?.push((e as CustomEvent<StatusDetail>).detail.status));
    document.addEventListener('roomcast-notify', (e) => record.notified?.push((e as CustomEvent<NotifyDetail>).detail.message.seq));
    document.addEventListener('securitypolicyviolation', (e) => record.csp?.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  return { page, context: ctx, ...watched };
}

const launcher = (page: Page) => page.locator('roomcast-chat [part="launcher"]');
const panel = (page: Page) => page.locator('roomcast-chat [part="panel"]');
const badge = (page: Page) => page.locator('roomcast-chat [part="badge"]');
const texts = (page: Page | Locator) => page.locator('[part="text"]');
const input = (page: Page | Locator) => page.getByLabel('Message', { exact: true });

async function connected(page: Page): Promise<void> {
  await page.locator('roomcast-chat [part="status"].connected').waitFor({ state: 'attached', timeout: 10_000 });
}

/** Sends from the open panel of the page's widget (or of the one `page` locates). */
async function send(page: Page | Locator, text: string): Promise<void> {
  await input(page).fill(text);
  await input(page).press('Enter');
  await texts(page).filter({ hasText: text }).last().waitFor({ timeout: 5_000 });
}

/** What has the keyboard focus, through shadow roots: `tag[part]`. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const part = el?.getAttribute('part');
    return `${el?.tagName.toLowerCase()}${part ? `[${part}]` : ''}`;
  });
}

/** What roomcast keeps in the page's localStorage (the guest session and who it was), sorted. */
function storedKeys(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((key) => key.startsWith('roomcast:'))
      .sort(),
  );
}

/** A second person in the room, from Node. */
async function writer(app: Running, room: string, name = 'Writer') {
  const { socket } = await connectChat(app.url, { name });
  const joined = await acked(socket).emitWithAck('room:join', { room });
  assert.ok(joined.ok);
  return async (text: string) => {
    const res = await acked(socket).emitWithAck('message:send', { room, text, clientId: `${name}-${text}` });
    assert.ok(res.ok, JSON.stringify(res));
  };
}

function sign(sub: string, name: string): Promise<string> {
  return new SignJWT({ sub, name }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
}

describe('<roomcast-chat> on a page of another origin', () => {
  test('widget.js is served to other origins; /api/origin tells a page whether it may connect; /demo works under its CSP', {
    skip,
  }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const js = await fetch(`${app.url}/widget.js`, { headers: { origin: host.origin } });
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal(js.headers.get('access-control-allow-origin'), '*');
    assert.equal(js.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(js.headers.get('set-cookie'), null);
    // The chunks widget.js imports (up front or on first use): the same headers, else a page on
    // another origin could not load them.
    const chunks = [...(await js.text()).matchAll(/"\.\/(chunks\/[\w-]+\.js)"/g)].map((m) => m[1]);
    assert.ok(chunks.length >= 3, `chunks named in widget.js: ${chunks.join(', ')}`);
    for (const chunk of chunks) {
      const res = await fetch(`${app.url}/${chunk}`, { headers: { origin: host.origin } });
      assert.equal(res.status, 200, chunk);
      assert.match(res.headers.get('content-type') ?? '', /javascript/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
      assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    }

    const allowed = await fetch(`${app.url}/api/origin`, { headers: { origin: host.origin } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), '*');
    const refused = await fetch(`${app.url}/api/origin`, { headers: { origin: 'https://elsewhere.example' } });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'forbidden');

    const { page, errors } = await openPage(`${app.url}/demo`);
    // The inline public room connects at once; the support widget in the corner when first opened.
    await page.locator('roomcast-chat[room="trail-talk"] [part="status"].connected').waitFor({ state: 'attached', timeout: 10_000 });
    assert.equal(await page.locator('roomcast-chat').count(), 2);
    await page.locator('roomcast-chat[inbox="support"] [part="launcher"]').click();
    await page.locator('roomcast-chat[inbox="support"] [part="status"].connected').waitFor({ state: 'attached', timeout: 10_000 });
    // Without DEMO=1 there is no demo staff token, so no link to the inbox (once the page has asked).
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/api/demo/staff-token')));
    assert.equal(await page.locator('#staff-demo').isHidden(), true);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { csp: string[] }).csp), []);
    assert.deepEqual(errors, []);
  });

  test('opens from the launcher, sends, another page receives; hostile text stays text; isolated styles; no cookies, no session stored before the first interaction', {
    skip,
  }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const ana = await openPage(host.page('/send-ana', hostPage(app.url, widget('room="lobby" name="Ana"'))));
    await connected(ana.page);
    assert.deepEqual(await storedKeys(ana.page), [], 'a session was stored before any interaction');
    // Closed, the widget takes only the launcher's box.
    const box = await ana.page.locator('roomcast-chat').boundingBox();
    assert.deepEqual([box?.width, box?.height], [56, 56]);
    assert.equal(await panel(ana.page).isVisible(), false);
    assert.equal(await launcher(ana.page).getAttribute('aria-expanded'), 'false');

    await launcher(ana.page).click();
    await panel(ana.page).waitFor();
    assert.equal(await launcher(ana.page).getAttribute('aria-expanded'), 'true');
    assert.equal(await focused(ana.page), 'textarea[input]');
    assert.deepEqual(await storedKeys(ana.page), [`roomcast:session:${app.url}`, `roomcast:user:${app.url}`]);

    const bo = await openPage(host.page('/send-bo', hostPage(app.url, widget('room="lobby" name="Bo"'))));
    await launcher(bo.page).click();
    await connected(bo.page);
    await send(ana.page, 'hello from Ana');
    await texts(bo.page).filter({ hasText: 'hello from Ana' }).waitFor({ timeout: 5_000 });

    await send(bo.page, HOSTILE);
    for (const { page } of [ana, bo]) {
      const shown = texts(page).filter({ hasText: HOSTILE });
      await shown.waitFor({ timeout: 5_000 });
      assert.equal(await shown.textContent(), HOSTILE);
      const images = await page.evaluate(() => {
        const chat = document.querySelector('roomcast-chat')?.shadowRoot;
        return (
          (chat?.querySelectorAll('img').length ?? 0) +
          (chat?.querySelector('roomcast-room')?.shadowRoot?.querySelectorAll('img').length ?? 0)
        );
      });
      assert.equal(images, 0);
    }

    // The host page's 10 px root, serif font and pink buttons do not reach in.
    // (No named functions inside evaluate(): tsx's helpers do not exist in the page.)
    const styles = await ana.page.evaluate(() => {
      const chat = document.querySelector('roomcast-chat');
      const room = chat?.shadowRoot?.querySelector('roomcast-room')?.shadowRoot;
      const text = getComputedStyle(room?.querySelector('[part="text"]') as Element);
      return {
        input: getComputedStyle(room?.querySelector('textarea') as Element).fontSize,
        text: text.fontSize,
        font: text.fontFamily,
        spacing: text.letterSpacing,
        launcher: getComputedStyle(chat?.shadowRoot?.querySelector('[part="launcher"]') as Element).backgroundColor,
      };
    });
    assert.equal(styles.input, '16px');
    assert.equal(styles.text, '15px');
    assert.doesNotMatch(styles.font ?? '', /Georgia/);
    assert.notEqual(styles.launcher, 'rgb(255, 105, 180)');
    assert.equal(styles.spacing, 'normal');

    for (const { page, context } of [ana, bo]) {
      assert.equal(await page.evaluate(() => document.cookie), '');
      assert.deepEqual(await context.cookies(), []);
    }
    assert.deepEqual([...ana.errors, ...ana.dialogs, ...bo.errors, ...bo.dialogs], []);
  });

  test('the unread badge counts messages from others while closed, never your own, and clears on open', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const { page, errors } = await openPage(host.page('/unread', hostPage(app.url, widget('room="unread" name="Reader"'))));
    await connected(page);
    const say = await writer(app, 'unread');
    await say('one');
    await say('two');
    await badge(page).filter({ hasText: /^2$/ }).waitFor({ timeout: 5_000 });
    assert.equal(await launcher(page).getAttribute('aria-label'), 'Chat, 2 unread');

    // The same guest from elsewhere (another device, say) is still you: not counted.
    await launcher(page).click();
    await page.keyboard.press('Escape');
    assert.equal(await badge(page).count(), 0, 'opening did not clear the count');
    const session = await page.evaluate((key) => localStorage.getItem(key), `roomcast:session:${app.url}`);
    const me = await connectChat(app.url, { session });
    await acked(me.socket).emitWithAck('room:join', { room: 'unread' });
    await acked(me.socket).emitWithAck('message:send', { room: 'unread', text: 'mine', clientId: 'mine' });
    await say('three');
    await texts(page).filter({ hasText: 'three' }).waitFor({ state: 'attached', timeout: 5_000 });
    assert.equal(await badge(page).textContent(), '1');

    await launcher(page).click();
    await badge(page).waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await launcher(page).getAttribute('aria-label'), 'Chat');
    assert.deepEqual(errors, []);
  });

  test("the panel's view is a chunk of its own, fetched unasked once the page is idle; the badge counts before it is in", {
    skip,
  }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const context = await browser().newContext();
    // The view's chunk is held back until the badge has counted without it.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await context.route(/\/chunks\/roomcast-room-[\w-]+\.js$/, async (route) => {
      await held;
      await route.continue();
    });
    const asked = context.waitForEvent('request', { predicate: (req) => /\/chunks\/roomcast-room-/.test(req.url()), timeout: 10_000 });
    const { page, errors } = await openPage(host.page('/lazy-view', hostPage(app.url, widget('room="lazy" name="Idle"'))), {}, context);
    await asked;
    // Connected by the widget itself (its roomcast-status), the view still held back.
    await page.waitForFunction(() => (window as unknown as { statuses: string[] }).statuses.includes('connected'), undefined, {
      timeout: 10_000,
    });
    const say = await writer(app, 'lazy');
    await say('before the view');
    await badge(page).filter({ hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    assert.equal(await page.evaluate(() => customElements.get('roomcast-room') === undefined), true, 'the view was there already');

    release();
    await launcher(page).click();
    await texts(page).filter({ hasText: 'before the view' }).waitFor({ timeout: 5_000 });
    await badge(page).waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await focused(page), 'textarea[input]', 'the composer has the focus once the view is in');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('works by keyboard alone: Tab to the launcher, Enter opens, type and send, Esc closes and focus returns', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const { page, errors } = await openPage(host.page('/keys', hostPage(app.url, widget('room="keys" name="Kai"'))));
    await connected(page);
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'a');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'button[launcher]');
    const ring = await launcher(page).evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.equal(ring, 'solid', 'no visible focus ring on the launcher');

    await page.keyboard.press('Enter');
    await panel(page).waitFor();
    assert.equal(await focused(page), 'textarea[input]');
    await page.keyboard.type('typed, not clicked');
    await page.keyboard.press('Enter');
    await texts(page).filter({ hasText: 'typed, not clicked' }).waitFor({ timeout: 5_000 });

    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'hidden' });
    assert.equal(await focused(page), 'button[launcher]');
    assert.equal(await launcher(page).getAttribute('aria-expanded'), 'false');

    await page.keyboard.press('Space');
    await panel(page).waitFor();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'hidden' });
    assert.equal(await focused(page), 'button[launcher]');
    assert.deepEqual(errors, []);
  });

  test('axe finds no serious or critical violation with the panel open, in light and dark', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const say = await writer(app, 'axe', 'Sigrid');
    await say('Hello! How can I help?');
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(host.page('/axe', hostPage(app.url, widget('room="axe" name="Ada"'))), { colorScheme });
      await connected(page);
      await badge(page).waitFor({ state: 'detached' });
      await launcher(page).click();
      await send(page, `a question, in ${colorScheme}`);
      await noSeriousAxeViolation(page, colorScheme);
      assert.deepEqual(errors, []);
    }
  });

  test('after the server closes its transport while another page sends, every message shows once, in order', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin, MESSAGE_RATE_BURST: '1000' });
    const url = host.page('/drop', hostPage(app.url, widget('room="drop" name="Ana"')));
    const ana = await openPage(url);
    await launcher(ana.page).click();
    await connected(ana.page);
    const bo = await openPage(host.page('/drop-bo', hostPage(app.url, widget('room="drop" name="Bo"'))));
    await connected(bo.page);
    const sendFromBo = (from: number, to: number) =>
      bo.page.evaluate(
        async ([first, last]) => {
          const chat = document.querySelector('roomcast-chat');
          for (let i = first; i <= last; i++) await chat?.connection?.send(`message ${i}`);
        },
        [from, to] as const,
      );
    const dropAna = () => {
      const sockets = [...app.io.of('/chat').sockets.values()].filter((s) => s.data.identity.user.name === 'Ana');
      assert.equal(sockets.length, 1);
      for (const socket of sockets) socket.conn.close();
    };

    await sendFromBo(1, 10);
    await texts(ana.page).nth(9).waitFor({ timeout: 5_000 });
    dropAna();
    await ana.page.locator('roomcast-chat [part="status"].reconnecting').waitFor({ timeout: 5_000 });
    await sendFromBo(11, 25);
    await connected(ana.page);
    // Again, in the middle of a stream.
    const stream = sendFromBo(26, 60);
    await texts(ana.page).nth(29).waitFor({ timeout: 5_000 });
    dropAna();
    await stream;
    await texts(ana.page).nth(59).waitFor({ timeout: 15_000 });
    await connected(ana.page);

    const expected = Array.from({ length: 60 }, (_, i) => `message ${i + 1}`);
    assert.deepEqual(await texts(ana.page).allTextContents(), expected);
    const statuses = await ana.page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
    assert.ok(statuses.includes('reconnecting'), statuses.join());
    assert.deepEqual([...ana.errors, ...bo.errors], []);
  });

  test('on a 375 px wide phone the open panel fills the screen, inputs are 16 px, the viewport meta is untouched', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const viewport = { width: 375, height: 667 };
    const { page, errors } = await openPage(host.page('/phone', hostPage(app.url, widget('room="phone"'))), {
      viewport,
      isMobile: true,
      hasTouch: true,
    });
    await connected(page);
    const meta = () => page.evaluate(() => [...document.querySelectorAll('meta[name="viewport"]')].map((m) => m.getAttribute('content')));
    const before = await meta();
    await launcher(page).tap();
    await panel(page).waitFor();
    await panel(page).evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
    // The visual viewport, which is the screen: it may sit a few px into the layout viewport.
    const screen = await page.evaluate(() => {
      const v = window.visualViewport;
      return v && { x: v.offsetLeft, y: v.offsetTop, width: v.width, height: v.height };
    });
    assert.ok(screen && screen.width === viewport.width && Math.abs(screen.height - viewport.height) < 1, JSON.stringify(screen));
    const box = await panel(page).boundingBox();
    for (const key of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs((box?.[key] ?? -1) - screen[key]) < 1, `panel ${JSON.stringify(box)} is not the screen ${JSON.stringify(screen)}`);
    }
    const fontSize = await page.evaluate(() => {
      const room = document.querySelector('roomcast-chat')?.shadowRoot?.querySelector('roomcast-room')?.shadowRoot;
      return parseFloat(getComputedStyle(room?.querySelector('textarea') as Element).fontSize);
    });
    assert.ok(fontSize >= 16, `input font-size ${fontSize}px`);
    assert.deepEqual(await meta(), before);
    await page.getByRole('button', { name: 'Close chat' }).tap();
    await panel(page).waitFor({ state: 'hidden' });
    assert.deepEqual(errors, []);
  });

  test('a page whose origin is not in ALLOWED_ORIGINS gets a clear error', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: 'https://only-this.example' });
    const { page, errors } = await openPage(host.page('/refused', hostPage(app.url, widget('room="refused"'))));
    await launcher(page).click();
    const alert = page.getByRole('alert').filter({ hasText: 'ALLOWED_ORIGINS' });
    await alert.waitFor({ timeout: 10_000 });
    assert.match((await alert.textContent()) ?? '', new RegExp(`This site \\(${host.origin}\\) is not allowed`));
    await page.locator('roomcast-chat [part="status"][data-state="failed"]').waitFor();
    assert.deepEqual(errors, []);
  });

  test('two snippets on one page, under a strict CSP with a nonce, are harmless', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const ws = app.url.replace('http:', 'ws:');
    const csp = `default-src 'none'; script-src 'nonce-${NONCE}' ${app.url}; style-src 'nonce-${NONCE}'; connect-src ${app.url} ${ws}`;
    const html = hostPage(app.url, `${widget('room="twice"')}\n${widget('room="twice-too" position="bottom-left"')}`, {
      nonce: NONCE,
      copies: 2,
    });
    const { page, errors } = await openPage(host.page('/twice', html, { 'content-security-policy': csp }));
    await page.locator('roomcast-chat [part="status"].connected').nth(1).waitFor({ state: 'attached', timeout: 10_000 });
    await launcher(page).first().click();
    await send(page.locator('roomcast-chat[room="twice"]'), 'still one widget each');
    const seen = await page.evaluate(() => ({
      version: window.roomcast?.version,
      nonce: window.litNonce,
      launchers: [...document.querySelectorAll('roomcast-chat')].map((c) => c.shadowRoot?.querySelectorAll('[part="launcher"]').length),
      csp: (window as unknown as { csp: string[] }).csp,
    }));
    assert.deepEqual(seen, { version: 1, nonce: NONCE, launchers: [1, 1], csp: [] });
    assert.deepEqual(errors, []);
  });

  /**
   * Two tabs of one browser on one room, of one signed-in user (what is read is the server's to say,
   * per user); `withoutLocks` hides the Web Locks API, as older browsers lack it.
   */
  async function severalTabs(withoutLocks: boolean): Promise<void> {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin, JWT_SECRET });
    const url = host.page('/tabs', hostPage(app.url, widget(`room="tabs" token="${await sign('tab', 'Tab')}"`)));
    const context = await browser().newContext();
    if (withoutLocks) await context.addInitScript(() => Object.defineProperty(navigator, 'locks', { value: undefined }));
    const first = await openPage(url, {}, context);
    const second = await openPage(url, {}, context);
    const tabs = [first.page, second.page];
    const locks = await first.page.evaluate(() => typeof navigator.locks?.request === 'function');
    assert.equal(locks, !withoutLocks);
    for (const page of tabs) await connected(page);
    const say = await writer(app, 'tabs');
    const notified = () => Promise.all(tabs.map((page) => page.evaluate(() => (window as unknown as { notified: number[] }).notified)));

    await say('ping 1');
    for (const page of tabs) await badge(page).filter({ hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    await say('ping 2');
    for (const page of tabs) await badge(page).filter({ hasText: /^2$/ }).waitFor({ timeout: 5_000 });
    // Once one tab notified of seq 2, every tab long decided about seq 1.
    await Promise.any(tabs.map((page) => page.waitForFunction(() => (window as unknown as { notified: number[] }).notified.includes(2))));
    const all = (await notified()).flat();
    assert.equal(all.filter((seq) => seq === 1).length, 1, `notified: ${JSON.stringify(await notified())}`);

    await launcher(first.page).click();
    for (const page of tabs) await badge(page).waitFor({ state: 'detached', timeout: 5_000 });
    await say('ping 3');
    await texts(first.page).filter({ hasText: 'ping 3' }).waitFor({ timeout: 5_000 });
    await texts(second.page).filter({ hasText: 'ping 3' }).waitFor({ state: 'attached', timeout: 5_000 });
    // Read in the first tab: the server tells every tab and device of the user (within a second or two).
    await badge(second.page).waitFor({ state: 'detached', timeout: 5_000 });
    if (!withoutLocks) assert.ok(!(await notified()).flat().includes(3), 'a message read in one tab was notified in another');
    assert.deepEqual([...first.errors, ...second.errors], []);
  }

  test('several tabs: one notifies (the Web Lock holder), all show the same count, and reading in one clears all', { skip }, () =>
    severalTabs(false),
  );

  test('several tabs without Web Locks: the claim over BroadcastChannel still picks one', { skip }, () => severalTabs(true));

  test('identity: a token attribute or roomcast.identify() makes a user; roomcast.reset() forgets it', { skip }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin, JWT_SECRET });
    const viaAttribute = await openPage(host.page('/token', hostPage(app.url, widget(`room="who" token="${await sign('u-1', 'Ulla')}"`))));
    await connected(viaAttribute.page);
    const user = (page: Page) => page.evaluate(() => document.querySelector('roomcast-chat')?.connection?.user);
    assert.deepEqual(await user(viaAttribute.page), { id: 'u-1', name: 'Ulla', kind: 'user' });

    const { page, errors } = await openPage(host.page('/identify', hostPage(app.url, widget('room="who" name="Gus"'))));
    await launcher(page).click();
    await connected(page);
    const guest = await user(page);
    assert.equal(guest?.kind, 'guest');
    const sessionOf = () => page.evaluate((key) => localStorage.getItem(key), `roomcast:session:${app.url}`);
    const guestSession = await sessionOf();

    await page.evaluate((token) => window.roomcast?.identify(token), await sign('u-2', 'Uwe'));
    await page.waitForFunction(() => document.querySelector('roomcast-chat')?.connection?.user?.id === 'u-2');
    await send(page, 'as Uwe');
    await viaAttribute.page.locator('roomcast-chat [part="author"]', { hasText: 'Uwe' }).waitFor({ state: 'attached' });

    await page.evaluate(() => window.roomcast?.reset());
    await page.waitForFunction(() => document.querySelector('roomcast-chat')?.connection?.user?.kind === 'guest');
    await connected(page);
    const next = await user(page);
    assert.notEqual(next?.id, guest?.id, 'reset() kept the old guest');
    assert.notEqual(await sessionOf(), guestSession);
    assert.deepEqual([...errors, ...viaAttribute.errors], []);
  });
});
