import { LOCALE_STATUS_EVENT } from '@lit/localize';
import { chooseLanguage, useLocale } from '../locale.js';

/**
 * Our pages speak the language asked for with `?lang=` (so a link can choose), else the browser's:
 * `<html lang dir>` say it, and `apply` (which puts the page's strings in) runs now, in English,
 * and again once the catalogue is in.
 */
export function localizePage(apply: () => void): void {
  const { locale, dir } = chooseLanguage(new URLSearchParams(location.search).get('lang'));
  document.documentElement.lang = locale;
  document.documentElement.dir = dir;
  window.addEventListener(LOCALE_STATUS_EVENT, (event) => {
    if (event.detail.status === 'ready') apply();
  });
  apply();
  void useLocale(locale);
}

/** Sets the text of the element with this id, if the page has it. */
export function setText(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element) element.textContent = text;
}
