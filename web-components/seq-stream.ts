import { backoffDelay, type ChatError, isFatal, toChatError } from './socket-link.js';

/** The server's answer to "what follows this cursor?" (`room:join`, `message:history`, `push:subscribe`). */
export interface StreamPage<T> {
  /** Changes exactly when the stream's numbering restarts. */
  epoch: string;
  /** What follows the cursor asked after, oldest first; may stop short of `lastSeq` (`more`). */
  entries: readonly T[];
  /** The stream's newest seq when the server answered. */
  lastSeq: number;
  /** More entries follow these: ask again. */
  more?: boolean;
  /** Some entries after the cursor asked after are gone for good (no longer retained). */
  truncated?: boolean;
}

export interface StreamHandlers<T> {
  /**
   * Asks the server for what follows `after`; `undefined` asks for the newest page (a first
   * request). The first request on a connection also joins or subscribes. Rejects with a `ChatError`.
   */
  fetch(after: number | undefined): Promise<StreamPage<T>>;
  /** Entries in seq order, each once; `initial` for the newest page a first request starts with. */
  deliver(entries: T[], initial: boolean): void;
  /**
   * The stream's numbering restarted (a new epoch): what was held belongs to an old stream.
   * Returns the cursor to resync from: 0 replays the new numbering, undefined starts at its newest page.
   */
  restarted(): number | undefined;
  /** Entries after the cursor were skipped: the server no longer has them. */
  lost(): void;
  /** A request was refused for a reason that retrying cannot fix. */
  failed(error: ChatError): void;
  /** The stream was confirmed on the current connection. */
  confirmed(): void;
}

/**
 * One stream of entries numbered 1, 2, 3, ... with no gap (a room's messages, a push topic),
 * followed by cursor: it delivers every entry once and in order, whatever order live entries and
 * answers arrive in. A live entry past a hole waits while the stream asks the server for what
 * follows the cursor; after every reconnect it asks again (its first request joins or subscribes);
 * a new epoch means the numbering restarted, so the cursor and what was held are dropped and it
 * resyncs. Both `ChatConnection` and `PushConnection` use it.
 */
export class SeqStream<T extends { seq: number }> {
  epoch: string | undefined;
  /** Every entry up to this seq was delivered (or is known lost); undefined before the first answer. */
  cursor: number | undefined;
  /** Whether the stream was confirmed (joined, subscribed) on the current connection. */
  confirmed = false;

  /** The newest seq known to exist. */
  private newest = 0;
  /** Entries past a hole, waiting for it to fill. */
  private readonly ahead = new Map<number, T>();
  /** Live entries that came on this connection before its first answer: that answer says what they follow. */
  private held: T[] = [];
  /** Bumped by `resume()` and `pause()`: answers to an older connection's requests are dropped. */
  private generation = 0;
  private syncing = false;
  /** Something may have been missed (a hint, a restart): ask even if no hole is known. */
  private again = false;
  private failures = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly handlers: StreamHandlers<T>) {}

  /** A new connection: confirm the stream on it, then catch up from the cursor. */
  resume(): void {
    this.pause();
    void this.sync();
  }

  /** The connection is gone: nothing is asked until `resume()`. */
  pause(): void {
    this.generation++;
    this.confirmed = false;
    this.syncing = false;
    this.held = [];
    clearTimeout(this.retryTimer);
  }

  /** A live entry: delivered now if it is the next one, else kept until the hole before it fills. */
  receive(entry: T): void {
    this.newest = Math.max(this.newest, entry.seq);
    if (!this.confirmed) {
      this.held.push(entry);
      return;
    }
    this.keep(entry);
    this.flush(false);
    if (this.cursor === undefined || this.cursor < this.newest) void this.sync();
  }

  /** The server hinted that live entries may have been lost: ask what follows the cursor. */
  hint(): void {
    this.again = true;
    void this.sync();
  }

  /** Asks until the cursor reaches the newest seq known; one loop at a time per connection. */
  private async sync(): Promise<void> {
    if (this.syncing) return;
    const generation = this.generation;
    this.syncing = true;
    clearTimeout(this.retryTimer);
    try {
      let progressed = true;
      while (generation === this.generation && progressed && this.behind()) {
        this.again = false;
        const after = this.cursor;
        const page = await this.handlers.fetch(after);
        if (generation !== this.generation) return;
        this.failures = 0;
        progressed = this.apply(after, page);
      }
      // Still behind without progress: a hole the server had not numbered yet when it answered
      // (another node's entry): ask again a little later.
      if (generation === this.generation && this.behind()) this.retryLater(generation);
    } catch (err) {
      if (generation !== this.generation) return;
      const error = toChatError(err);
      if (isFatal(error)) this.handlers.failed(error);
      else this.retryLater(generation, error.retryAfterMs);
    } finally {
      if (generation === this.generation) this.syncing = false;
    }
  }

  private behind(): boolean {
    return !this.confirmed || this.again || this.cursor === undefined || this.cursor < this.newest;
  }

  /** Takes in an answer; returns whether it moved the stream on. */
  private apply(after: number | undefined, page: StreamPage<T>): boolean {
    const before = this.cursor;
    // Another epoch, or a newest seq below what we hold (a server without epochs that restarted):
    // the answer counts from another start than our cursor; ask again from the handler's cursor.
    if ((this.epoch !== undefined && page.epoch !== this.epoch) || (after !== undefined && page.lastSeq < after)) {
      this.ahead.clear();
      this.newest = 0;
      this.cursor = this.handlers.restarted();
      this.again = true;
    } else if (after === undefined) {
      // A first request: start just before its page, or at the newest seq when it is empty.
      const first = page.entries[0];
      this.cursor = first ? first.seq - 1 : page.lastSeq;
      for (const entry of page.entries) this.keep(entry);
      this.flush(true);
    } else {
      for (const entry of page.entries) this.keep(entry);
      if (page.truncated) this.skipTo(Math.min(page.lastSeq, ...[...this.ahead.keys()].map((seq) => seq - 1)));
      this.flush(false);
    }
    this.epoch = page.epoch;
    this.newest = Math.max(this.newest, page.lastSeq);
    if (page.more) this.again = true;
    this.release();
    if (!this.confirmed) {
      this.confirmed = true;
      this.handlers.confirmed();
    }
    return this.cursor !== before || this.again;
  }

  /** What came live on this connection before its first answer, now that the cursor is known. */
  private release(): void {
    for (const entry of this.held.splice(0)) this.keep(entry);
    this.flush(false);
  }

  private keep(entry: T): void {
    if (this.cursor === undefined || entry.seq > this.cursor) this.ahead.set(entry.seq, entry);
  }

  private skipTo(seq: number): void {
    if (this.cursor === undefined || seq <= this.cursor) return;
    this.cursor = seq;
    for (const key of this.ahead.keys()) if (key <= seq) this.ahead.delete(key);
    this.handlers.lost();
  }

  /** Delivers, in order, what follows the cursor without a hole. */
  private flush(initial: boolean): void {
    if (this.cursor === undefined) return;
    const next: T[] = [];
    for (let entry = this.ahead.get(this.cursor + 1); entry; entry = this.ahead.get(this.cursor + 1)) {
      this.ahead.delete(entry.seq);
      this.cursor = entry.seq;
      next.push(entry);
    }
    if (next.length > 0) this.handlers.deliver(next, initial);
  }

  private retryLater(generation: number, retryAfterMs?: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        if (generation === this.generation) void this.sync();
      },
      retryAfterMs ?? backoffDelay(this.failures++),
    );
  }
}
