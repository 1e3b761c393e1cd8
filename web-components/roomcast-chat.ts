import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import type { ErrorBody, Message } from '../src/protocol.js';
import { ChatConnection } from './chat-connection.js';
import { ConsentStorage } from './consent-storage.js';
import { chooseLanguage, pluralOf, useLocale } from './locale.js';
import { trapTab } from './focus-trap.js';
import { Lazy } from './lazy.js';
import { RoomcastElement } from './roomcast-element.js';
import type { RoomcastRoom } from './roomcast-room.js';
import type { ConnectionStatus } from './socket-controller.js';
import { pageStorage, sessionKey } from './socket-link.js';
import { TabSync } from './tab-sync.js';
import type { UnreadDetail } from './read-state.js';
import { chatStyles } from './chat-styles.js';
import { chime } from './chime.js';
import { introStyles, renderIntro } from './support-intro.js';
import { theme } from './theme.js';

export type { UnreadDetail } from './read-state.js';

/** `roomcast-notify` detail. */
export interface NotifyDetail {
  message: Message;
  /** The unread count, this message included. */
  unread: number;
}

/** `roomcast-status` detail. */
export interface StatusDetail {
  status: ConnectionStatus;
  /** Why it is offline or retrying, when known (e.g. the page's origin is not allowed). */
  error?: ErrorBody;
}

/**
 * One store for every widget of the page: an interaction with any of them lets all of them keep
 * the guest session in `localStorage`; before that, nothing is written.
 */
const storage = new ConsentStorage(pageStorage());

/** `<roomcast-room>`'s parts, passed on so that the page can style `roomcast-chat::part(message)`. */
const ROOM_PARTS = [
  'header',
  'title',
  'members',
  'presence-list',
  'presence-member',
  'status',
  'banner',
  'retry-now',
  'messages',
  'message',
  'message-mine',
  'message-sending',
  'message-failed',
  'author',
  'guest-badge',
  'staff-badge',
  'time',
  'text',
  'delivery',
  'retry-button',
  'delete-button',
  'more-button',
  'quote',
  'edited',
  'reaction',
  'reply-bar',
  'load-older',
  'new-messages',
  'toast',
  'unread-divider',
  'seen-by',
  'typing',
  'composer',
  'input',
  'send-button',
  'counter',
  'error',
].join(', ');

/**
 * The panel's view, `<roomcast-room>` with everything only it uses (its styles, the message list,
 * read receipts, presence, the connection banner, the composer): a chunk of its own beside
 * widget.js. Fetched when the browser is idle after the page's load, at the latest when the
 * launcher is first pointed at, focused or opened; at once for an inline or open panel. The
 * connection (and so the badge) does not wait for it: the widget keeps it and hands it to the view.
 */
const view = new Lazy(() => import('./roomcast-room.js'));

/** Runs `task` when the browser is idle after the page has loaded (a timer where there is no `requestIdleCallback`). */
function whenIdle(task: () => void): void {
  const idle = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(task, { timeout: 3000 }) : setTimeout(task, 1000));
  if (document.readyState === 'complete') idle();
  else addEventListener('load', idle, { once: true });
}

/** The shortest gap between two chimes. */
const CHIME_GAP_MS = 2_000;

const chatIcon = html`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
  <path
    fill="currentColor"
    d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-4.3 3.6A.5.5 0 0 1 4 21.2V18a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2Zm3 6.5a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Z"
  />
</svg>`;
const closeIcon = html`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
  <path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M6 6l12 12M18 6 6 18" />
</svg>`;

/**
 * The embeddable chat widget: a launcher button (bottom right, bottom left right to left) that
 * opens a chat panel, or with `mode="inline"` the panel in place. It speaks the language of its
 * `lang` attribute, else of the page (`<html lang>`), else of the browser (en, de, fr, es, pt, ar,
 * zh, ja; others in English), and is laid out right to left for ar, he, fa and the like. Its badge
 * counts the messages from others after the user's read position, which the server keeps per user
 * (protocol 6.3): a phone and a laptop of one user show the same count, and reading on one clears
 * it on the other. The page's tabs agree on the one tab that notifies.
 *
 * @fires roomcast-message - `CustomEvent<Message>` for each new message (live or caught up after a
 *   reconnect, not loaded history); bubbles and is composed.
 * @fires roomcast-unread - `CustomEvent<UnreadDetail>` when the unread count changes (before the panel's view has loaded too).
 * @fires roomcast-notify - `CustomEvent<NotifyDetail>`, cancelable, in one tab only, for a message
 *   from someone else that arrives unread; unless cancelled the widget then chimes (`sound`) and
 *   shows a system notification (`notifications`, tab hidden).
 * @fires roomcast-status - `CustomEvent<StatusDetail>` when the connection state changes.
 * @fires roomcast-open - `CustomEvent<void>` when the panel opens.
 * @fires roomcast-close - `CustomEvent<void>` when the panel closes.
 * @csspart launcher - the round button that opens and closes the panel
 * @csspart badge - the unread count on the launcher
 * @csspart panel - the panel around the chat
 * @csspart close-button - the close button in the panel's header
 * @csspart intro - support mode: above the messages, "We usually answer within …" and, while no staff member is
 *   connected, the e-mail form (`email-form`, `email-input`, `email-button`; `email-saved` once given)
 * @csspart header - and every other part of `<roomcast-room>`: title, members, status, banner, retry-now,
 *   messages, message, message-mine, message-sending, message-failed, author, guest-badge, time, text, delivery,
 *   staff-badge, retry-button, delete-button, load-older, new-messages, toast, unread-divider, seen-by, typing, composer, input, send-button, counter, error,
 *   presence-list, presence-member
 * @cssprop --roomcast-z-index - the launcher's and panel's z-index (2147483000)
 * @cssprop --roomcast-offset-x, --roomcast-offset-y - distance from the viewport's corner (20px)
 * @cssprop --roomcast-panel-width, --roomcast-panel-height - the floating panel's size (380px, 560px)
 * @cssprop --roomcast-height - the inline panel's height (560px)
 * @cssprop --roomcast-badge-bg, --roomcast-badge-fg - the unread badge's colours
 */
export class RoomcastChat extends RoomcastElement {
  /** What `server` defaults to: the origin widget.js was loaded from (set by the widget entry). */
  static defaultServer = '';
  /** The token `roomcast.identify()` gave, for widgets added later. */
  static defaultToken: string | undefined;
  private static readonly live = new Set<RoomcastChat>();

  /** The widgets on the page. */
  static get instances(): RoomcastChat[] {
    return [...RoomcastChat.live];
  }

  static override properties = {
    room: { type: String },
    inbox: { type: String },
    replyTime: { type: Number, attribute: 'reply-time' },
    mode: { type: String, reflect: true },
    position: { type: String, reflect: true },
    heading: { type: String },
    label: { type: String },
    open: { type: Boolean, reflect: true },
    sound: { type: Boolean },
    notifications: { type: Boolean },
    token: { type: String },
    lang: { type: String, reflect: true },
    count: { state: true },
    generation: { state: true },
    started: { state: true },
  };

  /** The room to join (`^[A-Za-z0-9_-]{1,64}$`). */
  declare room: string;
  /**
   * Support mode, instead of `room`: the visitor's own conversation with this inbox's staff
   * (protocol 6.5), created by their first message. Connects when the panel first opens, or at
   * once for a visitor who has been here before (a stored session) or signed in, to count replies.
   */
  declare inbox: string;
  /** Support mode: "We usually answer within …" this many minutes; unset or 0: not said. */
  declare replyTime: number;
  /** `launcher` (default): a floating button that opens the panel; `inline`: the panel in place. */
  declare mode: 'launcher' | 'inline';
  /** Where the launcher sits: `bottom-right` (default) or `bottom-left`. */
  declare position: 'bottom-right' | 'bottom-left';
  /** The panel's title; default `#room`. */
  declare heading: string;
  /** The launcher's accessible name (default "Chat"); the unread count is added to it. */
  declare label: string;
  /** Whether the panel is open (launcher mode). */
  declare open: boolean;
  /** Chime in the notifying tab when a message arrives unread (after the visitor's first click). */
  declare sound: boolean;
  /** Ask for notification permission on first open, and notify while the tab is hidden. */
  declare notifications: boolean;
  /**
   * The language (`de`, `pt-BR`, `ar`...); unset, the page's or the browser's. Changing it switches
   * live. One language per page: the catalogue is shared by every widget of the page.
   */
  declare lang: string;
  declare private count: number;
  /** Bumped by `reset()`: a new inner room, so a new connection. */
  declare private generation: number;
  /** Support mode: the connection may start (see `inbox`). */
  declare private started: boolean;

  private tabs?: TabSync;
  /** The connection, this widget's (its badge counts before the view is there); the view shows it. */
  private chat?: ChatConnection;
  /** The view's chunk is asked for (or here). */
  private viewAsked = false;
  /** The unread count last announced as `roomcast-unread`. */
  private announced = 0;
  /** Aborted on disconnect: removes the listeners on the document and the visual viewport. */
  private listening?: AbortController;
  private roomElement?: RoomcastRoom;
  /** The connection whose state changes this widget announces. */
  private watched?: EventTarget;
  private audio?: AudioContext;
  private chimedAt = 0;
  /** Whether the keyboard focus was inside the panel when it closed, to return it to the launcher. */
  private focusInside = false;

  constructor() {
    super();
    this.room = '';
    this.inbox = '';
    this.replyTime = 0;
    this.started = false;
    this.mode = 'launcher';
    this.position = 'bottom-right';
    this.heading = '';
    this.label = '';
    this.open = false;
    this.sound = false;
    this.notifications = false;
    this.token = RoomcastChat.defaultToken;
    this.count = 0;
    this.generation = 0;
    this.addEventListener('pointerdown', this.interacted);
    this.addEventListener('keydown', this.interacted);
    updateWhenLocaleChanges(this);
  }

  /** The unread count: messages from others after the user's read position (on any device). */
  get unread(): number {
    return this.count;
  }

  /** The live connection (undefined until a room is set). */
  get connection(): ChatConnection | undefined {
    return this.chat;
  }

  /** Opens the panel. */
  show(): void {
    this.open = true;
  }

  /** Closes the panel. */
  hide(): void {
    this.open = false;
  }

  /** Forgets the identity (token and stored guest session) and reconnects as a new guest. */
  reset(): void {
    this.token = undefined;
    storage.removeItem(sessionKey(this.serverUrl));
    this.generation++;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    RoomcastChat.live.add(this);
    // Moved in the DOM: an update makes the tab sync that disconnecting closed again.
    if (!this.tabs) this.requestUpdate();
    this.listening = new AbortController();
    const { signal } = this.listening;
    document.addEventListener('visibilitychange', this.visibilityChanged, { signal });
    window.visualViewport?.addEventListener('resize', this.fitViewport, { signal });
    window.visualViewport?.addEventListener('scroll', this.fitViewport, { signal });
    whenIdle(this.askView);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    RoomcastChat.live.delete(this);
    this.listening?.abort();
    this.tabs?.close();
    this.tabs = undefined;
    this.watch(undefined);
  }

  private get serverUrl(): string {
    return this.server || RoomcastChat.defaultServer || location.origin;
  }

  private get launcher(): boolean {
    return this.mode !== 'inline';
  }

  /** The visitor is looking at the messages. */
  private get reading(): boolean {
    return (!this.launcher || this.open) && document.visibilityState === 'visible';
  }

  // Untyped maps: the private state (count, generation) is not among `keyof this`.
  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('lang') || !this.hasUpdated) this.applyLanguage();
    this.started ||= this.open || !this.launcher || !!this.token || storage.getItem(sessionKey(this.serverUrl)) !== null;
    if (!this.tabs || changed.has('room') || changed.has('inbox') || changed.has('server') || changed.has('generation')) {
      this.tabs?.close();
      this.tabs = new TabSync(
        `roomcast:${new URL(this.serverUrl).origin}:${this.inbox ? `inbox:${this.inbox}` : this.room}`,
        (seq) => seq > (this.connection?.reads.lastRead ?? seq),
      );
      this.count = 0;
    }
    if (
      !this.hasUpdated ||
      ['room', 'inbox', 'started', 'generation'].some((key) => changed.has(key)) ||
      this.reachChanged(changed as PropertyValues<this>)
    ) {
      this.connect();
    }
    this.count = this.chat?.unread ?? 0;
    if (this.open || !this.launcher) this.askView();
    if (changed.has('open') && !this.open) this.focusInside = this.matches(':focus-within');
  }

  /** Makes the connection again (closing the last one) for what the properties now say. */
  private connect(): void {
    this.release(this.chat);
    this.chat = undefined;
    if (this.inbox ? !this.started : !this.room) return;
    this.chat = new ChatConnection(this, {
      url: this.serverUrl,
      name: this.name || undefined,
      token: this.token || undefined,
      storage,
      room: this.inbox ? '' : this.room,
      inbox: this.inbox || undefined,
      onMessage: (message) => {
        this.roomElement?.announce(message);
        this.onMessage(message);
        this.emit<Message>('roomcast-message', message);
      },
    });
  }

  /** Fetches the view's chunk (once; again after a failure), then renders with it. */
  private readonly askView = (): void => {
    if (this.viewAsked) return;
    this.viewAsked = true;
    void view.load().then((loaded) => {
      this.viewAsked = loaded !== undefined;
      this.requestUpdate();
    });
  };

  protected override updated(changed: PropertyValues): void {
    const room = this.renderRoot.querySelector('roomcast-room');
    // Before its chunk has loaded, the element is a plain HTMLElement.
    this.roomElement = view.module && room ? room : undefined;
    // The view renders what the connection (hosted here) has changed.
    this.roomElement?.requestUpdate();
    this.watch(this.chat);
    this.tabs?.setReading(this.reading);
    if (this.count !== this.announced) {
      this.announced = this.count;
      this.emit<UnreadDetail>('roomcast-unread', { count: this.count });
    }
    // Not on the first render: a widget that starts open does not take the focus from the page.
    if (changed.has('open') && changed.get('open') !== undefined) this.openChanged();
  }

  /**
   * Our own direction, set on the host: the page's would otherwise be inherited through the shadow
   * root (`all: initial` leaves `direction` alone), and the launcher's corner follows it.
   */
  private applyLanguage(): void {
    // Its own lang, else the nearest ancestor's (the page's <html lang> included).
    const { locale, dir } = chooseLanguage(this.closest('[lang]')?.getAttribute('lang'));
    this.dir = dir;
    this.language = locale;
    void useLocale(locale);
  }

  /** The language of the strings shown, for the panel's `lang` (what screen readers read them in). */
  private language = '';

  private openChanged(): void {
    if (!this.open) {
      if (this.focusInside) this.renderRoot.querySelector<HTMLElement>('.launcher')?.focus();
      this.emit<void>('roomcast-close', undefined);
      return;
    }
    this.fitViewport();
    this.tabs?.setReading(this.reading);
    void this.focusView();
    this.emit<void>('roomcast-open', undefined);
  }

  /** The keyboard focus into the view's composer, once the view is there (it is asked for on opening). */
  private async focusView(): Promise<void> {
    await view.load();
    await this.updateComplete;
    if (this.open) void this.roomElement?.focusComposer();
  }

  /** Announces every change of the connection's state as `roomcast-status`. */
  private watch(connection: EventTarget | undefined): void {
    if (connection === this.watched) return;
    this.watched?.removeEventListener('statechange', this.stateChanged);
    this.watched = connection;
    connection?.addEventListener('statechange', this.stateChanged);
    // The state it already has, from before this widget listened.
    if (connection) this.stateChanged();
  }

  private readonly stateChanged = (): void => {
    const chat = this.connection;
    if (!chat) return;
    const { state } = chat;
    this.emit<StatusDetail>(
      'roomcast-status',
      state.status === 'failed' ? { status: state.status, error: state.error } : { status: state.status },
    );
  };

  private readonly visibilityChanged = (): void => this.tabs?.setReading(this.reading);

  /**
   * Full screen on a phone is the visual viewport: it shrinks when the keyboard opens, and it is
   * narrower than the layout viewport on a page that overflows sideways.
   */
  private readonly fitViewport = (): void => {
    const viewport = window.visualViewport;
    const panel = this.renderRoot?.querySelector<HTMLElement>('.panel');
    if (!viewport || !panel || !this.open) return;
    panel.style.setProperty('--_vvw', `${viewport.width}px`);
    panel.style.setProperty('--_vvh', `${viewport.height}px`);
    panel.style.setProperty('--_vvleft', `${viewport.offsetLeft}px`);
    panel.style.setProperty('--_vvtop', `${viewport.offsetTop}px`);
  };

  /** The visitor's first click or key in the widget: the guest session may be stored, audio may play. */
  private readonly interacted = (): void => {
    storage.grant();
    if (this.sound && !this.audio && typeof AudioContext === 'function') this.audio = new AudioContext();
    void this.audio?.resume();
  };

  /** A message arrived live: one tab notifies, if it is from someone else and unread. */
  private onMessage(message: Message): void {
    const chat = this.chat;
    if (!chat || !this.tabs || message.author.id === chat.user?.id || this.reading) return;
    void this.tabs.claim(message.seq).then((won) => {
      if (won) this.notify(message);
    });
  }

  private notify(message: Message): void {
    const event = new CustomEvent<NotifyDetail>('roomcast-notify', {
      detail: { message, unread: this.count },
      bubbles: true,
      composed: true,
      cancelable: true,
    });
    if (!this.dispatchEvent(event)) return;
    if (this.sound && this.audio && Date.now() - this.chimedAt > CHIME_GAP_MS) {
      this.chimedAt = Date.now();
      chime(this.audio);
    }
    if (this.notifications && document.visibilityState === 'hidden' && notificationsAllowed()) {
      try {
        // The tag makes a repeat (from another widget or tab) replace the first rather than add one.
        new Notification(`${message.author.name} · ${this.heading || this.inbox || `#${message.room}`}`, {
          body: message.text || (message.attachments?.map((a) => a.name).join(', ') ?? ''),
          tag: message.id,
        });
      } catch {
        // Android's Chrome allows notifications only from a service worker: the badge still counts.
      }
    }
  }

  private toggle(): void {
    this.open = !this.open;
    if (this.open && this.notifications && typeof Notification === 'function' && Notification.permission === 'default') {
      void Notification.requestPermission();
    }
  }

  /** The open floating panel is a modal dialog: Tab stays inside it, Esc closes it. */
  private onPanelKeydown(e: KeyboardEvent): void {
    if (!this.launcher || !this.open || e.isComposing) return;
    if (e.key === 'Tab') trapTab(e, e.currentTarget as HTMLElement);
    if (e.key !== 'Escape') return;
    e.preventDefault();
    this.open = false;
  }

  override render(): TemplateResult {
    const label = this.label || msg('Chat', { id: 'chat-label' });
    const count = this.count;
    return html`
      ${
        this.launcher
          ? html`<button
            part="launcher"
            class="launcher"
            type="button"
            aria-label=${
              count === 0
                ? label
                : pluralOf(count) === 'one'
                  ? msg(str`${label}, ${count} unread`, { id: 'launcher-unread-one' })
                  : msg(str`${label}, ${count} unread`, { id: 'launcher-unread-other' })
            }
            aria-expanded=${String(this.open)}
            aria-controls="panel"
            @pointerenter=${this.askView}
            @focus=${this.askView}
            @click=${this.toggle}
          >
            ${this.open ? closeIcon : chatIcon}
            ${count > 0 ? html`<span part="badge" class="badge" aria-hidden="true">${count > 99 ? '99+' : count}</span>` : nothing}
          </button>`
          : nothing
      }
      <div
        id="panel"
        part="panel"
        class="panel"
        lang=${this.language}
        role=${this.launcher ? 'dialog' : 'region'}
        aria-modal=${this.launcher ? 'true' : nothing}
        aria-label=${this.heading || label}
        ?hidden=${this.launcher && !this.open}
        @keydown=${this.onPanelKeydown}
      >
        ${keyed(
          this.generation,
          html`<roomcast-room
            exportparts=${ROOM_PARTS}
            .room=${this.inbox ? '' : this.room}
            .inbox=${this.started ? this.inbox : ''}
            .heading=${this.heading}
            .server=${this.serverUrl}
            .sharedConnection=${this.chat}
          >
            ${this.inbox ? renderIntro(this.connection, this.replyTime) : nothing}
            ${
              this.launcher
                ? html`<button
                  slot="actions"
                  part="close-button"
                  class="close"
                  type="button"
                  aria-label=${msg('Close chat', { id: 'close-chat' })}
                  @click=${this.hide}
                >
                  ${closeIcon}
                </button>`
                : nothing
            }
          </roomcast-room>`,
        )}
      </div>
    `;
  }

  static override styles = [theme, chatStyles, introStyles];
}

customElements.get('roomcast-chat') || customElements.define('roomcast-chat', RoomcastChat);

declare global {
  interface HTMLElementTagNameMap {
    'roomcast-chat': RoomcastChat;
  }
  interface HTMLElementEventMap {
    'roomcast-unread': CustomEvent<UnreadDetail>;
    'roomcast-notify': CustomEvent<NotifyDetail>;
    'roomcast-status': CustomEvent<StatusDetail>;
  }
}

function notificationsAllowed(): boolean {
  return typeof Notification === 'function' && Notification.permission === 'granted';
}
