import { msg } from '@lit/localize';
import { chime } from '../chime.js';
import { TabSync } from '../tab-sync.js';
import type { Conversation } from '../../src/protocol.js';

/** `inbox-notify` detail: what a notification is about. */
export interface InboxNotifyDetail {
  kind: 'new' | 'reply';
  conversation: Conversation;
}

/** Where the sound choice is kept (this browser, every tab). */
const SOUND_KEY = 'roomcast:inbox-sound';
/** A conversation updated this soon after it was made, with its first visitor message, is new. */
const NEW_MS = 60_000;
/** The shortest gap between two chimes. */
const CHIME_GAP_MS = 2_000;

/**
 * The inbox's notifications: a new conversation or a visitor's reply notifies in exactly one of
 * the browser's inbox tabs (`TabSync`, over Web Locks and BroadcastChannel); there it
 * chimes if the sound is on (off by default, a toggle kept in localStorage) and shows a system
 * notification while the tab is hidden and the browser allows it.
 */
export class InboxNotifier {
  sound: boolean;
  private readonly tabs: TabSync<string>;
  private audio?: AudioContext;
  private chimedAt = 0;

  constructor(
    server: string,
    /** Fires the cancelable `inbox-notify` event; false when the page cancelled it. */
    private readonly announce: (detail: InboxNotifyDetail) => boolean,
  ) {
    this.sound = readSound();
    this.tabs = new TabSync<string>(`roomcast-inbox:${new URL(server).origin}`, () => true);
  }

  /** What an `inbox:update` may notify of: a visitor message newer than the last one known. */
  static worth(next: Conversation, previous: Conversation | undefined, now = Date.now()): InboxNotifyDetail | undefined {
    const last = next.lastMessage;
    if (!last || last.author.id !== next.visitor.id || next.status === 'closed') return undefined;
    if (previous?.lastMessage && previous.lastMessage.seq >= last.seq) return undefined;
    const fresh = !previous?.lastMessage && now - next.createdAt < NEW_MS;
    return { kind: fresh ? 'new' : 'reply', conversation: next };
  }

  /** Notifies of it here if this is the one tab that should. */
  async notify(detail: InboxNotifyDetail): Promise<void> {
    const { room, lastMessage } = detail.conversation;
    if (!(await this.tabs.claim(`${room}:${lastMessage?.seq ?? 0}`))) return;
    if (!this.announce(detail)) return;
    if (this.sound && this.audio && Date.now() - this.chimedAt > CHIME_GAP_MS) {
      this.chimedAt = Date.now();
      chime(this.audio);
    }
    if (document.visibilityState === 'hidden' && typeof Notification === 'function' && Notification.permission === 'granted') {
      const { visitor } = detail.conversation;
      try {
        new Notification(
          detail.kind === 'new' ? msg('New conversation', { id: 'inbox-notify-new' }) : msg('New reply', { id: 'inbox-notify-reply' }),
          { body: `${visitor.name}: ${lastMessage?.text ?? ''}`, tag: lastMessage?.id ?? room },
        );
      } catch {
        // Android's Chrome allows notifications only from a service worker: the list still shows it.
      }
    }
  }

  /** A click or key on the page: audio may play from now on (the browsers' autoplay rule). */
  unlock(): void {
    if (!this.sound) return;
    if (!this.audio && typeof AudioContext === 'function') this.audio = new AudioContext();
    void this.audio?.resume();
  }

  setSound(on: boolean): void {
    this.sound = on;
    try {
      localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
    } catch {
      // Storage blocked: the choice holds for this page only.
    }
    this.unlock();
  }

  close(): void {
    this.tabs.close();
    void this.audio?.close();
  }
}

function readSound(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) === 'on';
  } catch {
    return false;
  }
}
