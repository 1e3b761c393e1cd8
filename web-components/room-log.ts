import { msg, str } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Member } from '../src/protocol.js';
import { type FileAccess, renderAttachments } from './attachments.js';
import type { LogItem } from './chat-connection.js';
import { errorText } from './error-text.js';
import { activeLocale, dateFormats } from './locale.js';
import type { MessageMenu } from './message-menu.js';
import { linksReady, renderText } from './message-text.js';
import { renderDivider, renderSeen } from './read-state.js';

/** Messages by one author closer together than this share one header. */
const GROUP_MS = 5 * 60_000;
const AVATAR_HUES = 8;

export interface LogActions {
  retry(clientId: string): void;
  delete(clientId: string): void;
  /** Whether what waits can go now; if not, it says it waits for the connection. */
  online: boolean;
  /** The messages' action menus, quotes, edits and reactions (protocol 6.3). */
  menu?: MessageMenu;
  /** Where the messages' files are, and the token a private room's need. */
  files: FileAccess;
}

/** Read marks (read-state.ts): the "New messages" divider's seq, and "Seen by …" lines by seq. */
export interface LogMarks {
  divider?: number;
  seen: Map<number, string>;
}

/**
 * The room's log: stored messages in seq order, then the user's own not yet acknowledged, each
 * saying so ("Sending…", "Will send when connected", or "Not sent" with the reason and Retry and
 * Delete). A deleted message says "Message deleted" instead of its text. Every item carries
 * `data-state` (`sent`, `sending`, `failed`), `data-deleted` when deleted, and `data-seq` or
 * `data-client-id`, for styling and tests.
 */
export function renderLog(items: readonly LogItem[], me: Member | undefined, actions: LogActions, marks?: LogMarks): TemplateResult {
  return html`${repeat(
    items,
    (item) => (item.message ? item.message.id : `pending:${item.pending.clientId}`),
    // An item renders again only when it, the one before it (its grouping) or the user changed:
    // a busy room re-rendered every message on every new one and froze the page. A new language too.
    (item, i) => {
      const previous = items[i - 1];
      const seq = item.message?.seq ?? 0;
      const divider = seq === marks?.divider;
      const seen = marks?.seen.get(seq);
      const deps: unknown[] = [
        item.message ?? item.pending,
        previous?.message ?? previous?.pending,
        me,
        actions.online,
        activeLocale(),
        linksReady(),
        divider,
        seen,
      ];
      if (item.message && actions.menu) deps.push(...actions.menu.deps(item.message));
      return guard(deps, () => renderItem(item, previous, me, actions, divider, seen));
    },
  )}`;
}

/** Who wrote an item, when and what: a pending one is the user's, from when they pressed Send. */
function view(item: LogItem, me: Member | undefined): { author: Member; ts: number; text: string } {
  return item.message ?? { author: me ?? YOU, ts: item.pending.createdAt, text: item.pending.text };
}

/** The author of pending items before the server has said who the user is (a reload while offline). */
const YOU: Member = { id: '', name: '', kind: 'guest' };

function renderItem(
  item: LogItem,
  previous: LogItem | undefined,
  me: Member | undefined,
  actions: LogActions,
  divider: boolean,
  seen: string | undefined,
): TemplateResult {
  const { author, ts, text } = view(item, me);
  const deleted = item.message?.deleted === true;
  const prev = previous && view(previous, me);
  const mine = item.pending !== undefined || author.id === me?.id;
  const continued = prev !== undefined && prev.author.id === author.id && ts - prev.ts < GROUP_MS;
  const state = item.pending?.state ?? 'sent';
  const date = new Date(ts);
  // Anyone can type any name as a guest: a guest's name never stands alone.
  const guest = author.kind === 'guest' && author !== YOU;
  const name = author === YOU ? msg('You', { id: 'you-name' }) : author.name;
  const { time, dayTime, full } = dateFormats();
  const { message } = item;
  const { menu } = actions;
  return html`
    <li
      part="message ${mine ? 'message-mine' : ''} ${state === 'sent' ? '' : `message-${state}`}"
      class="message ${continued ? 'continued' : ''} ${mine ? 'mine' : ''} ${author.kind} ${state} ${deleted ? 'deleted' : ''}"
      data-state=${state}
      data-deleted=${deleted ? '' : nothing}
      data-seq=${item.message?.seq ?? nothing}
      data-client-id=${(item.message?.clientId ?? item.pending?.clientId) || nothing}
    >
      ${divider ? renderDivider() : nothing}
      ${
        continued
          ? html`<span class="visually-hidden">${guest ? msg(str`${name} (guest):`, { id: 'author-guest-hidden' }) : `${name}:`}</span>`
          : html`<span class="avatar hue-${hue(author.id)}" aria-hidden="true">${initial(name)}</span>
            <div class="meta">
              <span part="author" class="author" dir="auto">${name}</span>
              ${author.staff ? html`<span part="staff-badge" class="staff-badge">${msg('staff', { id: 'staff-badge' })}</span>` : nothing}
              ${
                guest
                  ? html`<span
                    part="guest-badge"
                    class="guest-badge"
                    title=${msg('Not signed in: any visitor can take this name', { id: 'guest-badge-title' })}
                    ><span aria-hidden="true">${msg('guest', { id: 'guest-badge' })}</span><span class="visually-hidden"
                      >${msg('(guest, not signed in)', { id: 'guest-badge-hidden' })}</span
                    ></span
                  >`
                  : nothing
              }
              ${mine ? html`<span class="you">${msg('you', { id: 'you-badge' })}</span>` : nothing}
              <time part="time" class="time" datetime=${date.toISOString()} title=${full.format(date)}
                >${(date.toDateString() === new Date().toDateString() ? time : dayTime).format(date)}</time
              >
            </div>`
      }
      ${menu ? menu.quote(message ?? item.pending) : nothing}
      ${(message && menu?.text(message)) || html`<div part="text" class="text" dir="auto">${deleted ? msg('Message deleted', { id: 'message-deleted' }) : renderText(text)}</div>`}
      ${renderAttachments(item.message?.attachments ?? item.pending?.attachments, actions.files)}
      ${message && menu ? menu.after(message, mine) : nothing}
      ${item.pending ? renderDelivery(item.pending.clientId, item.pending.state, item.pending.error && errorText(item.pending.error), actions) : nothing}
      ${seen ? renderSeen(seen) : nothing}
    </li>
  `;
}

function renderDelivery(clientId: string, state: 'sending' | 'failed', reason: string | undefined, actions: LogActions): TemplateResult {
  if (state === 'sending') {
    return html`<p part="delivery" class="delivery">${actions.online ? msg('Sending…', { id: 'sending' }) : msg('Will send when connected', { id: 'will-send' })}</p>`;
  }
  return html`<p part="delivery" class="delivery" role="alert">
    <span>${reason ? msg(str`Not sent: ${reason}`, { id: 'not-sent-because' }) : msg('Not sent.', { id: 'not-sent' })}</span>
    <button part="retry-button" class="chip" type="button" @click=${() => actions.retry(clientId)}>${msg('Retry', { id: 'retry-send' })}</button>
    <button part="delete-button" class="chip" type="button" @click=${() => actions.delete(clientId)}>${msg('Delete', { id: 'delete-unsent' })}</button>
  </p>`;
}

function initial(name: string): string {
  return (Array.from(name.trim())[0] ?? '?').toUpperCase();
}

function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % AVATAR_HUES;
}

export const logStyles = css`
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
  .guest-badge,
  .staff-badge {
    font-size: 11px;
    padding: 0 6px;
    border-radius: 4px;
    color: var(--_muted);
    border: 1px dashed;
    white-space: nowrap;
  }
  .staff-badge {
    color: var(--_accent-fg);
    background: var(--_accent);
    border-color: var(--_accent);
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
  .text a {
    color: var(--_accent);
    text-decoration: underline;
  }
  .system .text {
    color: var(--_muted);
    font-style: italic;
  }
  .deleted .text {
    color: var(--_muted);
    font-style: italic;
  }
  .sending .text {
    opacity: 0.65;
  }
  .delivery {
    grid-column: 2;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 10px;
    margin: 2px 0 0;
    font-size: 12px;
    color: var(--_muted);
  }
  .failed .delivery {
    color: var(--_danger);
  }
  .unread-divider {
    grid-column: 1 / -1;
    display: flex;
    align-items: center;
    gap: 8px;
    margin: 4px 0 8px;
    font-size: 12px;
    font-weight: 600;
    color: var(--_danger);
  }
  .unread-divider::before,
  .unread-divider::after {
    content: '';
    flex: 1;
    border-top: 1px solid currentColor;
  }
  .seen-by {
    grid-column: 2;
    margin: 2px 0 0;
    font-size: 12px;
    color: var(--_muted);
    text-align: end;
  }
`;
