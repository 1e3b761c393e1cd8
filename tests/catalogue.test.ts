/**
 * The catalogues cannot drift from the code: every `msg()` id used in web-components/ has an entry
 * in every shipped catalogue, with the same placeholders, and no catalogue keeps an id the code no
 * longer uses. Reads the sources as text (no browser, no build).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { projectRoot } from '../src/paths.js';
import { directionOf, pickLocale, TARGET_LOCALES } from '../web-components/locale.js';

const sourceDir = join(projectRoot, 'web-components');
const localesDir = join(sourceDir, 'locales');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (path === localesDir) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

interface Used {
  /** How many `${…}` the source template has (0 for a plain string). */
  placeholders: number;
  where: string;
}

/** `msg('…', { id: 'x' })` and `msg(str`…`, { id: 'x' })`, however the formatter wrapped them. */
const MSG_CALL = /\bmsg\(\s*(?:'(?:[^'\\]|\\.)*'|str`((?:[^`\\]|\\.)*)`)\s*,\s*\{\s*id:\s*'([^']*)'/g;

function usedIds(): Map<string, Used> {
  const used = new Map<string, Used>();
  for (const file of sources(sourceDir)) {
    const text = readFileSync(file, 'utf8');
    const where = file.slice(projectRoot.length + 1);
    for (const match of text.matchAll(MSG_CALL)) {
      const [, template, id = ''] = match;
      const placeholders = template === undefined ? 0 : (template.match(/\$\{/g) ?? []).length;
      const seen = used.get(id);
      assert.ok(
        !seen || seen.placeholders === placeholders,
        `id "${id}" is used in ${seen?.where} and ${where} with different placeholders: two strings share one id`,
      );
      used.set(id, { placeholders, where });
    }
    // A call the pattern above missed would go unchecked: every `msg(` must be one it read.
    const calls = (text.match(/\bmsg\(/g) ?? []).length;
    const read = [...text.matchAll(MSG_CALL)].length;
    assert.equal(read, calls, `${where}: ${calls - read} msg() call(s) without a literal string and an explicit { id: '…' }`);
  }
  return used;
}

/** What a catalogue holds per id: the placeholder indices of a `str` template, [] for a string. */
async function catalogue(locale: string): Promise<Map<string, number[]>> {
  const { templates } = (await import(join(localesDir, `${locale}.ts`))) as {
    templates: Record<string, string | { strTag: true; strings: readonly string[]; values: unknown[] }>;
  };
  const entries = new Map<string, number[]>();
  for (const [id, value] of Object.entries(templates)) {
    if (typeof value === 'string') entries.set(id, []);
    else {
      assert.ok(value.strTag, `${locale}: "${id}" is neither a string nor a str\`\` template`);
      entries.set(id, value.values.map(Number));
    }
  }
  return entries;
}

describe('language catalogues', () => {
  const used = usedIds();

  test('the sources use msg() ids, each kebab-case', () => {
    assert.ok(used.size > 50, `only ${used.size} ids found: is the scan broken?`);
    for (const id of used.keys()) assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/, `id "${id}" is not kebab-case`);
  });

  test('one catalogue file per shipped language, and no other', () => {
    const files = readdirSync(localesDir)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => name.slice(0, -3))
      .sort();
    assert.deepEqual(files, [...TARGET_LOCALES].sort());
  });

  for (const locale of TARGET_LOCALES) {
    test(`${locale}: every id, the same placeholders, nothing stale`, async () => {
      const entries = await catalogue(locale);
      const missing = [...used.keys()].filter((id) => !entries.has(id));
      assert.deepEqual(missing, [], `${locale} lacks ${missing.length} id(s)`);
      const stale = [...entries.keys()].filter((id) => !used.has(id));
      assert.deepEqual(stale, [], `${locale} has ids no source uses`);
      for (const [id, { placeholders, where }] of used) {
        const indices = [...(entries.get(id) ?? [])].sort((a, b) => a - b);
        const expected = Array.from({ length: placeholders }, (_, i) => i);
        assert.deepEqual(indices, expected, `${locale} "${id}" (${where}): placeholders \${0}..\${${placeholders - 1}} each once`);
      }
    });
  }

  test('a language tag picks its catalogue by its primary subtag, the first one shipped wins; direction by language', () => {
    assert.equal(pickLocale(['pt-BR']), 'pt');
    assert.equal(pickLocale(['zh-Hans-CN']), 'zh');
    assert.equal(pickLocale(['DE_at']), 'de');
    assert.equal(pickLocale(['sv-SE', 'nb', 'fr-CA', 'de']), 'fr');
    assert.equal(pickLocale(['he', 'ar']), 'ar');
    for (const none of [[], ['sv'], [''], [null, undefined], ['x-klingon'], ['  ']]) assert.equal(pickLocale(none), 'en');
    for (const rtl of ['ar', 'ar-EG', 'he', 'he-IL', 'fa', 'FA-ir', 'ur']) assert.equal(directionOf(rtl), 'rtl', rtl);
    for (const ltr of ['en', 'de', 'zh-Hant', 'ja', '', 'arn', 'hu']) assert.equal(directionOf(ltr), 'ltr', ltr);
  });
});
