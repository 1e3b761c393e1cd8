import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement, nothing } from 'lit';
import { dateFormats } from '../locale.js';
import '../roomcast-room.js';
import { theme } from '../theme.js';
import { fire, type InboxAction } from './inbox-events.js';
import { buttonStyles, guestMark } from './inbox-styles.js';
import type { Conversation } from '../../src/protocol.js';

/** Tomorrow at 9 in the morning, local time: when "Snooze until tomorrow" wakes a conversation. */
export function tomorrowMorning(now = new Date()): number {
  const at = new Date(now);
  at.setDate(at.getDate() + 1);
  at.setHours(9, 0, 0, 0);
  return at.getTime();
}

/**
 * One conversation as staff work on it: the header (the visitor, their e-mail, the status and the
 * actions: assign to me or unassign, close or reopen, snooze for an hour, until tomorrow or until
 * the visitor replies), the conversation itself in `<roomcast-room>`, and the staff's private notes
 * in another `<roomcast-room>` on the conversation's `note-` room. Side by side when wide; one at a
 * time, with a switch, when narrow.
 *
 * @fires inbox-action - `CustomEvent<InboxAction>`; bubbles and is composed.
 * @fires inbox-back - `CustomEvent<void>`: the back button (narrow layouts) was pressed.
 * @csspart back - the back button
 * @csspart actions - the action buttons
 */
export class InboxConversation extends LitElement {
  static override properties = {
    conversation: { attribute: false },
    me: { type: String },
    server: { type: String },
    token: { attribute: false },
    busy: { type: Boolean },
    error: { type: String },
    view: { state: true },
  };

  declare conversation: Conversation | undefined;
  /** The signed-in staff member's user id. */
  declare me: string;
  declare server: string;
  declare token: string | undefined;
  /** An action is under way: the buttons wait. */
  declare busy: boolean;
  /** Why the last action failed. */
  declare error: string;
  /** Narrow layouts show one room at a time. */
  declare private view: 'conversation' | 'notes';

  constructor() {
    super();
    this.conversation = undefined;
    this.me = '';
    this.server = '';
    this.token = undefined;
    this.busy = false;
    this.error = '';
    this.view = 'conversation';
    updateWhenLocaleChanges(this);
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    const previous = changed.get('conversation') as Conversation | undefined;
    if (changed.has('conversation') && previous?.room !== this.conversation?.room) this.view = 'conversation';
  }

  override render() {
    const c = this.conversation;
    if (!c) return html`<p class="placeholder">${msg('Choose a conversation.', { id: 'inbox-choose' })}</p>`;
    const mine = c.assignee?.id === this.me;
    return html`<header>
        <button part="back" class="back" type="button" @click=${() => fire(this, 'inbox-back', undefined)}>
          <span aria-hidden="true" class="arrow">←</span> ${msg('Conversations', { id: 'inbox-conversations' })}
        </button>
        <div class="who">
          <h2 dir="auto">${c.visitor.name}</h2>
          ${c.visitor.kind === 'guest' ? html`<span class="guest">${msg('guest', { id: 'guest-badge' })}</span>` : nothing}
          ${c.email ? html`<a class="email" href=${`mailto:${c.email}`}>${c.email}</a>` : nothing}
        </div>
        <p class="status" data-status=${c.status}>${statusLine(c)}</p>
        <div part="actions" class="actions">
          ${
            mine
              ? this.button('unassign', msg('Unassign', { id: 'inbox-unassign' }))
              : this.button('assign', msg('Assign to me', { id: 'inbox-assign-me' }))
          }
          ${c.status === 'closed' ? this.button('reopen', msg('Reopen', { id: 'inbox-reopen' })) : this.button('close', msg('Close', { id: 'inbox-close' }))}
          ${c.status === 'closed' ? nothing : this.snoozeMenu(c)}
        </div>
        <p class="error" role="alert">${this.error}</p>
        <div class="switch" role="group" aria-label=${msg('Show', { id: 'inbox-show' })}>
          <button type="button" aria-pressed=${String(this.view === 'conversation')} @click=${() => (this.view = 'conversation')}>
            ${msg('Conversation', { id: 'inbox-conversation' })}
          </button>
          <button type="button" aria-pressed=${String(this.view === 'notes')} @click=${() => (this.view = 'notes')}>
            ${msg('Private notes', { id: 'inbox-notes' })}
          </button>
        </div>
      </header>
      <div class="rooms" data-view=${this.view}>
        <roomcast-room
          class="conversation"
          .room=${c.room}
          .heading=${msg(str`Conversation with ${c.visitor.name}`, { id: 'inbox-conversation-with' })}
          .server=${this.server}
          .token=${this.token}
        ></roomcast-room>
        <section class="notes" aria-label=${msg('Private notes', { id: 'inbox-notes' })}>
          <p class="private">${msg('Private notes: only staff see these', { id: 'inbox-notes-private' })}</p>
          <roomcast-room .room=${c.notes} .heading=${msg('Private notes', { id: 'inbox-notes' })} .server=${this.server} .token=${this.token}></roomcast-room>
        </section>
      </div>`;
  }

  private button(action: 'assign' | 'unassign' | 'close' | 'reopen', label: string) {
    return html`<button type="button" data-action=${action} ?disabled=${this.busy} @click=${() => this.act({ action, room: this.conversation?.room ?? '' })}>
      ${label}
    </button>`;
  }

  private snoozeMenu(c: Conversation) {
    const snooze = (until?: number) => {
      this.renderRoot.querySelector('details')?.removeAttribute('open');
      this.act(until === undefined ? { action: 'snooze', room: c.room } : { action: 'snooze', room: c.room, until });
    };
    return html`<details class="snooze">
      <summary data-action="snooze">${msg('Snooze', { id: 'inbox-snooze' })}</summary>
      <div class="menu">
        <button type="button" data-snooze="hour" ?disabled=${this.busy} @click=${() => snooze(Date.now() + 3600_000)}>
          ${msg('For 1 hour', { id: 'inbox-snooze-hour' })}
        </button>
        <button type="button" data-snooze="tomorrow" ?disabled=${this.busy} @click=${() => snooze(tomorrowMorning())}>
          ${msg('Until tomorrow', { id: 'inbox-snooze-tomorrow' })}
        </button>
        <button type="button" data-snooze="reply" ?disabled=${this.busy} @click=${() => snooze()}>
          ${msg('Until the visitor replies', { id: 'inbox-snooze-reply' })}
        </button>
      </div>
    </details>`;
  }

  private act(detail: InboxAction): void {
    fire(this, 'inbox-action', detail);
  }

  static override styles = [
    theme,
    buttonStyles,
    guestMark,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        container-type: inline-size;
      }
      .placeholder {
        color: var(--_muted);
        margin: auto;
        padding: 24px;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 6px 12px;
        padding: 10px 14px;
        border-block-end: 1px solid var(--_border);
        background: var(--_bg);
      }
      .who {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 4px 8px;
        min-width: 0;
        flex: 1 1 220px;
      }
      h2 {
        margin: 0;
        font-size: 18px;
        overflow-wrap: anywhere;
      }
      .email {
        color: var(--_accent);
        font-size: 14px;
        overflow-wrap: anywhere;
      }
      .status {
        margin: 0;
        font-size: 13px;
        font-weight: 600;
        color: var(--_muted);
      }
      .status::before {
        content: '';
        display: inline-block;
        inline-size: 8px;
        block-size: 8px;
        border-radius: 50%;
        margin-inline-end: 6px;
        background: var(--_muted);
      }
      .status[data-status='open']::before {
        background: var(--_success);
      }
      .status[data-status='snoozed']::before {
        background: var(--_warning);
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: flex-start;
      }
      summary {
        display: flex;
        align-items: center;
        list-style: none;
      }
      summary::after {
        content: '▾';
        margin-inline-start: 6px;
      }
      .snooze {
        position: relative;
      }
      .menu {
        position: absolute;
        inset-inline-end: 0;
        inset-block-start: calc(100% + 4px);
        z-index: 2;
        display: grid;
        gap: 4px;
        padding: 6px;
        min-inline-size: 220px;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: 10px;
        box-shadow: 0 8px 24px rgb(0 0 0 / 0.15);
      }
      .menu button {
        text-align: start;
        border: 0;
        background: none;
      }
      .menu button:hover {
        background: var(--_surface);
      }
      .error {
        flex-basis: 100%;
        margin: 0;
        color: var(--_danger);
        font-size: 14px;
      }
      .error:empty {
        display: none;
      }
      .back,
      .switch {
        display: none;
      }
      .switch {
        flex-basis: 100%;
        gap: 4px;
      }
      .rooms {
        flex: 1;
        min-height: 0;
        display: grid;
        grid-template-columns: minmax(0, 1.6fr) minmax(0, 1fr);
        gap: 12px;
        padding: 12px;
      }
      roomcast-room {
        --roomcast-height: 100%;
        min-height: 0;
      }
      .notes {
        display: flex;
        flex-direction: column;
        gap: 6px;
        min-height: 0;
      }
      .notes roomcast-room {
        flex: 1;
        --roomcast-surface: color-mix(in srgb, var(--_warning) 12%, var(--_bg));
      }
      .private {
        margin: 0;
        font-size: 13px;
        font-weight: 600;
        color: var(--_muted);
      }
      /* Narrow: one room at a time, with a switch; on a phone the back button returns to the list. */
      @container (max-width: 760px) {
        .switch {
          display: flex;
        }
        .rooms {
          grid-template-columns: minmax(0, 1fr);
          padding: 8px;
        }
        .rooms[data-view='conversation'] .notes,
        .rooms[data-view='notes'] .conversation {
          display: none;
        }
      }
      @media (max-width: 760px) {
        header {
          padding: 8px 10px;
        }
        .who {
          flex-basis: 100px;
        }
        .back {
          display: inline-flex;
          align-items: center;
          gap: 6px;
          padding-inline: 8px;
        }
        :host(:dir(rtl)) .arrow {
          display: inline-block;
          transform: scaleX(-1);
        }
        .rooms {
          padding: 0;
        }
        roomcast-room {
          --roomcast-radius: 0;
        }
      }
    `,
  ];
}

/** The status as the header says it. */
function statusLine(c: Conversation): string {
  if (c.status === 'closed') return msg('Closed', { id: 'inbox-tab-closed' });
  if (c.status === 'snoozed' && c.snoozedUntil !== undefined && c.snoozedUntil > Date.now()) {
    return msg(str`Snoozed until ${dateFormats().dayTime.format(c.snoozedUntil)}`, { id: 'inbox-snoozed-until' });
  }
  if (c.status === 'snoozed' && c.snoozedUntil === undefined)
    return msg('Snoozed until the visitor replies', { id: 'inbox-snoozed-reply' });
  return msg('Open', { id: 'inbox-tab-open' });
}

customElements.get('inbox-conversation') || customElements.define('inbox-conversation', InboxConversation);

declare global {
  interface HTMLElementTagNameMap {
    'inbox-conversation': InboxConversation;
  }
}
