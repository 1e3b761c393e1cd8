import { configureLocalization, type LocaleModule } from '@lit/localize';
import { assetUrl } from './asset-url.js';

/** The language the strings are written in; its catalogue is the source itself. */
export const SOURCE_LOCALE = 'en';
/** The catalogues shipped, each its own file (`locales/<code>.js`) fetched only when chosen. */
export const TARGET_LOCALES = ['de', 'fr', 'es', 'pt', 'ar', 'zh', 'ja'] as const;
const SUPPORTED: readonly string[] = [SOURCE_LOCALE, ...TARGET_LOCALES];
/** Written right to left, catalogue or not (he and fa show English strings, laid out right to left). */
const RTL = new Set(['ar', 'he', 'iw', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb']);

/** Next to the bundle that runs (widget.js or a page's bundle): the same origin and the same headers. */
const catalogueUrl = (locale: string) => assetUrl(`locales/${locale}.js`);

type Localization = ReturnType<typeof configureLocalization>;

/**
 * One configuration per @lit/localize runtime, which may be configured only once: two copies of
 * one widget version on a page (`widget.js` and `widget.js?v=2`) are two modules but import the
 * same shared chunk (chunks/*.js, Lit and the runtime), so the second uses the first's. Keyed by the
 * runtime's function: another version, with a runtime of its own, configures its own.
 */
const shared = globalThis as { roomcastLocalization?: WeakMap<object, Localization> };
shared.roomcastLocalization ??= new WeakMap();
const runtimes = shared.roomcastLocalization;
const localization =
  runtimes.get(configureLocalization) ??
  configureLocalization({
    sourceLocale: SOURCE_LOCALE,
    targetLocales: TARGET_LOCALES,
    loadLocale: (locale) => import(/* @vite-ignore */ catalogueUrl(locale)) as Promise<LocaleModule>,
  });
runtimes.set(configureLocalization, localization);
const { getLocale, setLocale } = localization;

/** The active catalogue's language (`en` until another one has loaded). */
export const activeLocale: () => string = getLocale;

/** The primary subtag, lower case: `pt-BR` -> `pt`, `zh-Hans-CN` -> `zh`. */
function primary(tag: string): string {
  return tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

/** The first of `tags` that has a catalogue (by primary subtag), else `en`. */
export function pickLocale(tags: readonly (string | null | undefined)[]): string {
  for (const tag of tags) {
    const code = tag ? primary(tag) : '';
    if (SUPPORTED.includes(code)) return code;
  }
  return SOURCE_LOCALE;
}

/** `rtl` for a language written right to left (by primary subtag), else `ltr`. */
export function directionOf(tag: string): 'ltr' | 'rtl' {
  return RTL.has(primary(tag)) ? 'rtl' : 'ltr';
}

/**
 * The language to speak given a declared `lang` (none: the browser's preferred languages): the
 * catalogue to use, and the direction of the language asked for (he: English strings, right to left).
 */
export function chooseLanguage(declared: string | null | undefined): { locale: string; dir: 'ltr' | 'rtl' } {
  const tags = declared?.trim() ? [declared] : navigator.languages.length > 0 ? navigator.languages : [navigator.language];
  const locale = pickLocale(tags);
  // From the browser, the first language sets the direction, catalogue or not.
  return { locale, dir: directionOf(locale === SOURCE_LOCALE ? (tags[0] ?? '') : locale) };
}

/**
 * Makes `locale` the active catalogue (loading its file the first time); elements that call
 * `updateWhenLocaleChanges` render again once it is in. A catalogue that fails to load leaves the
 * strings in English.
 */
export function useLocale(locale: string): Promise<void> {
  return setLocale(SUPPORTED.includes(locale) ? locale : SOURCE_LOCALE).catch((err: unknown) => {
    console.warn(`roomcast: could not load the "${locale}" strings; showing English`, err);
  });
}

const timeFormats = new Map<string, { time: Intl.DateTimeFormat; dayTime: Intl.DateTimeFormat; full: Intl.DateTimeFormat }>();

/**
 * Date formatters for the active language, made once per language: every render formats the time
 * of every message, and `toLocale*String` builds a new formatter per call, which froze a page
 * showing a busy room (seconds per message at 1,000).
 */
export function dateFormats(): { time: Intl.DateTimeFormat; dayTime: Intl.DateTimeFormat; full: Intl.DateTimeFormat } {
  const locale = getLocale();
  let formats = timeFormats.get(locale);
  if (!formats) {
    formats = {
      time: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }),
      dayTime: new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
      full: new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }),
    };
    timeFormats.set(locale, formats);
  }
  return formats;
}

const pluralRules = new Map<string, Intl.PluralRules>();

/** The CLDR plural category of `n` in the active language (`one`, `other`, ... ; `other` in ja/zh). */
export function pluralOf(n: number): Intl.LDMLPluralRule {
  const locale = getLocale();
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return rules.select(n);
}
