import type { Member } from '../src/protocol.js';

const THROTTLE_MS = 2_000;
const IDLE_MS = 3_000;
/** A safety net for a lost `typing: false`: the server's own expiry is 5 s. */
const EXPIRY_MS = 6_000;

/**
 * Both sides of "… is typing" for one room: the user's own flag, sent at most every 2 s and
 * cleared after 3 s without a keystroke, and the other people typing now, each forgotten 6 s after
 * their last word on it.
 */
export class Typing {
  /** Other people typing right now. */
  members: Member[] = [];

  private sentAt = 0;
  private idleTimer?: ReturnType<typeof setTimeout>;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly io: {
      /** Sends the user's flag; returns whether it could. */
      emit(typing: boolean): boolean;
      changed(): void;
    },
  ) {}

  /** Call on every keystroke with `true`, and with `false` when the draft is sent or cleared. */
  set(typing: boolean): void {
    clearTimeout(this.idleTimer);
    if (typing) {
      if (Date.now() - this.sentAt >= THROTTLE_MS && this.io.emit(true)) this.sentAt = Date.now();
      this.idleTimer = setTimeout(() => this.set(false), IDLE_MS);
    } else if (this.sentAt > 0) {
      this.sentAt = 0;
      this.io.emit(false);
    }
  }

  start(user: Member): void {
    clearTimeout(this.timers.get(user.id));
    this.timers.set(
      user.id,
      setTimeout(() => this.stop(user.id), EXPIRY_MS),
    );
    this.members = [...this.members.filter((m) => m.id !== user.id), user];
    this.io.changed();
  }

  stop(id: string): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(id);
    this.members = this.members.filter((m) => m.id !== id);
    this.io.changed();
  }

  /** The connection is gone: nobody is known to be typing, and our own flag starts over. */
  clear(): void {
    clearTimeout(this.idleTimer);
    this.sentAt = 0;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.members.length > 0) {
      this.members = [];
      this.io.changed();
    }
  }
}
