/**
 * Where a browser lacks constructable stylesheets, Lit adds `<style>` elements, which a host page's
 * CSP blocks unless they carry its nonce: Lit takes it from `window.litNonce`. A module script has
 * no `document.currentScript`, so the widget finds its own tag by URL and passes on the tag's
 * `nonce` (or `data-nonce`), unless the page set `litNonce` itself. Imported first by the widget,
 * before any element renders.
 */
const self = new URL(import.meta.url);
const tag = Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]')).find((script) => {
  const src = new URL(script.src, document.baseURI);
  return src.origin === self.origin && src.pathname === self.pathname;
});
const nonce = tag?.nonce || tag?.dataset.nonce;
if (nonce && window.litNonce === undefined) window.litNonce = nonce;

declare global {
  interface Window {
    litNonce?: string;
  }
}

export {};
