/**
 * Prints the size of the built widget as served and gzipped, and fails the build when it is over
 * budget. Up front counts dist/web/widget.js (Lit and socket.io-client inside) plus every chunk it
 * imports statically (esbuild `splitting` moves code that widget.js shares with a lazy chunk into
 * a shared chunk, which the browser fetches before the first render), each file gzipped on its
 * own, as served. Then it lists the lazy files, each against its own budget: the chunks the widget
 * imports when needed (dist/web/chunks/*.js) and the language catalogues (dist/web/locales/*.js,
 * only the chosen one is fetched) and linkify.js. Run by `npm run build:web` right after esbuild;
 * docs/performance.md#widget-size records the figures.
 *
 * Usage: node --import tsx bench/widget-size.ts [--budget-kb 40] [--lazy-budget-kb 8]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { webBuildDir } from '../src/paths.js';

const { values } = parseArgs({
  options: { 'budget-kb': { type: 'string', default: '40' }, 'lazy-budget-kb': { type: 'string', default: '8' } },
});
const budget = Number(values['budget-kb']) * 1024;
const lazyBudget = Number(values['lazy-budget-kb']) * 1024;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const name = (file: string) => relative(webBuildDir, file);

/** Raw and gzipped size; level 9, as a static server or CDN that compresses ahead of time would. */
function measure(file: string): { raw: number; gzipped: number } {
  const raw = readFileSync(file);
  return { raw: raw.length, gzipped: gzipSync(raw, { level: 9 }).length };
}

/** esbuild puts a bundle's static imports first: `import{a as b}from"./chunks/x.js";`, `import"./y.js";`. */
const LEADING_IMPORT = /^import\s*(?:[\w$,{}*\s]+from\s*)?"([^"]+)";?/;

/** `file` and the files it imports statically, transitively (what loads before it runs). */
function upFront(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  let src = readFileSync(file, 'utf8');
  for (let m = LEADING_IMPORT.exec(src); m; m = LEADING_IMPORT.exec(src)) {
    upFront(join(dirname(file), m[1] as string), seen);
    src = src.slice(m[0].length);
  }
  return seen;
}

const widget = join(webBuildDir, 'widget.js');
const first = [...upFront(widget)].map((file) => ({ file, ...measure(file) }));
for (const f of first.slice(1)) console.log(`  imported up front: ${name(f.file)}, ${kb(f.raw)} minified, ${kb(f.gzipped)} gzipped`);
const raw = first.reduce((sum, f) => sum + f.raw, 0);
const gzipped = first.reduce((sum, f) => sum + f.gzipped, 0);
const files = first.length === 1 ? 'widget.js' : `widget.js + ${first.length - 1} chunk${first.length > 2 ? 's' : ''}`;
console.log(`${files} (up front): ${kb(raw)} minified, ${kb(gzipped)} gzipped (budget ${kb(budget)})`);
if (gzipped > budget) {
  console.error(`widget.js and what it imports up front are ${kb(gzipped - budget)} over the gzipped budget`);
  process.exitCode = 1;
}

// linkify.js: an entry of its own, fetched by URL the first time a message may hold a link.
const lazy = ['chunks', 'locales']
  .map((dir) => join(webBuildDir, dir))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).flatMap((f) => (f.endsWith('.js') ? [join(dir, f)] : [])))
  .concat(join(webBuildDir, 'linkify.js'))
  .filter((file) => !first.some((f) => f.file === file))
  .map((file) => ({ file, ...measure(file) }));
for (const f of lazy.filter((f) => !f.file.includes('/locales/'))) {
  console.log(`  lazy: ${name(f.file)}, ${kb(f.raw)} minified, ${kb(f.gzipped)} gzipped`);
}
const locales = lazy.filter((f) => f.file.includes('/locales/'));
if (locales.length > 0) {
  const sizes = locales.map((f) => f.gzipped);
  console.log(`  lazy: locales/*.js (${locales.length}, one is fetched), ${kb(Math.min(...sizes))} to ${kb(Math.max(...sizes))} gzipped`);
}
for (const f of lazy.filter((f) => f.gzipped > lazyBudget)) {
  console.error(`lazy file ${name(f.file)} is ${kb(f.gzipped)} gzipped, over its budget of ${kb(lazyBudget)}`);
  process.exitCode = 1;
}
