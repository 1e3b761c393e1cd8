/** What the tabs showing one room tell each other. */
type TabMessage =
  | { type: 'hello' }
  | { type: 'state'; readSeq: number }
  | { type: 'read'; seq: number }
  | { type: 'claim'; seq: number; tab: string }
  | { type: 'notified'; seq: number };

/** How long a tab waits for the other tabs' claims on a message before deciding who notifies. */
const CLAIM_MS = 250;
/** Seqs remembered as claimed or notified; older ones are long decided. */
const REMEMBERED = 200;

/**
 * What the page's tabs showing one room agree on, over a `BroadcastChannel`: the seq read up to,
 * so that every tab shows the same unread count, and which single tab notifies of a message, so
 * that there is one sound and one notification however many tabs are open. Without
 * BroadcastChannel each tab is on its own.
 */
export class TabSync {
  /** Every message up to this seq was seen in some tab; undefined until this tab has joined. */
  readSeq: number | undefined;

  private readonly id = Math.random().toString(36).slice(2);
  private readonly channel?: BroadcastChannel;
  private readonly claims = new Map<number, Set<string>>();
  private readonly notified = new Set<number>();
  /** Whether `readSeq` came from this tab or another one, rather than from the join alone. */
  private settled = false;

  /** `onChange` is called when another tab moved `readSeq`. */
  constructor(
    name: string,
    private readonly onChange: () => void,
  ) {
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

  /**
   * Resolves true in exactly one of the tabs that claim `seq` at about the same time (the one with
   * the lowest id), and false in the others, and in every tab when the message was read meanwhile.
   */
  async claim(seq: number): Promise<boolean> {
    if (this.notified.has(seq)) return false;
    const claimants = this.claimants(seq);
    claimants.add(this.id);
    this.post({ type: 'claim', seq, tab: this.id });
    if (this.channel) await new Promise((resolve) => setTimeout(resolve, CLAIM_MS));
    const won =
      !this.notified.has(seq) &&
      this.readSeq !== undefined &&
      seq > this.readSeq &&
      [...claimants].sort()[0] === this.id;
    if (won) {
      remember(this.notified, seq);
      this.post({ type: 'notified', seq });
    }
    return won;
  }

  close(): void {
    this.channel?.close();
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
