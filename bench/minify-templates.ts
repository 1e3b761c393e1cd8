/**
 * Build-time minifier for Lit's css`` and html`` templates in web-components/ sources (an esbuild
 * plugin used by bench/build-web.ts). esbuild keeps template literals as written, indentation and
 * comments included; this removes what cannot change what renders:
 * - css``: comments go, whitespace runs become one space, and the space next to `{ } ; ,` and
 *   after `:` goes, outside quoted strings. Whitespace next to a `${}` part stays (one space).
 * - html``: a whitespace run that holds a line break becomes one space (what the browser renders
 *   anyway outside pre/pre-wrap). Templates with `<pre` or text inside a `<textarea>` are left
 *   alone; roomcast's pre-wrap element (.text) has no static text. `${}` parts, attribute bindings
 *   and everything inside `${}` other than nested templates are not touched.
 * The transform is textual on the TypeScript source; `${` expressions are skipped by counting
 * braces, strings and nested templates (which are minified in turn).
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

type Kind = 'css' | 'html' | 'plain';

export function minifyCss(text: string, atStart: boolean, atEnd: boolean): string {
  let out = '';
  // Split off quoted strings so their contents stay as written.
  for (const [i, piece] of text.split(/("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/s).entries()) {
    if (i % 2 === 1) {
      out += piece;
      continue;
    }
    out += piece
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, ' ')
      .replace(/ ?([{};,]) ?/g, '$1')
      .replace(/: /g, ':');
  }
  if (atStart) out = out.replace(/^ /, '');
  if (atEnd) out = out.replace(/ $/, '');
  return out;
}

export function minifyHtml(text: string): string {
  return text.replace(/[ \t]*\n\s*/g, ' ');
}

/** Returns [index after the closing backtick, minified template text] for a template at `start` (just past the backtick). */
function template(src: string, start: number, kind: Kind): [number, string] {
  const statics: string[] = [];
  const exprs: string[] = [];
  let i = start;
  let chunk = '';
  for (;;) {
    const c = src[i];
    if (c === undefined) throw new Error('unterminated template literal');
    if (c === '\\') {
      chunk += src.slice(i, i + 2);
      i += 2;
    } else if (c === '`') {
      statics.push(chunk);
      i++;
      break;
    } else if (c === '$' && src[i + 1] === '{') {
      statics.push(chunk);
      chunk = '';
      const [end, expr] = code(src, i + 2, true);
      exprs.push(expr);
      i = end;
    } else {
      chunk += c;
      i++;
    }
  }
  const whole = statics.join('');
  const keep = kind === 'plain' || (kind === 'html' && (/<pre[\s>]/i.test(whole) || /<textarea[^>]*>[^<]/i.test(whole)));
  const mini = statics.map((s, n) => (keep ? s : kind === 'css' ? minifyCss(s, n === 0, n === statics.length - 1) : minifyHtml(s)));
  let out = '';
  for (let n = 0; n < mini.length; n++) out += mini[n] + (n < exprs.length ? `\${${exprs[n]}}` : '');
  return [i, out];
}

/**
 * Copies code from `start` with the templates in it minified: a `${}` expression up to its closing
 * brace (`nested`; returns the index after the brace), or the whole rest of the source.
 */
function code(src: string, start: number, nested: boolean): [number, string] {
  let depth = 0;
  let i = start;
  let out = '';
  while (i < src.length) {
    const c = src[i] as string;
    if (nested && c === '}' && depth === 0) return [i + 1, out];
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === '/' && (src[i + 1] === '/' || src[i + 1] === '*')) {
      const end = src[i + 1] === '/' ? src.indexOf('\n', i) : src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : src[i + 1] === '/' ? end : end + 2;
      out += src.slice(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      const end = stringEnd(src, i);
      out += src.slice(i, end);
      i = end;
    } else if (c === '`') {
      const [end, text] = template(src, i + 1, tagBefore(out));
      out += `\`${text}\``;
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  if (nested) throw new Error('unterminated expression in template literal');
  return [i, out];
}

function stringEnd(src: string, start: number): number {
  const q = src[start];
  let i = start + 1;
  while (i < src.length && src[i] !== q) i += src[i] === '\\' ? 2 : 1;
  return i + 1;
}

function tagBefore(code: string): Kind {
  const m = /(?:^|[^\w$.])(css|html)\s*$/.exec(code);
  return (m?.[1] as Kind | undefined) ?? 'plain';
}

/** Minifies every css`` and html`` template in a TypeScript source. */
export function minifyTemplates(src: string): string {
  return code(src, 0, false)[1];
}

/** esbuild plugin: minifies the templates of web-components/ sources as they are loaded. */
export const minifyLitTemplates: Plugin = {
  name: 'minify-lit-templates',
  setup(b) {
    b.onLoad({ filter: /[\\/]web-components[\\/].*\.ts$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      return { contents: /\b(css|html)`/.test(src) ? minifyTemplates(src) : src, loader: 'ts' };
    });
  },
};
