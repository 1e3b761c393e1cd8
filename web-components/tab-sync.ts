/** What the tabs showing one room tell each other. */
type TabMessage =
  | { type: 'hello' }
  | { type: 'state'; readSeq: number }
  | { type: 'read'; seq: number }
  | { type: 'claim'; seq: number; tab: string }
  | { type: 'notified'; seq: number };

/** Without the Web Locks API: how long a tab waits for the other tabs' claims on a message. */
const CLAIM_MS = 250;
/** Seqs remembered as claimed or notified; older ones are long decided. */
const REMEMBERED = 200;

/** The part of the Web Locks API used here (`navigator.locks`). */
type Locks = Pick<LockManager, 'request' | 'query'>;

/**
 * What the page's tabs showing one room agree on: the seq read up to (over a `BroadcastChannel`),
 * so that every tab shows the same unread count, and the single tab that notifies of a message,
 * so that there is one sound and one notification however many tabs are open.
 *
 * The notifying tab is the one holding an exclusive Web Lock (`navigator.locks`): the browser
 * grants it to one tab at a time and hands it on when that tab closes or crashes, so there is no
 * timing window. A tab where the visitor reads the messages holds a shared "reading" lock; the
 * notifying tab stays quiet while any tab holds it. Without Web Locks, tabs claim each message
 * over the channel and the lowest id among the claims within 250 ms wins; without
 * BroadcastChannel each tab is on its own.
 */
export class TabSync {
  /** Every message up to this seq was seen in some tab; undefined until this tab has joined. */
  readSeq: number | undefined;

  private readonly id = Math.random().toString(36).slice(2);
  private readonly channel?: BroadcastChannel;
  private readonly locks?: Locks;
  private readonly claims = new Map<number, Set<string>>();
  private readonly notified = new Set<number>();
  /** Whether `readSeq` came from this tab or another one, rather than from the join alone. */
  private settled = false;
  /** This tab holds the notifying lock. */
  private leader = false;
  private reading = false;
  private releaseLeader?: () => void;
  private releaseReading?: () => void;
  private closed = false;

  /** `onChange` is called when another tab moved `readSeq`. */
  constructor(
    private readonly name: string,
    private readonly onChange: () => void,
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
    this.channel.onmessage = (event: MessageEvent<TabMessage>) => this.receive(event.data);
    this.post({ type: 'hello' });
  }

  /** This tab joined holding messages up to `seq`: unless another tab said otherwise, they count as read. */
  start(seq: number): void {
    this.readSeq ??= seq;
  }

  /** This tab showed every message up to `seq`: all tabs clear their count up to there. */
  read(seq: number): void {
    if (this.readSeq !== undefined && seq <= this.readSeq) return;
    this.readSeq = seq;
    this.settled = true;
    this.post({ type: 'read', seq });
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
  async claim(seq: number): Promise<boolean> {
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

  private unread(seq: number): boolean {
    return this.readSeq !== undefined && seq > this.readSeq;
  }

  /** A lock callback's promise: the lock is held until `release` is called (at once if closed). */
  private hold(granted: (release: () => void) => void): Promise<void> {
    return new Promise<void>((release) => {
      if (this.closed) return release();
      granted(release);
    });
  }

  private receive(message: TabMessage): void {
    switch (message.type) {
      case 'hello':
        if (this.readSeq !== undefined) this.post({ type: 'state', readSeq: this.readSeq });
        break;
      case 'state':
        // A new tab takes the older tabs' read state, lower or not, so that all show one count.
        if (this.settled) break;
        this.settled = true;
        this.readSeq = message.readSeq;
        this.onChange();
        break;
      case 'read':
        this.settled = true;
        if (this.readSeq !== undefined && message.seq <= this.readSeq) break;
        this.readSeq = message.seq;
        this.onChange();
        break;
      case 'claim':
        this.claimants(message.seq).add(message.tab);
        break;
      case 'notified':
        remember(this.notified, message.seq);
        break;
    }
  }

  private claimants(seq: number): Set<string> {
    let claimants = this.claims.get(seq);
    if (!claimants) {
      claimants = new Set();
      this.claims.set(seq, claimants);
      if (this.claims.size > REMEMBERED) this.claims.delete(this.claims.keys().next().value as number);
    }
    return claimants;
  }

  private post(message: TabMessage): void {
    this.channel?.postMessage(message);
  }
}

function remember(seen: Set<number>, seq: number): void {
  seen.add(seq);
  if (seen.size > REMEMBERED) seen.delete(seen.values().next().value as number);
}
