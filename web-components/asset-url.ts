/**
 * The URL of a file the web build puts beside the bundles (linkify.js, locales/<lang>.js). Not
 * simply relative to `import.meta.url`: in the widget, esbuild's `splitting` moves a module shared
 * with a lazy chunk into `chunks/`, one level below widget.js, while the pages' bundles keep it.
 */
export function assetUrl(path: string): string {
  const here = new URL(import.meta.url);
  return new URL(/\/chunks\/[^/]*$/.test(here.pathname) ? `../${path}` : path, here).href;
}
