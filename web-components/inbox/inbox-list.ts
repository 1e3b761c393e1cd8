import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement, nothing } from 'lit';
import { theme } from '../theme.js';
import { fire } from './inbox-events.js';
import { guestMark } from './inbox-styles.js';
import { preview, span } from './inbox-format.js';
import type { Conversation, InboxListStatus } from '../../src/protocol.js';

const TABS: readonly InboxListStatus[] = ['open', 'mine', 'unassigned', 'snoozed', 'closed'];

function tabLabel(status: InboxListStatus): string {
  switch (status) {
    case 'open':
      return msg('Open', { id: 'inbox-tab-open' });
    case 'mine':
      return msg('Mine', { id: 'inbox-tab-mine' });
    case 'unassigned':
      return msg('Unassigned', { id: 'inbox-tab-unassigned' });
    case 'snoozed':
      return msg('Snoozed', { id: 'inbox-tab-snoozed' });
    case 'closed':
      return msg('Closed', { id: 'inbox-tab-closed' });
  }
}

/**
 * The inbox's conversations in one tab (Open, Mine, Unassigned, Snoozed, Closed): each with the
 * visitor (marked when a guest), the last message, the unread count, how long the visitor has
 * waited for an answer, and who it is assigned to. Renders what it is given.
 *
 * @fires inbox-tab - `CustomEvent<InboxListStatus>`: a tab was chosen; bubbles and is composed.
 * @fires inbox-select - `CustomEvent<string>`: a conversation (its room) was opened.
 * @csspart tab - a tab (`aria-selected` on the one shown)
 * @csspart item - a conversation's button; `unread` a count, `waiting` the waiting time, `assignee` who has it
 */
export class InboxList extends LitElement {
  static override properties = {
    conversations: { attribute: false },
    status: { type: String },
    selected: { type: String },
    now: { type: Number },
    hasMore: { type: Boolean },
  };

  /** The tab's conversations, in the order shown. */
  declare conversations: Conversation[];
  declare status: InboxListStatus;
  /** The open conversation's room. */
  declare selected: string;
  /** The clock waiting times are shown against. */
  declare now: number;
  /** More conversations exist than are listed. */
  declare hasMore: boolean;

  constructor() {
    super();
    this.conversations = [];
    this.status = 'open';
    this.selected = '';
    this.now = Date.now();
    this.hasMore = false;
    updateWhenLocaleChanges(this);
  }

  override render() {
    return html`<div class="tabs" role="tablist" aria-label=${msg('Conversations', { id: 'inbox-conversations' })}>
        ${TABS.map(
          (tab) => html`<button
            part="tab"
            role="tab"
            type="button"
            data-tab=${tab}
            aria-selected=${String(tab === this.status)}
            aria-controls="list"
            tabindex=${tab === this.status ? 0 : -1}
            @click=${() => this.choose(tab)}
            @keydown=${this.arrows}
          >
            ${tabLabel(tab)}
          </button>`,
        )}
      </div>
      <div id="list" role="tabpanel" aria-label=${tabLabel(this.status)}>
        ${
          this.conversations.length === 0
            ? html`<p class="empty">${msg('No conversations here.', { id: 'inbox-empty' })}</p>`
            : html`<ul>
              ${this.conversations.map((c) => this.item(c))}
            </ul>`
        }
        ${this.hasMore ? html`<p class="more">${msg('Older conversations are not shown.', { id: 'inbox-has-more' })}</p>` : nothing}
      </div>`;
  }

  private item(c: Conversation) {
    const guest = c.visitor.kind === 'guest';
    return html`<li>
      <button
        part="item"
        class="item"
        type="button"
        data-room=${c.room}
        aria-current=${c.room === this.selected ? 'true' : nothing}
        @click=${() => fire(this, 'inbox-select', c.room)}
      >
        <span class="top">
          <span class="visitor" dir="auto">${c.visitor.name}</span>
          ${guest ? html`<span class="guest">${msg('guest', { id: 'guest-badge' })}</span>` : nothing}
          ${
            c.unread > 0
              ? html`<span part="unread" class="unread" aria-label=${msg(str`${c.unread} unread`, { id: 'inbox-unread' })}>${c.unread > 99 ? '99+' : c.unread}</span>`
              : nothing
          }
        </span>
        <span class="preview" dir="auto">${preview(c)}</span>
        <span class="meta">
          ${
            c.waitingSince !== undefined && c.status !== 'closed'
              ? html`<span part="waiting" class="waiting">${msg(str`Waiting ${span(this.now - c.waitingSince)}`, { id: 'inbox-waiting' })}</span>`
              : nothing
          }
          <span part="assignee" class="assignee">
            ${c.assignee ? msg(str`Assigned to ${c.assignee.name}`, { id: 'inbox-assigned-to' }) : msg('Unassigned', { id: 'inbox-tab-unassigned' })}
          </span>
        </span>
      </button>
    </li>`;
  }

  private choose(tab: InboxListStatus): void {
    if (tab !== this.status) fire(this, 'inbox-tab', tab);
  }

  /** Arrow keys move between the tabs (the tablist pattern). */
  private arrows(e: KeyboardEvent): void {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const rtl = getComputedStyle(this).direction === 'rtl';
    const step = (e.key === 'ArrowRight') !== rtl ? 1 : -1;
    const next = TABS[(TABS.indexOf(this.status) + step + TABS.length) % TABS.length] ?? 'open';
    this.choose(next);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[data-tab="${next}"]`)?.focus());
  }

  static override styles = [
    theme,
    guestMark,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      .tabs {
        display: flex;
        flex-wrap: wrap;
        gap: 0 2px;
        border-block-end: 1px solid var(--_border);
        padding-inline: 8px;
        flex: none;
      }
      [role='tab'] {
        border: 0;
        border-block-end: 2px solid transparent;
        background: none;
        color: var(--_muted);
        font: inherit;
        font-size: 13px;
        font-weight: 600;
        padding: 10px 6px 8px;
        cursor: pointer;
        white-space: nowrap;
      }
      [role='tab'][aria-selected='true'] {
        color: var(--_accent);
        border-block-end-color: var(--_accent);
      }
      #list {
        overflow-y: auto;
        flex: 1;
        min-height: 0;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .item {
        display: grid;
        gap: 2px;
        inline-size: 100%;
        text-align: start;
        border: 0;
        border-block-end: 1px solid var(--_border);
        background: var(--_bg);
        color: var(--_fg);
        font: inherit;
        padding: 10px 14px;
        cursor: pointer;
      }
      .item:hover {
        background: var(--_surface);
      }
      .item[aria-current='true'] {
        background: var(--_mine);
        box-shadow: inset 3px 0 0 var(--_accent);
      }
      :host(:dir(rtl)) .item[aria-current='true'] {
        box-shadow: inset -3px 0 0 var(--_accent);
      }
      .top {
        display: flex;
        align-items: center;
        gap: 6px;
        min-width: 0;
      }
      .visitor {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .unread {
        margin-inline-start: auto;
        min-inline-size: 20px;
        padding: 0 6px;
        border-radius: 10px;
        background: var(--_accent);
        color: var(--_accent-fg);
        font-size: 12px;
        font-weight: 700;
        text-align: center;
      }
      .preview {
        color: var(--_muted);
        font-size: 14px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 10px;
        font-size: 12px;
        color: var(--_muted);
      }
      .waiting {
        color: var(--_danger);
        font-weight: 600;
      }
      .empty,
      .more {
        color: var(--_muted);
        font-size: 14px;
        padding: 14px;
        margin: 0;
      }
    `,
  ];
}

customElements.get('inbox-list') || customElements.define('inbox-list', InboxList);

declare global {
  interface HTMLElementTagNameMap {
    'inbox-list': InboxList;
  }
}
