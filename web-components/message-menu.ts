import { msg, str } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { Member, Message } from '../src/protocol.js';
import { Lazy } from './lazy.js';
import { dateFormats } from './locale.js';
import { renderText } from './message-text.js';
import { renderReactions } from './reactions.js';

/** A message as protocol 6.3 returns it: as it is now. */
export type Current = Message & { editedAt?: number; reactions?: Record<string, string[]>; replyTo?: number };

/** What the menu needs of the room's connection (ChatConnection). */
export interface ConversationModel {
  readonly room: string;
  readonly messages: readonly Current[];
  readonly members: readonly Member[];
  readonly user?: Member;
  readonly moderator: boolean;
  readonly hasMore: boolean;
  /** How long an author may edit (from the join ack); absent from a server that does not say. */
  readonly editWindowSeconds?: number | undefined;
  edit(seq: number, text: string): Promise<unknown>;
  react(seq: number, emoji: string, on: boolean): Promise<unknown>;
  remove(seq: number): Promise<unknown>;
  loadOlder(): Promise<void>;
}

/** What the menu needs of the element that shows it. */
export interface MenuHost {
  requestUpdate(): void;
  focusComposer(): Promise<void>;
  /** Shows a short confirmation ("Link copied") for a moment, announced politely. */
  say(text: string): void;
}

/** What is open on a message; `link` is its link to copy by hand, when the clipboard refused it. */
export type Mode = 'menu' | 'react' | 'confirm' | 'edit' | 'link';

/** What the "More actions" button opens: a chunk of its own, loaded on the first click. */
const actionsModule = new Lazy(() => import('./message-actions.js'));

/**
 * What protocol 6.3 adds to each message: the quote of the message it answers, "(edited)", the
 * reaction chips, the "More actions" button, and the reply bar over the composer; scrolls to a
 * message on demand. What the button opens (the menu, the emoji picker, the inline editor, the
 * delete confirmation; one at a time) is message-actions.ts.
 */
export class MessageMenu {
  /** The message whose menu, picker, editor or confirmation is open. */
  open?: { seq: number; mode: Mode };
  /** The message the composer answers. */
  replyTo?: number;
  /** The open menu opens upward (its message is in the lower half of the list). */
  up = false;
  /** What to focus after the next render (a selector in the element's shadow root). */
  focus?: string;
  private reveal?: number;

  constructor(
    readonly host: MenuHost,
    readonly chat: () => ConversationModel | undefined,
    /** Shows why an action failed in the element's notice area. */
    readonly failed: (text: string) => void,
    /** The server's origin, for links to messages. */
    readonly origin: () => string,
  ) {}

  /** What a message's rendering depends on besides itself: guard() dependencies. */
  deps(m: Current): unknown[] {
    return [this.mode(m), m.replyTo && this.find(m.replyTo)];
  }

  find(seq: number): Current | undefined {
    const list = this.chat()?.messages ?? [];
    // Sorted by seq: binary search, every render asks for every quote.
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = list[mid] as Current;
      if (m.seq === seq) return m;
      if (m.seq < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  mode(m: Current): Mode | undefined {
    return this.open?.seq === m.seq ? this.open.mode : undefined;
  }

  /** Scrolls to the message `seq` and highlights it once, when (or as soon as) it is loaded. */
  show(seq: number): void {
    this.reveal = seq;
    this.host.requestUpdate();
  }

  /** The compact quote of the message `m` answers, above its text. */
  quote(m: { replyTo?: number | undefined }): TemplateResult | typeof nothing {
    const seq = m.replyTo;
    if (!seq) return nothing;
    const t = this.find(seq);
    return html`<button part="quote" class="quote" ?disabled=${!t} @click=${() => this.show(seq)}><span class="visually-hidden">${msg('In reply to', { id: 'in-reply-to' })}</span>${snippet(t, seq)}</button>`;
  }

  /** The text with "(edited)", or the inline editor; undefined to leave it to the log. */
  text(m: Current): TemplateResult | undefined {
    if (m.deleted) return undefined;
    const actions = actionsModule.module;
    if (this.mode(m) === 'edit' && actions) return actions.editor(this, m);
    return html`<div part="text" class="text" dir="auto">${renderText(m.text)}${m.editedAt ? html` <small part="edited" title=${dateFormats().full.format(m.editedAt)}>${msg('(edited)', { id: 'edited' })}</small>` : nothing}</div>`;
  }

  /** Under the text: the reaction chips, the delete confirmation, and the menu button with its menu. */
  after(m: Current, mine: boolean): TemplateResult | typeof nothing {
    const chat = this.chat();
    if (!chat || m.deleted) return nothing;
    const mode = this.mode(m);
    const open = mode === 'menu' || mode === 'react';
    const actions = actionsModule.module;
    return html`${renderReactions(m, chat, (emoji, on) => this.react(m.seq, emoji, on))}${!actions ? nothing : mode === 'confirm' ? actions.confirm(this, chat, m) : mode === 'link' ? actions.linkBox(this, chat, m) : nothing}<div class="actions ${this.up ? 'up' : ''}"><button part="more-button" class="more" aria-haspopup="menu" aria-expanded=${open} aria-label=${msg('More actions', { id: 'more-actions' })} @click=${(e: Event) => void this.toggle(e, m.seq)}>⋯</button>${open && actions ? actions.menu(this, chat, m, mine, mode) : nothing}</div>`;
  }

  /** The bar over the composer while it answers a message. */
  replyBar(): TemplateResult | typeof nothing {
    const seq = this.replyTo;
    if (!seq) return nothing;
    return html`<div part="reply-bar" class="replying"><span class="quote">${msg('Replying to', { id: 'replying-to' })} ${snippet(this.find(seq), seq)}</span><button class="x" aria-label=${msg('Cancel reply', { id: 'cancel-reply' })} @click=${this.cancelReply}>✕</button></div>`;
  }

  readonly cancelReply = (): void => {
    this.replyTo = undefined;
    this.host.requestUpdate();
    void this.host.focusComposer();
  };

  /**
   * After each render of the element: focuses what an action opened, and scrolls to the message
   * asked for. True when it scrolled (the element stops following the newest message).
   */
  updated(root: ParentNode): boolean {
    if (this.focus) root.querySelector<HTMLElement>(this.focus)?.focus();
    this.focus = undefined;
    const seq = this.reveal;
    const chat = this.chat();
    if (!seq || !chat) return false;
    const el = root.querySelector<HTMLElement>(`[data-seq="${seq}"]`);
    if (!el) {
      // Older than what is loaded: load back to it (a link to an old message).
      if (chat.hasMore && (chat.messages[0]?.seq ?? 0) > seq) chat.loadOlder().catch(() => undefined);
      return false;
    }
    this.reveal = undefined;
    el.scrollIntoView({ block: 'center' });
    el.removeAttribute('data-highlighted');
    void el.offsetWidth; // restart the highlight's animation
    el.setAttribute('data-highlighted', '');
    return true;
  }

  /** Opens the message's menu (its code first, the first time), or closes it. */
  private async toggle(e: Event, seq: number): Promise<void> {
    const more = e.currentTarget as Element;
    if (!(await actionsModule.load())) return this.failed(msg('Something went wrong.', { id: 'something-went-wrong' }));
    // In the lower half of the list the menu opens upward, inside the scrolling list.
    const button = more.getBoundingClientRect();
    const list = more.closest('[part=messages]')?.getBoundingClientRect();
    this.up = list !== undefined && button.top > (list.top + list.bottom) / 2;
    const mode = this.open?.seq === seq ? this.open.mode : undefined;
    if (mode === 'menu' || mode === 'react') return this.close(false);
    this.set(seq, 'menu', '.menu button');
  }

  /** Opens `mode` on the message `seq` and focuses `focus` in it once shown. */
  set(seq: number, mode: Mode, focus: string): void {
    this.open = { seq, mode };
    this.focus = `[data-seq="${seq}"] ${focus}`;
    if (mode === 'menu' || mode === 'react') document.addEventListener('pointerdown', this.outside, true);
    else document.removeEventListener('pointerdown', this.outside, true);
    this.host.requestUpdate();
  }

  /** Closes what is open; with `refocus`, the focus goes back to the message's menu button. */
  close(refocus: boolean): void {
    if (refocus && this.open) this.focus = `[data-seq="${this.open.seq}"] .more`;
    this.open = undefined;
    document.removeEventListener('pointerdown', this.outside, true);
    this.host.requestUpdate();
  }

  private readonly outside = (e: Event): void => {
    const inside = e.composedPath().some((n) => n instanceof Element && (n.classList.contains('menu') || n.classList.contains('more')));
    if (!inside) this.close(false);
  };

  /** Turns the user's reaction on or off (a chip, or the picker, which it closes). */
  react(seq: number, emoji: string, on: boolean): void {
    const chat = this.chat();
    if (!chat) return;
    if (this.open?.mode === 'react') this.close(true);
    this.run(chat.react(seq, emoji, on), false);
  }

  /** Waits for an action; closes what is open when it succeeds (with `closes`), says why when it fails. */
  run(action: Promise<unknown>, closes = true): void {
    action.then(
      () => closes && this.open && this.close(true),
      (err: unknown) => this.failed(err instanceof Error ? err.message : String(err)),
    );
  }
}

/** "Ann: hello", "Message deleted", or "Message #12" when not loaded. */
function snippet(t: Current | undefined, seq: number): TemplateResult | string {
  if (!t) return msg(str`Message #${seq}`, { id: 'message-number' });
  if (t.deleted) return msg('Message deleted', { id: 'message-deleted' });
  return html`<b dir="auto">${t.author.name}</b>: <span dir="auto">${t.text}</span>`;
}

export const menuStyles = css`
  .message {
    position: relative;
  }
  .quote {
    grid-column: 2;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    font-size: 13px;
    color: var(--_muted);
    border: 0;
    border-inline-start: 3px solid var(--_border);
    padding: 0;
    padding-inline-start: 8px;
    background: none;
    text-align: start;
  }
  small {
    color: var(--_muted);
  }
  .actions {
    position: absolute;
    top: 0;
    inset-inline-end: 12px;
  }
  .more,
  .menu {
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
  }
  .more,
  .menu button,
  .x,
  .quote:enabled {
    cursor: pointer;
  }
  .more {
    width: 32px;
    height: 28px;
  }
  @media (hover: hover) {
    .message:not(:hover, :focus-within) .more:not([aria-expanded='true']) {
      opacity: 0;
    }
  }
  /* Touch: the button always shows, beside the text rather than over it. */
  @media (hover: none) {
    .message {
      padding-inline-end: 52px;
    }
  }
  .menu {
    position: absolute;
    z-index: 2;
    top: 100%;
    inset-inline-end: 0;
    display: flex;
    flex-direction: column;
    padding: 4px;
    min-width: 150px;
    box-shadow: 0 6px 20px #0003;
  }
  .up .menu {
    top: auto;
    bottom: 100%;
  }
  .menu button,
  .x {
    padding: 8px 12px;
    border: 0;
    border-radius: 6px;
    background: none;
    text-align: start;
  }
  .menu button:hover,
  .menu button:focus,
  .menu [aria-checked='true'] {
    background: var(--_surface);
  }
  .menu.react {
    flex-direction: row;
    min-width: 0;
    font-size: 20px;
  }
  .react button {
    padding: 4px 6px;
  }
  .inline {
    grid-column: 2;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
  }
  .inline textarea,
  .inline input {
    flex-basis: 100%;
    padding: 6px 8px;
    border: 1px solid var(--_accent);
    border-radius: 8px;
    background: var(--_bg);
  }
  .danger {
    color: var(--_danger);
  }
  [data-highlighted] {
    animation: flash 2s;
  }
  @keyframes flash {
    from {
      background: color-mix(in srgb, var(--_warning) 30%, transparent);
    }
  }
  .replying {
    display: flex;
    align-items: center;
    padding: 6px 16px 0;
  }
  .replying .quote {
    flex: 1;
  }
`;
