/**
 * A module the widget loads on first use (esbuild `splitting` makes each `import()` a chunk of its
 * own beside widget.js, fetched relative to it): `load()` fetches it once, `module` is there once
 * it has loaded, for render code that cannot wait. A failed fetch (offline) is forgotten, so that
 * the next use tries again.
 */
export class Lazy<T> {
  module: T | undefined;
  private loading: Promise<T | undefined> | undefined;

  constructor(private readonly fetch: () => Promise<T>) {}

  /** The module, or undefined if it could not be fetched. */
  load(): Promise<T | undefined> {
    this.loading ??= this.fetch().then(
      (module) => (this.module = module),
      () => (this.loading = undefined),
    );
    return this.loading;
  }
}
