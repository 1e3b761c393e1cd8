import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Member, Message } from '../src/protocol.js';
import { ChatConnection } from './chat-connection.js';
import { RoomcastElement } from './roomcast-element.js';
import { ChatError, type ConnectionStatus } from './socket-controller.js';
import { theme } from './theme.js';

const STATUS_LABELS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};
/** Messages by one author closer together than this share one header. */
const GROUP_MS = 5 * 60_000;
/** How close to the bottom (px) still counts as "reading the newest". */
const BOTTOM_SLACK_PX = 48;
const AVATAR_HUES = 8;

/**
 * One chat room, live.
 *
 * @fires roomcast-message - `CustomEvent<Message>` for each message that arrives while open
 *   (not for loaded history); bubbles and is composed.
 * @slot actions - buttons at the end of the header (the widget's close button)
 * @csspart header - the bar with the room name, member count and connection state
 * @csspart title - the room name
 * @csspart members - the member count
 * @csspart status - the connection state
 * @csspart messages - the scrolling message list
 * @csspart message - one message; also `message-mine` on your own
 * @csspart author - a message's author name
 * @csspart time - a message's time
 * @csspart text - a message's text
 * @csspart load-older - the "load older messages" button
 * @csspart new-messages - the "new messages" button shown while scrolled up
 * @csspart typing - the "… is typing" line
 * @csspart composer - the form around the input
 * @csspart input - the message input
 * @csspart send-button - the send button
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
    heading: { type: String },
    draft: { state: true },
    sendError: { state: true },
    sending: { state: true },
    unseen: { state: true },
  };

  /** The room to join (`^[A-Za-z0-9_-]{1,64}$`). */
  declare room: string;
  /** The title shown in the header instead of `#room`. */
  declare heading: string;
  declare private draft: string;
  declare private sendError: string;
  declare private sending: boolean;
  declare private unseen: number;

  private chat?: ChatConnection;
  private atBottom = true;
  private renderedNewest = 0;
  /** The message text at the top of the view before an update, to keep it in place after. */
  private anchor?: { seq: string; top: number };

  constructor() {
    super();
    this.room = '';
    this.heading = '';
    this.draft = '';
    this.sendError = '';
    this.sending = false;
    this.unseen = 0;
  }

  /** The live connection (undefined until a room is set). */
  get connection(): ChatConnection | undefined {
    return this.chat;
  }

  /** Moves the keyboard focus to the message input. */
  async focusComposer(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector('textarea')?.focus();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('room') || this.reachChanged(changed)) {
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
    const list = this.list;
    if (!list) return;
    if (this.atBottom) {
      list.scrollTop = list.scrollHeight;
    } else if (this.anchor) {
      // Older messages put above (or a button gone) must not move what is being read.
      const text = list.querySelector(`[data-seq="${this.anchor.seq}"]`);
      if (text) list.scrollTop += text.getBoundingClientRect().top - this.anchor.top;
    }
  }

  private findAnchor(): { seq: string; top: number } | undefined {
    const list = this.list;
    if (!list) return undefined;
    const top = list.getBoundingClientRect().top;
    for (const text of list.querySelectorAll<HTMLElement>('[data-seq]')) {
      const rect = text.getBoundingClientRect();
      if (rect.bottom > top) return { seq: text.dataset.seq ?? '', top: rect.top };
    }
    return undefined;
  }

  private get list(): HTMLElement | null {
    return this.renderRoot?.querySelector<HTMLElement>('.scroller') ?? null;
  }

  private reconnect(): void {
    this.release(this.chat);
    this.chat = undefined;
    this.unseen = 0;
    this.atBottom = true;
    this.renderedNewest = 0;
    if (!this.room) return;
    this.chat = new ChatConnection(this, {
      ...this.socketOptions(),
      room: this.room,
      onMessage: (message) => this.emit<Message>('roomcast-message', message),
    });
  }

  override render(): TemplateResult {
    const chat = this.chat;
    const status = chat?.status ?? 'offline';
    const count = chat?.memberCount ?? 0;
    const showError = chat?.error && status !== 'connected';
    return html`
      <header part="header">
        <div class="heading">
          <h2 part="title" class="title">
            ${this.heading || html`<span class="hash" aria-hidden="true">#</span>${this.room}`}
          </h2>
          <span part="members" class="members">${count} ${count === 1 ? 'person' : 'people'} here</span>
        </div>
        <span part="status" class="status ${status}" role="status">
          <span class="dot" aria-hidden="true"></span>${STATUS_LABELS[status]}
        </span>
        <slot name="actions"></slot>
      </header>
      ${showError ? html`<p class="banner" role="alert">${chat.error?.message}</p>` : nothing}
      <div class="body">
        <div class="scroller" part="messages" tabindex="0" @scroll=${this.onScroll}>
          ${chat?.hasMore
            ? html`<button
                part="load-older"
                class="load-older"
                type="button"
                ?disabled=${chat.loadingOlder}
                @click=${this.onLoadOlder}
              >
                ${chat.loadingOlder ? 'Loading…' : 'Load older messages'}
              </button>`
            : nothing}
          ${chat && chat.messages.length === 0 && status === 'connected'
            ? html`<p class="empty">No messages yet. Say hello!</p>`
            : nothing}
          <div class="log" role="log" aria-live="polite" aria-label="Messages in ${this.heading || this.room}">
            <ol>
              ${repeat(
                chat?.messages ?? [],
                (m) => m.id,
                (m, i) => this.renderMessage(m, chat?.messages[i - 1]),
              )}
            </ol>
          </div>
        </div>
        ${this.unseen > 0
          ? html`<button part="new-messages" class="jump" type="button" @click=${this.jumpToNewest}>
              ${this.unseen} new ${this.unseen === 1 ? 'message' : 'messages'} <span aria-hidden="true">↓</span>
            </button>`
          : nothing}
      </div>
      <p part="typing" class="typing" aria-live="polite">${typingLine(chat?.typing ?? [])}</p>
      <form part="composer" class="composer" @submit=${this.onSubmit}>
        <label class="visually-hidden" for="input">Message</label>
        <textarea
          id="input"
          part="input"
          rows="1"
          placeholder="Message #${this.room}"
          enterkeyhint="send"
          autocomplete="off"
          .value=${live(this.draft)}
          @input=${this.onInput}
          @keydown=${this.onKeydown}
          @blur=${this.onBlur}
        ></textarea>
        <button
          part="send-button"
          class="send"
          type="submit"
          ?disabled=${status !== 'connected' || this.draft.trim() === ''}
        >
          Send
        </button>
      </form>
      ${this.sendError ? html`<p part="error" class="error" role="alert">${this.sendError}</p>` : nothing}
    `;
  }

  private renderMessage(m: Message, previous: Message | undefined): TemplateResult {
    const mine = m.author.id === this.chat?.user?.id;
    const continued =
      previous !== undefined && previous.author.id === m.author.id && m.ts - previous.ts < GROUP_MS;
    const date = new Date(m.ts);
    return html`
      <li
        part="message ${mine ? 'message-mine' : ''}"
        class="message ${continued ? 'continued' : ''} ${mine ? 'mine' : ''} ${m.author.kind}"
      >
        ${continued
          ? html`<span class="visually-hidden">${m.author.name}:</span>`
          : html`<span class="avatar hue-${hue(m.author.id)}" aria-hidden="true">${initial(m.author.name)}</span>
              <div class="meta">
                <span part="author" class="author">${m.author.name}</span>
                ${mine ? html`<span class="you">you</span>` : nothing}
                <time part="time" class="time" datetime=${date.toISOString()} title=${date.toLocaleString()}
                  >${formatTime(date)}</time
                >
              </div>`}
        <div part="text" class="text" data-seq=${m.seq}>${m.text}</div>
      </li>
    `;
  }

  private onScroll(): void {
    const list = this.list;
    if (!list) return;
    this.atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < BOTTOM_SLACK_PX;
    if (this.atBottom && this.unseen > 0) this.unseen = 0;
  }

  private jumpToNewest(): void {
    this.atBottom = true;
    this.unseen = 0;
    this.list?.scrollTo({ top: this.list.scrollHeight, behavior: 'smooth' });
  }

  private async onLoadOlder(): Promise<void> {
    try {
      await this.chat?.loadOlder();
    } catch (err) {
      this.sendError = errorText(err);
    }
  }

  private onInput(e: InputEvent): void {
    const input = e.target as HTMLTextAreaElement;
    this.draft = input.value;
    this.sendError = '';
    this.chat?.setTyping(input.value.trim() !== '');
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

  private async submit(): Promise<void> {
    const chat = this.chat;
    const text = this.draft.trim();
    if (!chat || text === '' || this.sending) return;
    this.sending = true;
    this.sendError = '';
    this.draft = '';
    this.atBottom = true;
    chat.setTyping(false);
    const input = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
    try {
      await chat.send(text);
    } catch (err) {
      this.sendError = errorText(err);
      // Give the text back unless a new draft was started meanwhile.
      if (this.draft === '') this.draft = text;
    } finally {
      this.sending = false;
      await this.updateComplete;
      if (input) fitHeight(input);
    }
  }

  static override styles = [
    theme,
    css`
    :host {
      display: flex;
      flex-direction: column;
      box-sizing: border-box;
      height: var(--roomcast-height, 560px);
      min-height: 280px;
      contain: layout style;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: var(--roomcast-radius, 12px);
      overflow: hidden;
    }

    header {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 12px;
      padding: 12px 16px;
      border-bottom: 1px solid var(--_border);
      background: var(--_surface);
    }
    .heading {
      flex: 1;
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      column-gap: 10px;
      min-width: 0;
    }
    .title {
      margin: 0;
      font-size: 17px;
      font-weight: 650;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .hash {
      color: var(--_muted);
      margin-right: 2px;
      font-weight: 500;
    }
    .members {
      color: var(--_muted);
      font-size: 13px;
      white-space: nowrap;
    }
    .status {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      flex: none;
      padding: 3px 10px;
      border-radius: 999px;
      border: 1px solid var(--_border);
      background: var(--_bg);
      font-size: 12px;
      color: var(--_muted);
    }
    .dot {
      width: 8px;
      height: 8px;
      border-radius: 50%;
      background: var(--_muted);
    }
    .connected .dot {
      background: var(--_success);
      box-shadow: 0 0 0 3px color-mix(in srgb, var(--_success) 20%, transparent);
    }
    .connecting .dot,
    .reconnecting .dot {
      background: var(--_warning);
      animation: pulse 1.2s ease-in-out infinite;
    }
    .offline .dot {
      background: var(--_danger);
    }
    @keyframes pulse {
      50% {
        opacity: 0.3;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .dot {
        animation: none !important;
      }
    }
    .banner {
      margin: 0;
      padding: 8px 16px;
      font-size: 13px;
      color: var(--_danger);
      background: color-mix(in srgb, var(--_danger) 8%, transparent);
      border-bottom: 1px solid var(--_border);
    }

    .body {
      position: relative;
      flex: 1;
      min-height: 0;
      display: flex;
    }
    .scroller {
      flex: 1;
      display: flex;
      flex-direction: column;
      overflow-y: auto;
      overscroll-behavior: contain;
      /* The element keeps the reader's place itself when older messages are put above. */
      overflow-anchor: none;
      padding: 12px 0 4px;
    }
    .scroller:focus-visible {
      outline-offset: -2px;
    }
    .log {
      /* A short conversation sits just above the input, as in any chat. */
      margin-top: auto;
    }
    .log > ol {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    .empty {
      margin: auto 16px;
      text-align: center;
      color: var(--_muted);
    }
    .load-older {
      flex: none;
      align-self: center;
      margin: 0 0 8px;
      padding: 5px 14px;
      border: 1px solid var(--_border);
      border-radius: 999px;
      background: var(--_bg);
      color: var(--_accent);
      font-size: 13px;
      cursor: pointer;
    }
    .load-older:hover:not(:disabled) {
      background: var(--_surface);
    }

    .message {
      display: grid;
      grid-template-columns: 36px 1fr;
      column-gap: 10px;
      padding: 2px 16px;
      margin-top: 10px;
    }
    .message.continued {
      margin-top: 0;
    }
    .message:hover {
      background: var(--_surface);
    }
    .message.mine {
      background: var(--_mine);
    }
    .avatar {
      grid-row: span 2;
      width: 36px;
      height: 36px;
      margin-top: 2px;
      border-radius: 50%;
      display: grid;
      place-items: center;
      font-size: 15px;
      font-weight: 600;
      color: #ffffff;
      user-select: none;
    }
    .hue-0 { background: #4f46e5; }
    .hue-1 { background: #0e7490; }
    .hue-2 { background: #15803d; }
    .hue-3 { background: #b45309; }
    .hue-4 { background: #be123c; }
    .hue-5 { background: #7e22ce; }
    .hue-6 { background: #0369a1; }
    .hue-7 { background: #a21caf; }
    .meta {
      display: flex;
      align-items: baseline;
      gap: 8px;
      min-width: 0;
    }
    .author {
      font-weight: 650;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .you {
      font-size: 11px;
      padding: 0 6px;
      border-radius: 999px;
      color: var(--_accent);
      border: 1px solid color-mix(in srgb, var(--_accent) 40%, transparent);
    }
    .time {
      font-size: 12px;
      color: var(--_muted);
      white-space: nowrap;
    }
    .text {
      grid-column: 2;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .system .text {
      color: var(--_muted);
      font-style: italic;
    }

    .jump {
      position: absolute;
      left: 50%;
      bottom: 10px;
      transform: translateX(-50%);
      padding: 6px 14px;
      border: 0;
      border-radius: 999px;
      background: var(--_accent);
      color: var(--_accent-fg);
      font-size: 13px;
      font-weight: 600;
      box-shadow: 0 4px 14px rgb(0 0 0 / 0.18);
      cursor: pointer;
    }

    .typing {
      min-height: 20px;
      margin: 0;
      padding: 0 16px;
      font-size: 12px;
      font-style: italic;
      color: var(--_muted);
    }
    .composer {
      display: flex;
      align-items: flex-end;
      gap: 8px;
      padding: 4px 12px 12px;
    }
    textarea {
      flex: 1;
      min-width: 0;
      resize: none;
      max-height: 160px;
      padding: 10px 12px;
      border: 1px solid var(--_border);
      border-radius: 10px;
      background: var(--_bg);
      /* 16px or more: iOS zooms the page into smaller inputs. */
      font-size: 16px;
      line-height: 1.4;
    }
    textarea::placeholder {
      color: var(--_muted);
    }
    textarea:focus-visible {
      outline: none;
      border-color: var(--_accent);
      box-shadow: 0 0 0 3px color-mix(in srgb, var(--_accent) 25%, transparent);
    }
    .send {
      flex: none;
      height: 44px;
      padding: 0 18px;
      border: 0;
      border-radius: 10px;
      background: var(--_accent);
      color: var(--_accent-fg);
      font-weight: 600;
      cursor: pointer;
    }
    .send:hover:not(:disabled) {
      filter: brightness(1.08);
    }
    button:disabled {
      opacity: 0.5;
      cursor: default;
    }
    .error {
      margin: -6px 12px 10px;
      font-size: 13px;
      color: var(--_danger);
    }
  `,
  ];
}

customElements.get('roomcast-room') || customElements.define('roomcast-room', RoomcastRoom);

declare global {
  interface HTMLElementTagNameMap {
    'roomcast-room': RoomcastRoom;
  }
}

function typingLine(typing: readonly Member[]): string {
  const [a, b] = typing;
  if (!a) return '';
  if (!b) return `${a.name} is typing…`;
  if (typing.length === 2) return `${a.name} and ${b.name} are typing…`;
  return `${typing.length} people are typing…`;
}

function formatTime(date: Date): string {
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })}, ${time}`;
}

function initial(name: string): string {
  return (Array.from(name.trim())[0] ?? '?').toUpperCase();
}

function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % AVATAR_HUES;
}

function errorText(err: unknown): string {
  if (err instanceof ChatError && err.code === 'rate_limited' && err.retryAfterMs) {
    return `${err.message} Try again in ${Math.ceil(err.retryAfterMs / 1000)} s.`;
  }
  return err instanceof Error ? err.message : 'Something went wrong.';
}

/** Grows the textarea with its content up to its CSS max-height (CSSOM, so CSP allows it). */
function fitHeight(input: HTMLTextAreaElement): void {
  input.style.height = 'auto';
  input.style.height = `${input.scrollHeight + 2}px`;
}
