import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { Member, Message } from '../src/protocol.js';
import type { AttachmentTray } from './attachment-tray.js';
import { acceptDrops, attachmentStyles, formatSize, pastedFiles, renderFileButton, showPrivateFiles } from './attachments.js';
import { ChatConnection, isSupportRoom } from './chat-connection.js';
import { renderBanner, renderStatus, statusStyles } from './connection-status.js';
import { errorText } from './error-text.js';
import { Lazy } from './lazy.js';
import { pluralOf } from './locale.js';
import { MessageMenu, menuStyles } from './message-menu.js';
import { reactionStyles } from './reactions.js';
import { counterStyles, draftLength, renderCounter } from './length-counter.js';
import { onLinksReady } from './message-text.js';
import { presenceStyles, renderPresence } from './presence-list.js';
import type { UnreadDetail } from './read-state.js';
import { LiveAnnouncer } from './live-announcer.js';
import { logStyles, renderLog } from './room-log.js';
import { RoomcastElement } from './roomcast-element.js';
import { roomStyles } from './room-styles.js';
import { ChatError } from './socket-link.js';
import { theme } from './theme.js';

/** The composer's tray of files: loaded the first time a file is picked, dropped or pasted. */
const trayModule = new Lazy(() => import('./attachment-tray.js'));

/** How close to the bottom (px) still counts as "reading the newest". */
const BOTTOM_SLACK_PX = 48;
/** How long a confirmation such as "Link copied" stays. */
const SAID_MS = 3000;

/**
 * One chat room, live. What the user sends shows at once and stays, "Sending…", until the server
 * has it, across reconnects and reloads; the draft is kept too; the header says truthfully whether
 * the room is connected, and when it will try again if not.
 *
 * @fires roomcast-message - `CustomEvent<Message>` for each message that arrives while open
 *   (not for loaded history); bubbles and is composed.
 * @fires roomcast-unread - `CustomEvent<UnreadDetail>` when the unread count changes: messages from
 *   others after the user's read position, which the server keeps for all their devices.
 * @slot actions - buttons at the end of the header (the widget's close button)
 * @slot intro - above the messages (the widget's reply time and e-mail field in support mode)
 * @csspart header - the bar with the room name, member count and connection state
 * @csspart title - the room name
 * @csspart members - the member count, a button that opens the list of who is here
 * @csspart presence-list - that list; `presence-member` each entry (name, and `guest-badge` for a guest)
 * @csspart status - the connection state (`data-state`: connecting, connected, reconnecting, offline, failed)
 * @csspart banner - the line under the header while not connected: the countdown, offline, or why it failed
 * @csspart retry-now - the "Retry now" button in the banner while it waits to reconnect
 * @csspart messages - the scrolling message list
 * @csspart message - one message; also `message-mine` on your own, `message-sending` and
 *   `message-failed` on yours the server does not have yet
 * @csspart author - a message's author name
 * @csspart guest-badge - the "guest" mark beside a guest's name (anyone can take any guest name)
 * @csspart staff-badge - the "staff" mark beside the name of a support conversation's staff member (set by the server only)
 * @csspart time - a message's time
 * @csspart text - a message's text
 * @csspart delivery - "Sending…" or "Not sent" under a message of yours the server does not have yet
 * @csspart retry-button - sends a failed message again
 * @csspart delete-button - drops a failed message
 * @csspart more-button - a message's "More actions" (⋯) button, opening its menu (Reply, React, Edit, Delete, Copy link)
 * @csspart quote - the one-line quote of the message a reply answers
 * @csspart edited - "(edited)" after an edited message's text
 * @csspart reaction - a reaction chip ("👍 2"; `aria-pressed` on the user's own)
 * @csspart reply-bar - "Replying to …" above the composer
 * @csspart load-older - the "load older messages" button
 * @csspart new-messages - the "N new messages" or "Jump to newest" button shown while scrolled up
 * @csspart toast - a short confirmation over the messages for a moment ("Link copied"), a polite status
 * @csspart unread-divider - the "New messages" line before the first message unread on entry
 * @csspart seen-by - "Seen by …" under the newest message each other member has read
 * @csspart typing - the "… is typing" line
 * @csspart composer - the form around the input
 * @csspart input - the message input
 * @csspart send-button - the send button
 * @csspart counter - near the length limit, the characters left, or by how many the message is too long
 * @csspart attach-button - the paperclip that picks files to send (files can also be dropped on the room or pasted)
 * @csspart attachment-tray - the files waiting to be sent, above the composer
 * @csspart attachments - a message's files; `attachment-image` an inline image, `attachment-file` a file chip
 * @csspart error - the inline error under the input
 * @cssprop --roomcast-font - font family (system stack)
 * @cssprop --roomcast-bg, --roomcast-surface, --roomcast-fg, --roomcast-muted, --roomcast-border -
 *   colours, with light and dark defaults
 * @cssprop --roomcast-accent, --roomcast-accent-fg - buttons, links, focus ring
 * @cssprop --roomcast-success, --roomcast-warning, --roomcast-danger - state colours
 * @cssprop --roomcast-radius - corner radius (12px)
 * @cssprop --roomcast-height - the element's height (560px)
 */
export class RoomcastRoom extends RoomcastElement {
  static override properties = {
    room: { type: String },
    inbox: { type: String },
    heading: { type: String },
    sharedConnection: { attribute: false },
    notice: { state: true },
    said: { state: true },
    unseen: { state: true },
    away: { state: true },
    people: { state: true },
    now: { state: true },
  };

  /** The room to join (`^[A-Za-z0-9_-]{1,64}$`). */
  declare room: string;
  /** Instead of `room`: the user's own conversation in this inbox (protocol 6.5), opened by the first send. */
  declare inbox: string;
  /** The title shown in the header instead of `#room`. */
  declare heading: string;
  /**
   * A connection the element around this one keeps (the widget, for its badge before this view has
   * loaded): shown instead of one of its own, never closed by it, and its new messages come
   * through `announce()`; `roomcast-message` and `roomcast-unread` are then the owner's to fire.
   */
  declare sharedConnection: ChatConnection | undefined;
  /** A failed request of this element's own (loading older messages); a new connection clears it. */
  declare private notice: string;
  declare private unseen: number;
  /** A short confirmation shown for a moment ("Link copied"). */
  declare private said: string;
  private saidTimer?: ReturnType<typeof setTimeout>;
  /** Scrolled away from the newest message: "Jump to newest" shows. */
  declare private away: boolean;
  /** The presence list is open. */
  declare private people: boolean;
  /** The clock the reconnect countdown is shown against, ticking while it counts. */
  declare private now: number;

  private chat?: ChatConnection;
  /** Reads out new messages; the list itself is not a live region. */
  private readonly announcer = new LiveAnnouncer();
  private readonly menu = new MessageMenu(
    this,
    () => this.chat,
    (text) => (this.notice = text),
    () => new URL(this.server || location.origin).origin,
  );
  /** Files picked, dropped or pasted, uploading or uploaded, until Send (made with the first file). */
  private tray?: AttachmentTray;
  private atBottom = true;
  private renderedNewest = 0;
  /** The unread count last announced. */
  private unread = 0;
  private ticker?: ReturnType<typeof setInterval>;
  /** The message at the top of the view before an update, to keep it in place after. */
  private anchor?: { seq: string; top: number };
  /** Loads older messages when the top of the list scrolls into view. */
  private topWatch?: IntersectionObserver;
  private unlisten?: () => void;

  constructor() {
    super();
    this.room = '';
    this.inbox = '';
    this.heading = '';
    this.sharedConnection = undefined;
    this.notice = '';
    this.unseen = 0;
    this.said = '';
    this.away = false;
    this.people = false;
    this.now = Date.now();
    updateWhenLocaleChanges(this);
    acceptDrops(this, (files) => void this.addFiles(files));
  }

  /** The live connection (undefined until a room is set). */
  get connection(): ChatConnection | undefined {
    return this.chat;
  }

  /**
   * Moves the keyboard focus to the message input, except on a touch screen, where it would pop
   * the on-screen keyboard up over the conversation.
   */
  async focusComposer(): Promise<void> {
    if (matchMedia('(pointer: coarse)').matches) return;
    await this.updateComplete;
    this.renderRoot.querySelector('textarea')?.focus();
  }

  /** A message that arrived live: read out, and shown. */
  announce(message: Message): void {
    this.announcer.add(message, this.chat?.user?.id);
    this.requestUpdate();
  }

  /** Shows `text` over the messages for a few seconds; the status region it is in reads it out once. */
  async say(text: string): Promise<void> {
    clearTimeout(this.saidTimer);
    // Emptied first, so that the same words said again are announced again.
    this.said = '';
    await this.updateComplete;
    this.said = text;
    this.saidTimer = setTimeout(() => (this.said = ''), SAID_MS);
  }

  /** Scrolls to the message `seq` and highlights it once, as soon as it is loaded (a link to it, `#m-<seq>`). */
  showMessage(seq: number): void {
    this.menu.show(seq);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Messages rendered as plain text before the linkifier loaded get their links.
    this.unlisten = onLinksReady(() => this.requestUpdate());
    // Moved in the DOM: disconnecting stopped the watch on the top of the list.
    if (this.hasUpdated) this.watchTop();
    document.addEventListener('visibilitychange', this.seen);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.seen);
    clearInterval(this.ticker);
    this.ticker = undefined;
    clearTimeout(this.saidTimer);
    this.unlisten?.();
    this.topWatch?.disconnect();
    this.topWatch = undefined;
  }

  protected override firstUpdated(): void {
    this.watchTop();
  }

  private watchTop(): void {
    const list = this.list;
    const top = this.renderRoot.querySelector('.top');
    if (!list || !top || this.topWatch) return;
    this.topWatch = new IntersectionObserver(
      ([entry]) => {
        // Not while pinned to the bottom: a short log shows the top too, and must not load by itself.
        if (entry?.isIntersecting && !this.atBottom && this.chat?.hasMore) void this.onLoadOlder();
      },
      { root: list, rootMargin: '200px 0px 0px 0px' },
    );
    this.topWatch.observe(top);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('room') || changed.has('inbox') || changed.has('sharedConnection') || this.reachChanged(changed)) {
      this.reconnect();
    }
    this.anchor = this.atBottom ? undefined : this.findAnchor();
    const messages = this.chat?.messages ?? [];
    const newest = messages.at(-1)?.seq ?? 0;
    if (!this.atBottom && this.renderedNewest > 0 && newest > this.renderedNewest) {
      this.unseen += messages.filter((m) => m.seq > this.renderedNewest).length;
    }
    this.renderedNewest = newest;
  }

  protected override updated(): void {
    this.keepTicking();
    // The draft into the input where they differ (Send cleared it, it was restored), as Lit's live()
    // would: never while they agree, which would move the caret of someone typing.
    const input = this.renderRoot.querySelector<HTMLTextAreaElement>('#input');
    const draft = this.chat?.outbox.draft ?? '';
    if (input && input.value !== draft) input.value = draft;
    const list = this.list;
    if (list) showPrivateFiles(list, this.chat?.files.token);
    if (list && this.menu.updated(this.renderRoot)) this.atBottom = false;
    else if (list && this.atBottom) {
      list.scrollTop = list.scrollHeight;
    } else if (list && this.anchor) {
      // Older messages put above (or a button gone) must not move what is being read.
      const item = list.querySelector(`[data-seq="${this.anchor.seq}"]`);
      if (item) list.scrollTop += item.getBoundingClientRect().top - this.anchor.top;
    }
    this.seen();
    const unread = this.chat?.unread ?? 0;
    if (unread === this.unread || this.sharedConnection) return;
    this.unread = unread;
    this.emit<UnreadDetail>('roomcast-unread', { count: unread });
  }

  /**
   * The newest messages count as read while the user can see them: the list at its end, the page
   * visible, and the element shown (a closed widget panel hides it: no layout box).
   */
  private readonly seen = (): void => {
    if (this.atBottom && document.visibilityState === 'visible' && this.getClientRects().length > 0) this.chat?.markRead();
  };

  private findAnchor(): { seq: string; top: number } | undefined {
    const list = this.list;
    if (!list) return undefined;
    const top = list.getBoundingClientRect().top;
    for (const item of list.querySelectorAll<HTMLElement>('[data-seq]')) {
      const rect = item.getBoundingClientRect();
      if (rect.bottom > top) return { seq: item.dataset.seq ?? '', top: rect.top };
    }
    return undefined;
  }

  private get list(): HTMLElement | null {
    return this.renderRoot?.querySelector<HTMLElement>('.scroller') ?? null;
  }

  private reconnect(): void {
    this.chat?.removeEventListener('statechange', this.stateChanged);
    if (this.chat !== this.sharedConnection) this.release(this.chat);
    this.chat = this.sharedConnection;
    this.menu.open = this.menu.replyTo = undefined;
    this.unseen = 0;
    this.atBottom = true;
    this.away = false;
    this.renderedNewest = 0;
    this.announcer.clear();
    this.tray = undefined;
    if (!this.chat && (this.room || this.inbox)) {
      this.chat = new ChatConnection(this, {
        ...this.socketOptions(),
        room: this.inbox ? '' : this.room,
        inbox: this.inbox || undefined,
        onMessage: (message) => {
          this.announce(message);
          this.emit<Message>('roomcast-message', message);
        },
      });
    }
    this.chat?.addEventListener('statechange', this.stateChanged);
  }

  /**
   * Puts files in the tray, uploading; the tray's code comes first, the first time. Not before the
   * room exists (a support conversation before its first message), as the paperclip is off then.
   */
  private async addFiles(files: FileList | File[]): Promise<void> {
    const chat = this.chat;
    if (files.length === 0 || !chat?.room) return;
    const module = await trayModule.load();
    if (!module) {
      this.notice = msg('Something went wrong.', { id: 'something-went-wrong' });
      return;
    }
    if (chat !== this.chat) return;
    this.tray ??= new module.AttachmentTray(
      () => chat,
      () => this.requestUpdate(),
      formatSize,
    );
    this.tray.add(files);
  }

  /** A new connection clears old errors. */
  private readonly stateChanged = (): void => {
    if (this.chat?.state.status === 'connected') this.notice = '';
    this.now = Date.now();
    this.keepTicking();
  };

  /** The clock ticks while a countdown shows: to the next connection attempt, or to the end of a slow-mode wait. */
  private keepTicking(): void {
    const state = this.chat?.state;
    const counting = (state?.status === 'reconnecting' && state.nextAttemptAt !== undefined) || (this.chat?.nextSendAt ?? 0) > 0;
    if (counting && !this.ticker) this.ticker = setInterval(() => (this.now = Date.now()), 1000);
    if (!counting && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  override render(): TemplateResult {
    const chat = this.chat;
    const state = chat?.state ?? { status: 'offline' };
    const count = chat?.memberCount ?? 0;
    const draft = chat?.outbox.draft ?? '';
    const readOnly = chat?.readOnly ?? false;
    const length = draftLength(draft);
    const tooLong = chat !== undefined && chat.maxLength > 0 && length > chat.maxLength;
    return html`
      <header part="header">
        <div class="heading">
          <h2 part="title" class="title">
            ${this.heading || (this.inbox ? msg('Chat with us', { id: 'inbox-title' }) : html`<span class="hash" aria-hidden="true">#</span>${this.room}`)}
          </h2>
          ${chat?.room ? renderPresence(chat.members, count, this.people, (open) => (this.people = open)) : nothing}
        </div>
        ${renderStatus(state)}
        <slot name="actions"></slot>
      </header>
      ${
        chat?.removed
          ? html`<p part="banner removed" class="banner danger" role="alert" data-removed=${chat.removed.reason}>
            ${state.status === 'failed' ? errorText(state.error) : ''}
            ${
              chat.removed.reason === 'kicked'
                ? html`<button part="rejoin-button" class="chip" type="button" @click=${() => chat.rejoin()}>${msg('Join again', { id: 'join-again' })}</button>`
                : nothing
            }
          </p>`
          : renderBanner(state, chat?.error, this.now, () => chat?.reconnectNow())
      }
      <div class="body">
        <div class="scroller" part="messages" tabindex="0" @scroll=${this.onScroll}>
          <div class="top"></div>
          ${
            chat?.hasMore
              ? html`<button
                part="load-older"
                class="load-older"
                type="button"
                ?disabled=${chat.loadingOlder}
                @click=${this.onLoadOlder}
              >
                ${chat.loadingOlder ? msg('Loading…', { id: 'loading-older' }) : msg('Load older messages', { id: 'load-older' })}
              </button>`
              : nothing
          }
          <slot name="intro"></slot>
          ${
            chat && chat.messages.length === 0 && chat.outbox.entries.length === 0 && state.status === 'connected'
              ? html`<p class="empty">${msg('No messages yet. Say hello!', { id: 'no-messages' })}</p>`
              : nothing
          }
          <div class="log" role="region" aria-label=${msg(str`Messages in ${this.heading || this.inbox || this.room}`, { id: 'messages-in' })}>
            <ol>
              ${renderLog(
                chat?.log ?? [],
                chat?.user,
                {
                  retry: (clientId) => chat?.outbox.retry(clientId),
                  delete: (clientId) => chat?.outbox.delete(clientId),
                  online: state.status === 'connected',
                  menu: this.menu,
                  files: chat?.files ?? { server: '' },
                },
                chat && { divider: chat.reads.divider, seen: chat.reads.seen(chat.messages, chat.user?.id) },
              )}
            </ol>
          </div>
        </div>
        ${
          this.unseen > 0 || this.away
            ? html`<button part="new-messages" class="jump" type="button" @click=${this.jumpToNewest}>
              ${
                this.unseen > 0
                  ? pluralOf(this.unseen) === 'one'
                    ? msg(str`${this.unseen} new message`, { id: 'new-messages-one' })
                    : msg(str`${this.unseen} new messages`, { id: 'new-messages-other' })
                  : msg('Jump to newest', { id: 'jump-to-newest' })
              }
              <span aria-hidden="true">↓</span>
            </button>`
            : nothing
        }
        <p part="toast" class="toast" role="status">${this.said}</p>
      </div>
      ${this.announcer.render()}
      <p part="typing" class="typing" aria-live="polite">${typingLine(chat?.typing.members ?? [])}</p>
      ${this.menu.replyBar()}
      ${this.tray?.render() ?? nothing}
      <form part="composer" class="composer" @submit=${this.onSubmit}>
        ${renderFileButton((files) => void this.addFiles(files), !chat?.room || readOnly || state.status === 'failed')}
        <label class="visually-hidden" for="input">${msg('Message', { id: 'message-label' })}</label>
        <textarea
          id="input"
          part="input"
          dir="auto"
          rows="1"
          placeholder=${
            readOnly
              ? msg('Read-only room', { id: 'read-only-placeholder' })
              : this.inbox || isSupportRoom(this.room)
                ? msg('Write a message…', { id: 'inbox-placeholder' })
                : msg(str`Message #${this.room}`, { id: 'message-placeholder' })
          }
          ?disabled=${readOnly}
          aria-describedby=${tooLong ? 'counter' : nothing}
          aria-invalid=${tooLong ? 'true' : nothing}
          enterkeyhint="send"
          autocomplete="off"
          @input=${this.onInput}
          @keydown=${this.onKeydown}
          @blur=${this.onBlur}
          @paste=${(e: ClipboardEvent) => void this.addFiles(pastedFiles(e))}
        ></textarea>
        <button
          part="send-button"
          class="send"
          type="submit"
          ?disabled=${!chat || readOnly || state.status === 'failed' || tooLong || this.tray?.busy || (draft.trim() === '' && !this.tray?.ready.length)}
        >
          ${msg('Send', { id: 'send' })}
        </button>
      </form>
      ${renderCounter(length, chat?.maxLength ?? 0)}
      ${renderRules(chat, this.now)}
      ${this.notice ? html`<p part="error" class="error" role="alert">${this.notice}</p>` : nothing}
    `;
  }

  private onScroll(): void {
    const list = this.list;
    if (!list) return;
    this.atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < BOTTOM_SLACK_PX;
    this.away = !this.atBottom;
    if (this.atBottom && this.unseen > 0) this.unseen = 0;
    this.seen();
  }

  private jumpToNewest(): void {
    this.atBottom = true;
    this.away = false;
    this.unseen = 0;
    this.list?.scrollTo({ top: this.list.scrollHeight, behavior: 'smooth' });
  }

  private async onLoadOlder(): Promise<void> {
    try {
      await this.chat?.loadOlder();
    } catch (err) {
      this.notice = err instanceof ChatError ? errorText(err) : msg('Something went wrong.', { id: 'something-went-wrong' });
    }
  }

  private onInput(e: InputEvent): void {
    const input = e.target as HTMLTextAreaElement;
    this.chat?.outbox.setDraft(input.value);
    this.chat?.setTyping(input.value.trim() !== '');
    this.requestUpdate();
    fitHeight(input);
  }

  private onKeydown(e: KeyboardEvent): void {
    // isComposing: Enter that confirms an IME composition must not send.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.submit();
    }
  }

  private onBlur(): void {
    this.chat?.setTyping(false);
  }

  private onSubmit(e: SubmitEvent): void {
    e.preventDefault();
    void this.submit();
  }

  /** Hands the draft to the outbox: it shows at once and is sent whenever the room is reachable. */
  private async submit(): Promise<void> {
    const chat = this.chat;
    const text = chat?.outbox.draft.trim() ?? '';
    const tray = this.tray;
    if (!chat || tray?.busy || (text === '' && !tray?.ready.length) || chat.state.status === 'failed') return;
    if (chat.maxLength > 0 && draftLength(text) > chat.maxLength) return;
    this.atBottom = true;
    chat.outbox.setDraft('');
    const replyTo = this.menu.replyTo;
    this.menu.replyTo = undefined;
    // Failures show on the message itself, with Retry and Delete.
    chat.send(text, { replyTo, attachments: tray?.take() }).catch(() => undefined);
    await this.updateComplete;
    const input = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
    if (input) fitHeight(input);
  }

  static override styles = [
    theme,
    statusStyles,
    logStyles,
    roomStyles,
    menuStyles,
    reactionStyles,
    presenceStyles,
    counterStyles,
    attachmentStyles,
  ];
}

customElements.get('roomcast-room') || customElements.define('roomcast-room', RoomcastRoom);

declare global {
  interface HTMLElementTagNameMap {
    'roomcast-room': RoomcastRoom;
  }
}

/** What the room's settings ask of the user: read-only, or slow mode and when they may send again. */
function renderRules(chat: ChatConnection | undefined, now: number): TemplateResult | typeof nothing {
  if (!chat || chat.moderator) return nothing;
  if (chat.readOnly)
    return html`<p part="room-rules" class="rules">${msg('Read-only room: only moderators can write here.', { id: 'read-only-rules' })}</p>`;
  const { slowModeSeconds } = chat.settings;
  if (slowModeSeconds === 0) return nothing;
  const wait = Math.ceil((chat.nextSendAt - now) / 1000);
  return html`<p part="room-rules" class="rules">
    ${msg(str`Slow mode: one message every ${slowModeSeconds} s.`, { id: 'slow-mode' })}
    ${wait > 0 ? msg(str`You can send again in ${wait} s.`, { id: 'send-again-in' }) : ''}
  </p>`;
}

function typingLine(typing: readonly Member[]): string {
  const [a, b] = typing;
  if (!a) return '';
  if (!b) return msg(str`${a.name} is typing…`, { id: 'typing-one' });
  if (typing.length === 2) return msg(str`${a.name} and ${b.name} are typing…`, { id: 'typing-two' });
  return msg(str`${typing.length} people are typing…`, { id: 'typing-many' });
}

/** Grows the textarea with its content up to its CSS max-height (CSSOM, so CSP allows it). */
function fitHeight(input: HTMLTextAreaElement): void {
  input.style.height = 'auto';
  input.style.height = `${input.scrollHeight + 2}px`;
}
