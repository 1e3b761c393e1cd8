import { html, type TemplateResult } from 'lit';
import { assetUrl } from './asset-url.js';
import type { Piece } from './linkify.js';

type Split = (text: string) => Piece[];

let split: Split | undefined;
let loading: Promise<void> | undefined;
const waiting = new Set<() => void>();

/** Could this text hold a link? Cheap, so plain chat never loads the linkifier. */
const MAYBE_LINK = /https?:|@/i;

/**
 * A message's text, its URLs and e-mail addresses as links. The linkifier is a file of its own
 * (linkify.js beside this bundle), fetched the first time a text may hold a link; until it is
 * there, and if it cannot be fetched, the text shows as plain text. Never HTML from text: each
 * piece is a text node or an `<a>` whose href the library found and only http(s) or mailto.
 */
export function renderText(text: string): TemplateResult | string {
  if (!split) {
    if (MAYBE_LINK.test(text)) void loadLinkifier();
    return text;
  }
  const pieces = split(text);
  if (pieces.length === 1 && typeof pieces[0] === 'string') return text;
  return html`${pieces.map((p) =>
    typeof p === 'string' ? p : html`<a href=${p.href} target="_blank" rel="noopener noreferrer nofollow ugc">${p.text}</a>`,
  )}`;
}

/** Whether links are being made yet: a log rendered before must render again once they are. */
export function linksReady(): boolean {
  return split !== undefined;
}

/** Calls `callback` once when the linkifier has loaded; returns the unsubscribe function. */
export function onLinksReady(callback: () => void): () => void {
  if (split) return () => undefined;
  waiting.add(callback);
  return () => waiting.delete(callback);
}

function loadLinkifier(): Promise<void> {
  // A URL esbuild does not follow: linkify.js stays a separate file whether or not the build splits.
  const url = assetUrl('linkify.js');
  loading ??= (import(url) as Promise<typeof import('./linkify.js')>).then(
    (module) => {
      split = module.splitLinks;
      for (const callback of waiting) callback();
      waiting.clear();
    },
    () => undefined,
  );
  return loading;
}
