import type { SessionStorageLike } from './socket-link.js';

/**
 * The widget's guest session store: it reads what `backing` (the page's `localStorage`) holds, but
 * writes there only once the visitor has interacted with a widget (`grant()`). Until then a
 * session lives in memory, so a visitor who never touches the chat leaves nothing behind.
 */
export class ConsentStorage implements SessionStorageLike {
  private granted = false;
  private readonly pending = new Map<string, string>();

  constructor(private readonly backing: SessionStorageLike | undefined) {}

  getItem(key: string): string | null {
    return this.pending.get(key) ?? this.backing?.getItem(key) ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.granted && this.backing) this.backing.setItem(key, value);
    else this.pending.set(key, value);
  }

  removeItem(key: string): void {
    this.pending.delete(key);
    this.backing?.removeItem(key);
  }

  /** The visitor interacted: what was kept in memory is written, and so is whatever comes next. */
  grant(): void {
    if (this.granted) return;
    this.granted = true;
    try {
      for (const [key, value] of this.pending) this.backing?.setItem(key, value);
      this.pending.clear();
    } catch {
      // Storage full or blocked: the session lasts as long as the page.
    }
  }
}
