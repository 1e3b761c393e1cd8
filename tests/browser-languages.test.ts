import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';
import { hostPage, noSeriousAxeViolation, skipBrowser as skip, useBrowser, useHostSite, watchPage, widget } from './browser-helpers.js';
import { acked, connectChat, type Running, startApp } from './helpers.js';

const browser = useBrowser();
const host = useHostSite();

const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A host page on another origin, its `<html>` tag as given (`<html>`: no language of its own). */
function page(app: Running, path: string, body: string, html = '<html lang="en">'): string {
  return host.page(path, hostPage(app.url, body).replace('<html lang="en">', html));
}

/**
 * The chunks that widget.js imports up front (Lit, the connection) and the panel's view, which it
 * fetches when idle or opened: part of loading the widget, whatever the language.
 */
const WIDGET_CHUNK = /^\/chunks\/(?:chunk|roomcast-room)-[\w-]+\.js$/;

/** Opens `url` in a new context, recording every request for a script of roomcast's (but the widget's chunks). */
async function open(url: string, options: BrowserContextOptions = {}) {
  const context = await browser().newContext(options);
  const tab = await context.newPage();
  const watched = watchPage(tab);
  const scripts: string[] = [];
  tab.on('request', (req) => {
    const { pathname } = new URL(req.url());
    if (pathname.endsWith('.js') && !WIDGET_CHUNK.test(pathname)) scripts.push(pathname);
  });
  await tab.goto(url);
  return { page: tab, context, scripts, ...watched };
}

const send = (p: Page) => p.locator('roomcast-chat [part="send-button"]');
const input = (p: Page) => p.locator('roomcast-chat [part="input"]');
const status = (p: Page) => p.locator('roomcast-chat [part="status"]');

/** Opens the panel and waits until it is connected and speaks: `sendLabel` on its button. */
async function openPanel(p: Page, sendLabel: string): Promise<void> {
  await p.locator('roomcast-chat [part="launcher"]').click();
  await p.locator('roomcast-chat [part="status"][data-state="connected"]').waitFor({ state: 'attached', timeout: 10_000 });
  await send(p).filter({ hasText: sendLabel }).waitFor({ timeout: 5_000 });
}

/** A message from someone else, from Node, so the log has an author and a time. */
async function say(app: Running, room: string, text: string): Promise<void> {
  const { socket } = await connectChat(app.url, { name: 'Writer' });
  assert.ok((await acked(socket).emitWithAck('room:join', { room })).ok);
  const res = await acked(socket).emitWithAck('message:send', { room, text, clientId: `w-${text}` });
  assert.ok(res.ok, JSON.stringify(res));
  socket.disconnect();
}

/** Boxes (in CSS px) of parts inside the widget. */
function box(p: Page, part: string) {
  return p
    .locator(`roomcast-chat [part~="${part}"]`)
    .first()
    .boundingBox()
    .then((b) => {
      assert.ok(b, `no box for ${part}`);
      return b;
    });
}

describe('<roomcast-chat> in other languages', () => {
  test('lang="de": German strings, Intl dates in German, only de.js fetched (from the widget origin); lang="fr" switches live', {
    skip,
  }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    // Served like widget.js (a module from another origin needs CORS); nothing else under /locales/.
    const de = await fetch(`${app.url}/locales/de.js`, { headers: { origin: host.origin } });
    assert.equal(de.status, 200);
    assert.match(de.headers.get('content-type') ?? '', /javascript/);
    assert.equal(de.headers.get('access-control-allow-origin'), '*');
    assert.equal(de.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(de.headers.get('cache-control'), 'public, max-age=300');
    for (const bad of ['xx.js', '..%2Fwidget.js', 'de.ts', '%2E%2E%2Fde.js']) {
      const res = await fetch(`${app.url}/locales/${bad}`);
      assert.equal(res.status, 404, bad);
    }
    await say(app, 'sprache', 'Hallo zusammen');
    const { page: p, context, scripts, errors } = await open(page(app, '/de', widget('room="sprache" name="Dora" lang="de"')), DESKTOP);
    await openPanel(p, 'Senden');
    assert.equal((await status(p).textContent())?.trim(), 'Verbunden');
    assert.equal(await input(p).getAttribute('placeholder'), 'Nachricht an #sprache');
    assert.equal(await p.locator('roomcast-chat [part="close-button"]').getAttribute('aria-label'), 'Chat schließen');
    assert.equal(await p.locator('roomcast-chat [part="panel"]').getAttribute('lang'), 'de');
    assert.equal(await p.locator('roomcast-chat [part="guest-badge"] [aria-hidden="true"]').first().textContent(), 'Gast');
    assert.match((await p.locator('roomcast-chat [part="members"]').textContent())?.trim() ?? '', /^\d+ Person(en)? hier$/);
    // The time of the message, as Intl formats it in German (24 h, no AM/PM).
    const time = p.locator('roomcast-chat [part="time"]').first();
    const expected = await time.evaluate((el) =>
      new Intl.DateTimeFormat('de', { hour: '2-digit', minute: '2-digit' }).format(new Date(el.getAttribute('datetime') ?? '')),
    );
    assert.equal(await time.textContent(), expected);
    assert.doesNotMatch(expected, /AM|PM/);
    assert.deepEqual(
      scripts.filter((s) => s !== '/widget.js'),
      ['/locales/de.js'],
      'the widget fetched another file than the one catalogue',
    );
    await p.screenshot({ path: join(projectRoot, 'docs', 'widget-de-desktop.png') });
    await noSeriousAxeViolation(p, 'the German widget');

    await p.locator('roomcast-chat').evaluate((el) => el.setAttribute('lang', 'fr'));
    await send(p).filter({ hasText: 'Envoyer' }).waitFor({ timeout: 5_000 });
    assert.equal((await status(p).textContent())?.trim(), 'Connecté');
    // The log renders an item again only when it changed, or the language did.
    assert.equal(await p.locator('roomcast-chat [part="guest-badge"] [aria-hidden="true"]').first().textContent(), 'invité');
    assert.deepEqual(
      scripts.filter((s) => s !== '/widget.js'),
      ['/locales/de.js', '/locales/fr.js'],
    );
    // Back to English: nothing more to fetch.
    await p.locator('roomcast-chat').evaluate((el) => el.setAttribute('lang', 'en'));
    await send(p).filter({ hasText: 'Send' }).waitFor({ timeout: 5_000 });
    assert.equal(scripts.length, 3);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('<html lang="ja"> gives Japanese without an attribute; the browser language (fr-FR, pt-BR) without one on the page; a blocked catalogue leaves English', {
    skip,
  }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const ja = await open(page(app, '/ja', widget('room="lobby"'), '<html lang="ja">'), DESKTOP);
    await openPanel(ja.page, '送信');
    assert.equal((await status(ja.page).textContent())?.trim(), '接続済み');
    assert.deepEqual(ja.scripts, ['/widget.js', '/locales/ja.js']);
    await ja.context.close();

    for (const [locale, sendLabel, catalogue] of [
      ['fr-FR', 'Envoyer', 'fr'],
      ['pt-BR', 'Enviar', 'pt'],
    ] as const) {
      const opened = await open(page(app, `/nav-${locale}`, widget('room="lobby"'), '<html>'), { ...DESKTOP, locale });
      await openPanel(opened.page, sendLabel);
      assert.deepEqual(opened.scripts, ['/widget.js', `/locales/${catalogue}.js`]);
      assert.deepEqual(opened.errors, []);
      await opened.context.close();
    }
    // A catalogue that cannot be fetched (blocked, offline): the widget works on, in English.
    const blocked = await browser().newContext(DESKTOP);
    await blocked.route('**/locales/de.js', (route) => route.abort());
    const tab = await blocked.newPage();
    const seen = watchPage(tab);
    const warnings: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await tab.goto(page(app, '/blocked', widget('room="lobby" lang="de"')));
    await openPanel(tab, 'Send');
    assert.ok(
      warnings.some((w) => w.includes('"de"')),
      `no warning about the missing catalogue: ${JSON.stringify(warnings)}`,
    );
    assert.deepEqual(seen.errors, []);
    await blocked.close();

    // A language without a catalogue: English, and nothing fetched.
    const sv = await open(page(app, '/nav-sv', widget('room="lobby"'), '<html>'), { ...DESKTOP, locale: 'sv-SE' });
    await openPanel(sv.page, 'Send');
    assert.deepEqual(sv.scripts, ['/widget.js']);
    await sv.context.close();
  });

  for (const [device, options] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    test(`lang="ar" (${device}): right to left, the launcher on the left, the composer mirrored, Arabic strings`, {
      skip,
    }, async () => {
      const app = await startApp({ ALLOWED_ORIGINS: host.origin });
      await say(app, 'arabic', 'مرحبا بالجميع');
      const { page: p, context, errors } = await open(page(app, `/ar-${device}`, widget('room="arabic" name="ليلى" lang="ar"')), options);
      const chat = p.locator('roomcast-chat');
      assert.equal(await chat.getAttribute('dir'), 'rtl');
      const width = options.viewport.width;
      const launcher = await box(p, 'launcher');
      assert.ok(launcher.x + launcher.width < width / 2, `the launcher is not on the left: ${JSON.stringify(launcher)}`);
      assert.ok(launcher.x >= 19 && launcher.x <= 21, `the launcher is not 20px from the left edge: ${launcher.x}`);

      await openPanel(p, 'إرسال');
      assert.equal((await status(p).textContent())?.trim(), 'متصل');
      const direction = await p.locator('roomcast-chat [part="composer"]').evaluate((el) => getComputedStyle(el).direction);
      assert.equal(direction, 'rtl');
      // The send button is left of the input; the title right of the status pill.
      const [button, field] = [await box(p, 'send-button'), await box(p, 'input')];
      assert.ok(button.x + button.width <= field.x + 1, `send ${JSON.stringify(button)} is not left of the input ${JSON.stringify(field)}`);
      const [title, pill] = [await box(p, 'title'), await box(p, 'status')];
      assert.ok(pill.x + pill.width <= title.x + 1, 'the status pill is not left of the title');
      // The avatar of a message is on the right of its text.
      const [avatar, text] = [await p.locator('roomcast-chat .avatar').first().boundingBox(), await box(p, 'text')];
      assert.ok(avatar && avatar.x >= text.x + text.width - 1, 'the avatar is not right of the text');
      if (device === 'desktop') {
        const panel = await box(p, 'panel');
        assert.ok(panel.x < width / 2, 'the panel does not open on the left');
      } else {
        await p.screenshot({ path: join(projectRoot, 'docs', 'widget-ar-phone.png') });
      }
      await noSeriousAxeViolation(p, `the Arabic widget (${device})`);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }

  test('lang="he": right to left with English strings (no catalogue fetched); an English widget on a right-to-left page stays left to right', {
    skip,
  }, async () => {
    const app = await startApp({ ALLOWED_ORIGINS: host.origin });
    const he = await open(page(app, '/he', widget('room="lobby" lang="he"')), DESKTOP);
    assert.equal(await he.page.locator('roomcast-chat').getAttribute('dir'), 'rtl');
    await openPanel(he.page, 'Send');
    const [button, field] = [await box(he.page, 'send-button'), await box(he.page, 'input')];
    assert.ok(button.x < field.x, 'he is not mirrored');
    assert.deepEqual(he.scripts, ['/widget.js']);
    await he.context.close();

    // The host page says rtl, for itself, in every way it can: none of it reaches the widget.
    const rtlPage = page(
      app,
      '/rtl-host',
      `<style>body, roomcast-chat { direction: rtl; }</style>${widget('room="lobby" lang="en"')}`,
      '<html lang="ar" dir="rtl">',
    );
    const en = await open(rtlPage, DESKTOP);
    assert.equal(await en.page.locator('roomcast-chat').getAttribute('dir'), 'ltr');
    const launcher = await box(en.page, 'launcher');
    assert.ok(launcher.x > DESKTOP.viewport.width / 2, 'the English launcher left the right corner');
    await openPanel(en.page, 'Send');
    const [b, f] = [await box(en.page, 'send-button'), await box(en.page, 'input')];
    assert.ok(b.x > f.x, 'the English composer took the page direction');
    await en.context.close();
  });
});

describe('our pages in other languages', () => {
  test('the room page and the index page follow the browser (pt-BR) or ?lang=; ar lays the room page out right to left', {
    skip,
  }, async () => {
    const app = await startApp();
    const pt = await open(`${app.url}/rooms/sala?name=Ana`, { ...DESKTOP, locale: 'pt-BR' });
    await pt.page.locator('roomcast-room [part="send-button"]').filter({ hasText: 'Enviar' }).waitFor({ timeout: 10_000 });
    assert.equal(await pt.page.locator('#back-label').textContent(), 'Todas as salas');
    assert.equal(await pt.page.locator('html').getAttribute('lang'), 'pt');
    assert.deepEqual(pt.scripts, ['/assets/room-page.js', '/assets/locales/pt.js']);
    await pt.context.close();

    // bypassCSP: axe is an inline script, which our CSP rightly refuses.
    const ar = await open(`${app.url}/rooms/sala?name=Ana&lang=ar`, { ...DESKTOP, bypassCSP: true });
    await ar.page.locator('roomcast-room [part="send-button"]').filter({ hasText: 'إرسال' }).waitFor({ timeout: 10_000 });
    assert.equal(await ar.page.locator('html').getAttribute('dir'), 'rtl');
    const [button, field] = await Promise.all(
      ['send-button', 'input'].map((part) => ar.page.locator(`roomcast-room [part="${part}"]`).boundingBox()),
    );
    assert.ok(button && field && button.x < field.x, 'the room page composer is not mirrored');
    await noSeriousAxeViolation(ar.page, 'the Arabic room page');
    await ar.context.close();

    const index = await open(`${app.url}/?lang=de`, DESKTOP);
    await index.page.locator('#join-heading', { hasText: 'Einen Raum betreten' }).waitFor({ timeout: 5_000 });
    assert.equal(await index.page.locator('#join-button').textContent(), 'Betreten');
    await index.page.locator('#join-button').click();
    assert.equal(await index.page.locator('#room-error').textContent(), 'Geben Sie einen Raumnamen ein.');
    assert.deepEqual(index.errors, []);
    await index.context.close();
  });

  test('the 404 pages (no page, a bad room name): one template, in English, the browser language (ja) or ?lang= (ar, right to left)', {
    skip,
  }, async () => {
    const app = await startApp();
    const cases = [
      { path: '/nope/deeper', options: DESKTOP, title: 'Nothing here', link: 'See the rooms, or pick a name for a new one', lang: 'en' },
      {
        path: '/rooms/bad%20name',
        options: { ...DESKTOP, locale: 'ja-JP' },
        title: 'ルーム名として使えません',
        link: 'ルーム一覧を見る、または新しいルーム名を決める',
        lang: 'ja',
      },
      { path: '/nope?lang=ar', options: PHONE, title: 'لا شيء هنا', link: 'تصفّح الغرف، أو اختر اسمًا لغرفة جديدة', lang: 'ar' },
    ];
    for (const { path, options, title, link, lang } of cases) {
      const opened = await open(`${app.url}${path}`, options);
      await opened.page.locator('#problem', { hasText: title }).waitFor({ timeout: 5_000 });
      assert.equal(await opened.page.title(), `${title} · roomcast`);
      assert.equal(await opened.page.locator('#home-link').textContent(), link);
      assert.notEqual(await opened.page.locator('#problem-text').textContent(), '');
      assert.equal(await opened.page.locator('html').getAttribute('lang'), lang);
      assert.equal(await opened.page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr');
      if (lang !== 'en') await opened.page.screenshot({ path: join(projectRoot, `docs/problem-page-${lang}.png`) });
      assert.deepEqual(opened.errors, []);
      await opened.context.close();
    }
  });
});
