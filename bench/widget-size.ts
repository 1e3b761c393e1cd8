/**
 * Prints the size of the built widget as served and gzipped, and fails the build when it is over
 * budget: dist/web/widget.js (Lit and socket.io-client inside), the one file a page loads up front,
 * and separately the largest lazy file: a language catalogue (dist/web/locales/*.js, only the
 * chosen one is fetched) or a chunk the widget imports when needed (dist/web/chunks/*.js). widget.js
 * must not import anything statically: a shared chunk would be a second request before the first
 * render. Run by `npm run build:web` right after esbuild; docs/performance.md records the figures.
 *
 * Usage: node --import tsx bench/widget-size.ts [--budget-kb 40] [--lazy-budget-kb 8]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { webBuildDir } from '../src/paths.js';

const { values } = parseArgs({
  options: { 'budget-kb': { type: 'string', default: '40' }, 'lazy-budget-kb': { type: 'string', default: '8' } },
});
const budget = Number(values['budget-kb']) * 1024;
const lazyBudget = Number(values['lazy-budget-kb']) * 1024;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Raw and gzipped size; level 9, as a static server or CDN that compresses ahead of time would. */
function measure(file: string): { raw: number; gzipped: number } {
  const raw = readFileSync(file);
  return { raw: raw.length, gzipped: gzipSync(raw, { level: 9 }).length };
}

function check(label: string, file: string, limit: number): void {
  const { raw, gzipped } = measure(file);
  console.log(`${label}: ${kb(raw)} minified, ${kb(gzipped)} gzipped (budget ${kb(limit)})`);
  if (gzipped > limit) {
    console.error(`${label} is ${kb(gzipped - limit)} over its gzipped budget`);
    process.exitCode = 1;
  }
}

const widget = join(webBuildDir, 'widget.js');
check('widget.js (up front)', widget, budget);

// esbuild writes a static import of a shared chunk as `import{...}from"./chunks/...` at the top.
const staticImport = /(?:^|[;}\s])import\s*(?:[\w${},*\s]+from\s*)?["'][^"']+["']/;
if (staticImport.test(readFileSync(widget, 'utf8'))) {
  console.error('widget.js imports another file up front: code shared with a lazy chunk was split out of it');
  process.exitCode = 1;
}

const lazy = ['locales', 'chunks']
  .map((dir) => join(webBuildDir, dir))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).flatMap((name) => (name.endsWith('.js') ? [join(dir, name)] : [])));
const largest = lazy.map((file) => ({ file, ...measure(file) })).sort((a, b) => b.gzipped - a.gzipped)[0];
if (largest) check(`largest lazy file (${largest.file.slice(webBuildDir.length + 1)})`, largest.file, lazyBudget);
