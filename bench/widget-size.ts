/**
 * Prints the size of the built widget (dist/web/widget.js, Lit and socket.io-client inside) as
 * served and gzipped, and fails the build when the gzipped size is over the budget. Run by
 * `npm run build:web` right after esbuild; docs/performance.md records the figure.
 *
 * Usage: node --import tsx bench/widget-size.ts [--budget-kb 40]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { webBuildDir } from '../src/paths.js';

const { values } = parseArgs({ options: { 'budget-kb': { type: 'string', default: '40' } } });
const budget = Number(values['budget-kb']) * 1024;
const file = join(webBuildDir, 'widget.js');
const raw = readFileSync(file);
// Level 9, as a static server or CDN that compresses ahead of time would.
const gzipped = gzipSync(raw, { level: 9 }).length;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

console.log(`widget.js: ${kb(raw.length)} minified, ${kb(gzipped)} gzipped (budget ${kb(budget)})`);
if (gzipped > budget) {
  console.error(`widget.js is ${kb(gzipped - budget)} over its gzipped budget`);
  process.exitCode = 1;
}
