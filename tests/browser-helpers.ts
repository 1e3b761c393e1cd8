import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';

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
