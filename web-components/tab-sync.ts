/** What the tabs showing one room tell each other; `seq` is the key of what to notify of. */
type TabMessage<K> = { type: 'claim'; seq: K; tab: string } | { type: 'notified'; seq: K };

/** Without the Web Locks API: how long a tab waits for the other tabs' claims on a message. */
const CLAIM_MS = 250;
/** Seqs remembered as claimed or notified; older ones are long decided. */
const REMEMBERED = 200;

/** The part of the Web Locks API used here (`navigator.locks`). */
type Locks = Pick<LockManager, 'request' | 'query'>;

/**
 * What the page's tabs showing one room (or one inbox) agree on: the single tab that notifies of a
 * message, so that there is one sound and one notification however many tabs are open. Messages
 * are keyed by `K`: a room's seq, or for an inbox a string naming the conversation and the seq. (What is read is the
 * server's to say, for every tab and device of the user: read-state.ts.)
 *
 * The notifying tab is the one holding an exclusive Web Lock (`navigator.locks`): the browser
 * grants it to one tab at a time and hands it on when that tab closes or crashes, so there is no
 * timing window. A tab where the visitor reads the messages holds a shared "reading" lock; the
 * notifying tab stays quiet while any tab holds it. Without Web Locks, tabs claim each message
 * over the channel and the lowest id among the claims within 250 ms wins; without
 * BroadcastChannel each tab is on its own.
 */
export class TabSync<K extends number | string = number> {
  private readonly id = Math.random().toString(36).slice(2);
  private readonly channel?: BroadcastChannel;
  private readonly locks?: Locks;
  private readonly claims = new Map<K, Set<string>>();
  private readonly notified = new Set<K>();
  /** This tab holds the notifying lock. */
  private leader = false;
  private reading = false;
  private releaseLeader?: () => void;
  private releaseReading?: () => void;
  private closed = false;

  /** `unread(seq)` says whether the message `seq` is still unread. */
  constructor(
    private readonly name: string,
    private readonly unread: (seq: K) => boolean,
  ) {
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    if (locks && typeof locks.request === 'function' && typeof locks.query === 'function') {
      this.locks = locks;
      void locks.request(`${name}:notify`, () =>
        this.hold((release) => {
          this.leader = true;
          this.releaseLeader = release;
        }),
      );
    }
    if (typeof BroadcastChannel !== 'function') return;
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event: MessageEvent<TabMessage<K>>) => this.receive(event.data);
  }

  /** Whether the visitor is looking at the messages in this tab now (no tab notifies meanwhile). */
  setReading(reading: boolean): void {
    if (reading === this.reading || !this.locks) return;
    this.reading = reading;
    if (!reading) {
      this.releaseReading?.();
      this.releaseReading = undefined;
      return;
    }
    void this.locks.request(`${this.name}:reading`, { mode: 'shared' }, () =>
      this.hold((release) => {
        if (!this.reading) return release();
        this.releaseReading = release;
      }),
    );
  }

  /**
   * Resolves true in exactly one tab for a message that arrived unread (the notifying one), false
   * in the others, and in every tab when the message was read meanwhile or someone is reading.
   */
  async claim(seq: K): Promise<boolean> {
    if (this.notified.has(seq)) return false;
    if (this.locks) {
      if (!this.leader || !this.unread(seq)) return false;
      const { held = [] } = await this.locks.query();
      if (held.some((lock) => lock.name === `${this.name}:reading`) || !this.unread(seq)) return false;
      remember(this.notified, seq);
      return true;
    }
    const claimants = this.claimants(seq);
    claimants.add(this.id);
    this.post({ type: 'claim', seq, tab: this.id });
    if (this.channel) await new Promise((resolve) => setTimeout(resolve, CLAIM_MS));
    const won = !this.notified.has(seq) && this.unread(seq) && [...claimants].sort()[0] === this.id;
    if (won) {
      remember(this.notified, seq);
      this.post({ type: 'notified', seq });
    }
    return won;
  }

  close(): void {
    this.closed = true;
    this.releaseLeader?.();
    this.releaseReading?.();
    this.channel?.close();
  }

  /** A lock callback's promise: the lock is held until `release` is called (at once if closed). */
  private hold(granted: (release: () => void) => void): Promise<void> {
    return new Promise<void>((release) => {
      if (this.closed) return release();
      granted(release);
    });
  }

  private receive(message: TabMessage<K>): void {
    if (message.type === 'claim') this.claimants(message.seq).add(message.tab);
    else remember(this.notified, message.seq);
  }

  private claimants(seq: K): Set<string> {
    let claimants = this.claims.get(seq);
    if (!claimants) {
      claimants = new Set();
      this.claims.set(seq, claimants);
      if (this.claims.size > REMEMBERED) this.claims.delete(this.claims.keys().next().value as K);
    }
    return claimants;
  }

  private post(message: TabMessage<K>): void {
    this.channel?.postMessage(message);
  }
}

function remember<K>(seen: Set<K>, seq: K): void {
  seen.add(seq);
  if (seen.size > REMEMBERED) seen.delete(seen.values().next().value as K);
}
