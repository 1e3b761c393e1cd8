/**
 * Builds the web client into dist/web with esbuild's JS API (run by `npm run build:web`, then
 * bench/widget-size.ts checks the widget's budget). Outputs: the pages (index-page.js,
 * room-page.js, admin-page.js, problem-page.js, inbox-page.js), linkify.js, the embeddable widget.js (+ chunks/ for what it imports lazily),
 * the language catalogues (locales/*.js), with source maps for the pages and the widget.
 *
 * The bundles swap engine.io-client's transport list for one without WebTransport: roomcast
 * connects with ['websocket', 'polling'] only (web-components/socket-link.ts) and the server does
 * not offer WebTransport, so that transport is dead weight (about 0.9 KB gzipped).
 *
 * socket.io-parser is replaced by web-components/socket-parser.ts, the same text packets without
 * binary ones, which roomcast never sends (1.2 KB gzipped).
 *
 * Lit's css`` and html`` templates are minified as they are loaded (bench/minify-templates.ts).
 *
 * Usage: node --import tsx bench/build-web.ts [--analyze]
 *   --analyze  also prints what weighs what in widget.js and its chunks (esbuild's analyzeMetafile)
 */
import { readFile, rm } from 'node:fs/promises';
import { analyzeMetafile, build, type Plugin } from 'esbuild';
import { minifyLitTemplates } from './minify-templates.js';

// Licence comments of bundled packages (Lit's) go to <name>.js.LEGAL.txt next to each file, which
// the file's last comment names: 0.3 KB gzipped off widget.js.
const common = {
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2021',
  legalComments: 'linked',
  logLevel: 'warning',
  // socket.io-client's packet parser without binary packets (web-components/socket-parser.ts).
  alias: { 'socket.io-parser': './web-components/socket-parser.ts' },
} as const;

/** engine.io-client's transports/index.js without WebTransport (same names, same order). */
const noWebTransport: Plugin = {
  name: 'engine.io-client-no-webtransport',
  setup(b) {
    b.onLoad({ filter: /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/ }, () => ({
      contents: [
        'import { XHR } from "./polling-xhr.node.js";',
        'import { WS } from "./websocket.node.js";',
        'export const transports = { websocket: WS, polling: XHR };',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * @lit/localize's id hashing (fnv1a64) is for msg() calls without an `id`; roomcast gives every
 * call one (docs: every user-visible string has an id), so the bundles get a generateMsgId that
 * returns '' instead (such a call would show its English text; 0.25 KB gzipped), and this build
 * refuses a source with a msg() call that has no `id:` before the next call.
 */
const explicitMsgIds: Plugin = {
  name: 'lit-localize-explicit-ids',
  setup(b) {
    b.onLoad({ filter: /@lit[\\/]localize[\\/]internal[\\/]id-generation\.js$/ }, () => ({
      contents: "export const HASH_DELIMITER = '\\x1e'; export function generateMsgId() { return ''; }",
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]web-components[\\/].*\.ts$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      const calls = src.split(/\bmsg\(/).slice(1);
      if (calls.some((call) => !/\bid: ['"]/.test(call))) throw new Error(`${args.path}: a msg() call without an id`);
      return undefined;
    });
  },
};

await build({
  ...common,
  entryPoints: [
    'web-components/pages/index-page.ts',
    'web-components/pages/room-page.ts',
    'web-components/pages/admin-page.ts',
    'web-components/pages/problem-page.ts',
    'web-components/pages/inbox-page.ts',
    // The linkifier the widget and the pages fetch by URL the first time a message may hold a link.
    'web-components/linkify.ts',
  ],
  sourcemap: true,
  entryNames: '[name]',
  outdir: 'dist/web',
  plugins: [explicitMsgIds, noWebTransport, minifyLitTemplates],
});
// Chunk names carry a content hash: drop the last build's, or widget-size would list them.
await rm('dist/web/chunks', { recursive: true, force: true });
const widget = await build({
  ...common,
  metafile: process.argv.includes('--analyze'),
  entryPoints: ['web-components/widget.ts'],
  splitting: true,
  sourcemap: true,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outdir: 'dist/web',
  plugins: [explicitMsgIds, noWebTransport, minifyLitTemplates],
});
if (widget.metafile) console.log(await analyzeMetafile(widget.metafile));
await build({
  ...common,
  entryPoints: ['web-components/locales/*.ts'],
  charset: 'utf8',
  outdir: 'dist/web/locales',
});
