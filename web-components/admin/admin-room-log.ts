import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import type { Member, Message } from '../../src/protocol.js';
import { ChatConnection } from '../chat-connection.js';
import { errorText } from '../error-text.js';
import { dateFormats } from '../locale.js';
import { renderStatus, statusStyles } from '../connection-status.js';
import { theme } from '../theme.js';
import { type AdminApi, failure } from './admin-api.js';
import type { AdminBanDialog } from './admin-ban-dialog.js';
import { adminStyles } from './admin-styles.js';
import './admin-ban-dialog.js';

/**
 * One room's live log, watched as an observing moderator (not in its presence): every message
 * with Delete, Kick and Ban; deleted ones shown as such; who is in the room.
 *
 * @fires admin-changed - after an action, so the bans and the audit log ask again; bubbles and is composed.
 */
export class AdminRoomLog extends LitElement {
  static override properties = {
    room: { type: String },
    api: { attribute: false },
    notice: { state: true },
  };
  static override styles = [
    theme,
    statusStyles,
    adminStyles,
    css`
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        max-height: 420px;
        overflow-y: auto;
        border: 1px solid var(--_border);
        border-radius: 8px;
      }
      li {
        padding: 8px 10px;
        border-bottom: 1px solid var(--_border);
      }
      li:last-child {
        border-bottom: 0;
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 8px;
        font-size: 13px;
        color: var(--_muted);
      }
      .author {
        color: var(--_fg);
        font-weight: 600;
      }
      .text {
        margin: 2px 0 6px;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .deleted .text {
        color: var(--_muted);
        font-style: italic;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
      }
      .members {
        margin: 0 0 10px;
        font-size: 14px;
      }
      .notice {
        font-size: 14px;
        margin: 8px 0 0;
      }
      .notice:empty {
        display: none;
      }
    `,
  ];

  /** The room to watch. */
  declare room: string;
  declare api: AdminApi | undefined;
  /** What the last action did, or why it failed. */
  declare private notice: string;
  private chat?: ChatConnection;

  constructor() {
    super();
    this.room = '';
    this.api = undefined;
    this.notice = '';
    updateWhenLocaleChanges(this);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('room') && !changed.has('api')) return;
    if (this.chat) {
      this.removeController(this.chat);
      this.chat.close();
    }
    this.chat =
      this.room && this.api
        ? new ChatConnection(this, { url: location.origin, token: this.api.token, room: this.room, observe: true })
        : undefined;
    this.notice = '';
  }

  protected override updated(changed: PropertyValues<this>): void {
    const list = this.renderRoot.querySelector('ol');
    if (list && (changed.has('room') || list.scrollHeight - list.scrollTop - list.clientHeight < 80)) list.scrollTop = list.scrollHeight;
  }

  override render() {
    const chat = this.chat;
    if (!chat) return nothing;
    return html`<section aria-labelledby="log-title">
      <div class="head">
        <h2 id="log-title">${msg(str`Live log of ${this.room}`, { id: 'admin-live-log' })}</h2>
        ${renderStatus(chat.state)}
      </div>
      ${chat.state.status === 'failed' ? html`<p class="error" role="alert">${errorText(chat.state.error)}</p>` : nothing}
      <p class="members">
        ${
          chat.members.length
            ? msg(str`${chat.members.length} in the room: ${chat.members.map((m) => m.name).join(', ')}`, { id: 'admin-in-room' })
            : msg('Nobody in the room', { id: 'admin-nobody-in-room' })
        }
      </p>
      ${chat.hasMore ? html`<p><button type="button" @click=${() => chat.loadOlder()}>${msg('Load older messages', { id: 'load-older' })}</button></p>` : nothing}
      ${chat.messages.length === 0 ? html`<p class="empty">${msg('No message yet.', { id: 'admin-no-messages' })}</p>` : html`<ol aria-label=${msg(str`Messages of ${this.room}`, { id: 'admin-messages-of' })}>${chat.messages.map((m) => this.renderMessage(m))}</ol>`}
      <p class="notice" role="status">${this.notice}</p>
      <admin-ban-dialog .api=${this.api}></admin-ban-dialog>
    </section>`;
  }

  private renderMessage(message: Message) {
    const deleted = message.deleted === true;
    const system = message.author.kind === 'system';
    return html`<li class=${deleted ? 'message deleted' : 'message'} data-seq=${message.seq}>
      <div class="meta">
        <span class="author">${message.author.name}</span>
        <span>${message.author.kind === 'guest' ? `${msg('guest', { id: 'guest-badge' })} ` : ''}${message.author.id}</span>
        <time datetime=${new Date(message.ts).toISOString()}>${dateFormats().time.format(message.ts)}</time>
        <span>#${message.seq}</span>
      </div>
      <p class="text" dir="auto">${deleted ? msg('Message deleted', { id: 'message-deleted' }) : message.text}</p>
      <div class="actions">
        <button type="button" class="danger" ?disabled=${deleted} aria-label=${msg(str`Delete message ${message.seq}`, { id: 'admin-delete-message' })} @click=${() => this.deleteMessage(message)}>${msg('Delete', { id: 'delete' })}</button>
        <button type="button" ?disabled=${system} aria-label=${msg(str`Kick ${message.author.name} (message ${message.seq})`, { id: 'admin-kick-label' })} @click=${() => this.kick(message.author)}>${msg('Kick', { id: 'admin-kick' })}</button>
        <button type="button" ?disabled=${system} aria-label=${msg(str`Ban ${message.author.name} (message ${message.seq})`, { id: 'admin-ban-label' })} @click=${(e: Event) => this.ban(message.author, e)}>${msg('Ban', { id: 'admin-ban' })}</button>
      </div>
    </li>`;
  }

  private async act(done: string, action: (api: AdminApi) => Promise<unknown>): Promise<void> {
    if (!this.api) return;
    try {
      await action(this.api);
      this.notice = done;
      this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
    } catch (err) {
      this.notice = msg(str`Not done: ${failure(err)}`, { id: 'admin-not-done' });
    }
  }

  private deleteMessage(message: Message): Promise<void> {
    const path = `/api/rooms/${encodeURIComponent(this.room)}/messages/${message.seq}`;
    return this.act(msg(str`Message ${message.seq} deleted.`, { id: 'admin-deleted' }), (api) => api.request('DELETE', path));
  }

  private kick(user: Member): Promise<void> {
    const path = `/api/rooms/${encodeURIComponent(this.room)}/kick`;
    return this.act(msg(str`${user.name} was kicked.`, { id: 'admin-kicked' }), (api) => api.request('POST', path, { user: user.id }));
  }

  private ban(user: Member, event: Event): void {
    const dialog = this.renderRoot.querySelector<AdminBanDialog>('admin-ban-dialog');
    void dialog?.open(user, this.room, event.currentTarget as HTMLElement);
  }
}

customElements.get('admin-room-log') || customElements.define('admin-room-log', AdminRoomLog);

declare global {
  interface HTMLElementTagNameMap {
    'admin-room-log': AdminRoomLog;
  }
}
