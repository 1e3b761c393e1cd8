// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are TypeScript sources given to the minifier
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { transformSync } from 'esbuild';
import { minifyTemplates } from '../bench/minify-templates.js';

const dir = join(import.meta.dirname, '..', 'web-components');
const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

test('minifyTemplates: css`` loses comments and spaces but keeps strings and the space next to ${} parts', () => {
  const src =
    "const s = css`\n  /* note */\n  :host {\n    margin: ${a} ${b};\n    content: ' a  b ';\n  }\n  a > b, c:hover { color: red; }\n`;";
  assert.equal(minifyTemplates(src), "const s = css`:host{margin:${a} ${b};content:' a  b ';}a > b,c:hover{color:red;}`;");
});

test('minifyTemplates: html`` keeps one space for each line break, parts and nested templates intact', () => {
  const src = 'x = html`<p\n   class="a"\n   .value=${v}>\n  ${c ? html`<b>\n  x</b>` : \'\\n  y\'}\n</p>`;';
  assert.equal(minifyTemplates(src), 'x = html`<p class="a" .value=${v}> ${c ? html`<b> x</b>` : \'\\n  y\'} </p>`;');
  // Untagged templates, <pre> and text inside a <textarea> are left as written.
  for (const keep of ['x = `a\n  b`;', 'x = html`<pre>\n a</pre>`;', 'x = html`<textarea>\n a</textarea>`;'])
    assert.equal(minifyTemplates(keep), keep);
});

test('minifyTemplates: on every web-components source only whitespace and comments change, and it still compiles', () => {
  const bare = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, '');
  let saved = 0;
  for (const file of sources) {
    const src = readFileSync(join(dir, file), 'utf8');
    const out = minifyTemplates(src);
    assert.equal(bare(out), bare(src), file);
    assert.doesNotThrow(() => transformSync(out, { loader: 'ts' }), file);
    saved += src.length - out.length;
  }
  assert.ok(saved > 5000, `only ${saved} characters saved`);
});
