import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';
import type { RoomcastRoom } from '../web-components/roomcast-room.js';
import type { Sent, View } from './chaos-helpers.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why this machine skips browser tests; false when it runs them. CI must run them. */
export const skipBrowser =
  !existsSync(chromiumPath) && !process.env.CI ? `no Chromium at ${chromiumPath} (apt-get install chromium)` : false;
if (skipBrowser) console.warn(`SKIPPING browser tests: ${skipBrowser}`);

/**
 * Builds dist/web from the current sources (so a test never sees a stale bundle) and launches
 * headless Chromium before the file's tests, and closes it after. Returns a getter for it.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async () => {
    if (skipBrowser) return;
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: projectRoot, stdio: 'pipe' });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  });
  after(() => browser?.close());
  return () => {
    if (!browser) throw new Error('the browser is not running (skipped, or before() failed)');
    return browser;
  };
}

const axePath = new URL('../node_modules/axe-core/axe.min.js', import.meta.url).pathname;

/** Runs axe-core in the page and fails on any serious or critical violation, naming `what`. */
export async function noSeriousAxeViolation(page: Page, what: string): Promise<void> {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }
    ).axe;
    const { violations } = await axe.run();
    return violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${what}: ${JSON.stringify(serious, null, 2)}`);
}

/** Records what must not happen on a page: uncaught errors and dialogs (alert() from injected HTML). */
export function watchPage(page: Page): { errors: string[]; dialogs: string[] } {
  const seen = { errors: [] as string[], dialogs: [] as string[] };
  page.on('pageerror', (err) => seen.errors.push(err.message));
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return seen;
}

export interface Opened {
  page: Page;
  context: BrowserContext;
  errors: string[];
  dialogs: string[];
}

/** Opens `url` in a new page of `where`: a context (a tab of that user), or a new context of a browser (another user). */
export async function openPage(url: string, where: Browser | BrowserContext): Promise<Opened> {
  const context = 'newContext' in where ? await where.newContext() : where;
  const page = await context.newPage();
  const watched = watchPage(page);
  await page.goto(url);
  return { page, context, ...watched };
}

/** A room page of the guest `name`, connected. */
export async function openRoom(appUrl: string, room: string, name: string, where: Browser | BrowserContext): Promise<Opened> {
  const opened = await openPage(`${appUrl}/rooms/${room}?name=${name}`, where);
  await showsStatus(opened.page, 'connected');
  return opened;
}

/**
 * The embedding site: a tiny HTTP server on another port (so another origin than roomcast's),
 * serving the pages each test registers, with its own hostile styles: a 10 px root font size,
 * a serif font, pink uppercase buttons. It runs from before the file's tests to after them.
 */
export function useHostSite() {
  const host = {
    origin: '',
    pages: new Map<string, { html: string; headers: Record<string, string> }>(),
    /** Registers a page and returns its URL. */
    page(path: string, html: string, headers: Record<string, string> = {}): string {
      this.pages.set(path, { html, headers });
      return `${this.origin}${path}`;
    },
  };
  let server: Server | undefined;
  before(async () => {
    if (skipBrowser) return;
    server = createServer((req, res) => {
      const page = host.pages.get(new URL(req.url ?? '/', 'http://host').pathname);
      if (!page) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...page.headers }).end(page.html);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    host.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server?.closeAllConnections();
    server?.close();
  });
  return host;
}

/** A host page with the snippet: the script tag (`copies` times, with other URLs) and `body`. */
export function hostPage(appUrl: string, body: string, { nonce = '', copies = 1 } = {}): string {
  const n = nonce ? ` nonce="${nonce}"` : '';
  const scripts = Array.from(
    { length: copies },
    (_, i) => `<script type="module"${n} src="${appUrl}/widget.js${i ? `?copy=${i + 1}` : ''}"></script>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A host page</title>
<style${n}>
  html { font-size: 10px; }
  body { margin: 0; padding: 2rem; font: 2rem/3 Georgia, serif; color: #4a1d1d; background: #fffdf5; }
  button, textarea { background: hotpink; font-size: 1rem; text-transform: uppercase; }
  * { letter-spacing: 0.1em; }
</style>
${scripts}
</head>
<body>
<main><h1>A host page</h1><p>Its own styles, on another origin. <a href="#top">A link on the page</a></p></main>
${body}
</body>
</html>`;
}

export function widget(attrs: string): string {
  return `<roomcast-chat ${attrs}></roomcast-chat>`;
}

/*
 * What a page shows, read from its DOM (the room page's `<roomcast-room>`, or the one inside the
 * widget: Playwright's CSS selectors pierce open shadow roots).
 */

/** The room's status pill. */
export function statusPill(page: Page) {
  return page.locator('roomcast-room [part="status"]');
}

/** Resolves once the status pill says `state` (connecting, connected, reconnecting, offline, failed). */
export async function showsStatus(page: Page, state: string, ms = 10_000): Promise<void> {
  await page.locator(`roomcast-room [part="status"][data-state="${state}"]`).waitFor({ state: 'attached', timeout: ms });
}

/** One change of what the status pill said: when (ms since the epoch), what, and whether the browser was online. */
export interface StatusRecord {
  at: number;
  state: string;
  text: string;
  online: boolean;
}

/**
 * From now on the page records every change of what its status pill says, with
 * `navigator.onLine` at that moment; `statusLog(page)` reads the records.
 */
export async function recordStatus(page: Page): Promise<void> {
  // Anonymous functions only: a named one would call tsx's __name helper, which the page lacks.
  await page.locator('roomcast-room').evaluate((room) => {
    const log: { at: number; state: string; text: string; online: boolean }[] = [];
    (window as unknown as { statusLog: typeof log }).statusLog = log;
    const observer = new MutationObserver(() => {
      const pill = room.shadowRoot?.querySelector('[part="status"]');
      const state = pill?.getAttribute('data-state') ?? '';
      const text = (pill?.textContent ?? '').replace(/\s+/g, ' ').trim();
      const last = log.at(-1);
      if (last?.state !== state || last.text !== text) log.push({ at: Date.now(), state, text, online: navigator.onLine });
    });
    observer.observe(room.shadowRoot as ShadowRoot, { subtree: true, childList: true, attributes: true, characterData: true });
    const pill = room.shadowRoot?.querySelector('[part="status"]');
    log.push({
      at: Date.now(),
      state: pill?.getAttribute('data-state') ?? '',
      text: (pill?.textContent ?? '').replace(/\s+/g, ' ').trim(),
      online: navigator.onLine,
    });
  });
}

/** What the status pill said since `recordStatus(page)`. */
export function statusLog(page: Page): Promise<StatusRecord[]> {
  return page.evaluate(() => (window as unknown as { statusLog: StatusRecord[] }).statusLog);
}

/** A message item as the page shows it. */
export interface Item {
  state: string;
  seq?: number;
  clientId?: string;
  text: string;
}

/** Every message item of the page's room, in display order. */
export function pageItems(page: Page): Promise<Item[]> {
  return page.locator('roomcast-room li.message').evaluateAll((items) =>
    items.map((li) => {
      const seq = li.getAttribute('data-seq');
      const clientId = li.getAttribute('data-client-id');
      return {
        state: li.getAttribute('data-state') ?? '',
        ...(seq === null ? {} : { seq: Number(seq) }),
        ...(clientId === null ? {} : { clientId }),
        text: li.querySelector('[part="text"]')?.textContent ?? '',
      };
    }),
  );
}

/**
 * What the page shows of its room, for `checkViews`: the stored messages (seq, text, clientId)
 * and, after them, the user's own not yet acknowledged. Fails if one of those shows before a
 * stored one.
 */
export async function pageView(page: Page, client: string, room: string): Promise<View> {
  const items = await pageItems(page);
  const firstPending = items.findIndex((item) => item.state !== 'sent');
  const sentAfter = firstPending < 0 ? -1 : items.findIndex((item, i) => i > firstPending && item.state === 'sent');
  assert.equal(sentAfter, -1, `${client} shows a stored message after one of its own not yet sent: ${JSON.stringify(items)}`);
  const sent = items.filter((item) => item.state === 'sent');
  return {
    client,
    room,
    fields: ['seq', 'text', 'clientId'],
    messages: sent.map(({ seq, text, clientId }) => ({ seq: seq ?? 0, text, ...(clientId ? { clientId } : {}) })),
    pending: items.filter((item) => item.state !== 'sent').map(({ clientId, text }) => ({ clientId: clientId ?? '', text })),
  };
}

/** The id of the user the page's room is connected as (known once it has connected). */
export async function pageUser(page: Page): Promise<string> {
  const id = await page.locator('roomcast-room').evaluate((room) => (room as RoomcastRoom).connection?.user?.id);
  assert.ok(id, 'the page does not know its user yet');
  return id;
}

/**
 * Types `text` into the composer and presses Enter (or clicks Send), as a user does, and returns what was sent:
 * the clientId the page gave it (read from its item, which shows at once), for `checkViews`.
 * Texts must be unique within the room.
 */
export async function sendFrom(page: Page, room: string, text: string, { click = false } = {}): Promise<Sent> {
  const input = page.getByLabel('Message', { exact: true });
  const item = page.locator('roomcast-room li.message').filter({
    has: page.locator('[part="text"]', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
  });
  // Each step has its own timeout, and a failure says what the page showed.
  try {
    await input.fill(text, { timeout: 5_000 });
    if (click) await page.getByRole('button', { name: 'Send', exact: true }).click({ timeout: 5_000 });
    else await input.press('Enter', { timeout: 5_000 });
    await item.waitFor({ state: 'attached', timeout: 5_000 });
  } catch (err) {
    const status = await statusPill(page).textContent();
    const items = (await pageItems(page)).slice(-5);
    const draft = await input.inputValue({ timeout: 1_000 }).catch(() => '(unreadable)');
    throw new Error(
      `"${text}" not shown: ${(err as Error).message}\nstatus ${status?.trim()}, draft "${draft}", last items ${JSON.stringify(items)}`,
    );
  }
  const clientId = await item.getAttribute('data-client-id');
  assert.ok(clientId, `"${text}" shows without a clientId`);
  return { room, author: await pageUser(page), clientId, text };
}

/**
 * A user typing into the page's room without pause: `${prefix} 0`, `${prefix} 1`, ... every
 * `intervalMs`, whatever the connection does (the outbox holds what cannot go yet), until
 * `stop()`, which resolves with everything sent.
 */
export function startTyping(page: Page, room: string, prefix: string, intervalMs = 150) {
  const sent: Sent[] = [];
  let stopped = false;
  // Why typing stopped, when a send failed: `reached` reports it instead of only a count.
  let failure: unknown;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      sent.push(await sendFrom(page, room, `${prefix} ${i}`));
      await delay(intervalMs);
    }
  })();
  loop.catch((err: unknown) => {
    failure = err;
  });
  return {
    sent,
    /** Resolves once the page has typed `count` messages in all; rejects with why typing stopped, or after `ms`. */
    async reached(count: number, ms = 30_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (sent.length < count) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline || stopped) throw new Error(`${prefix} typed ${sent.length} of ${count}`);
        await delay(intervalMs);
      }
    },
    async stop(): Promise<Sent[]> {
      stopped = true;
      await loop;
      return sent;
    },
  };
}

/**
 * Resolves once the page shows nothing pending (every message it sent is acknowledged) and holds
 * the room's messages up to `seq`.
 */
export async function delivered(page: Page, seq: number, ms = 30_000): Promise<void> {
  await page.waitForFunction(
    (upTo) => {
      const room =
        document.querySelector('roomcast-room') ?? document.querySelector('roomcast-chat')?.shadowRoot?.querySelector('roomcast-room');
      const items = [...(room?.shadowRoot?.querySelectorAll('li.message') ?? [])];
      return (
        items.every((li) => li.getAttribute('data-state') === 'sent') && items.some((li) => Number(li.getAttribute('data-seq')) >= upTo)
      );
    },
    seq,
    { timeout: ms },
  );
}
