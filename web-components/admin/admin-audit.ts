import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { html, LitElement, type PropertyValues } from 'lit';
import { theme } from '../theme.js';
import { type AdminApi, type AuditEntry, failure, when } from './admin-api.js';
import { adminStyles } from './admin-styles.js';
import { Poller } from './poller.js';

const REFRESH_MS = 5000;
const PAGE = 50;

/**
 * The audit log read as a log, oldest first, a page at a time with `after=`; once the newest page
 * is in, new entries are appended as they come (every 5 s, and after every action).
 */
export class AdminAudit extends LitElement {
  static override properties = {
    api: { attribute: false },
    entries: { state: true },
    hasMore: { state: true },
    error: { state: true },
  };
  static override styles = [theme, adminStyles];

  declare api: AdminApi | undefined;
  declare private entries: AuditEntry[];
  declare private hasMore: boolean;
  declare private error: string;
  private readonly poller = new Poller(this, REFRESH_MS, () => this.follow());

  constructor() {
    super();
    this.api = undefined;
    this.entries = [];
    this.hasMore = false;
    this.error = '';
    updateWhenLocaleChanges(this);
  }

  /** Asks for what is new now (an action was taken elsewhere in the console). */
  reload(): Promise<void> {
    return this.poller.now();
  }

  /** The page after the newest entry held. */
  private async next(): Promise<void> {
    if (!this.api) return;
    const after = this.entries.at(-1)?.id ?? 0;
    try {
      const page = await this.api.request<{ entries: AuditEntry[]; hasMore: boolean }>('GET', `/api/audit?after=${after}&limit=${PAGE}`);
      this.entries = [...this.entries, ...page.entries.filter((entry) => entry.id > after)];
      this.hasMore = page.hasMore;
      this.error = '';
    } catch (err) {
      this.error = msg(str`The audit log could not be loaded: ${failure(err)}`, { id: 'admin-audit-failed' });
    }
  }

  /** Live: only while the newest page is held (the reader pages through the rest with "Load more"). */
  private async follow(): Promise<void> {
    if (this.entries.length === 0 || !this.hasMore) await this.next();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('api')) void this.poller.now();
  }

  override render() {
    return html`<section aria-labelledby="audit-title">
      <div class="head"><h2 id="audit-title">${msg('Audit log', { id: 'admin-audit-log' })}</h2><span class="hint">${msg('Oldest first', { id: 'admin-oldest-first' })}</span></div>
      ${
        this.entries.length === 0
          ? html`<p class="empty">${msg('No moderation action yet.', { id: 'admin-no-audit' })}</p>`
          : html`<div class="scroll"><table>
            <thead><tr><th>${msg('When', { id: 'admin-when' })}</th><th>${msg('Who', { id: 'admin-who' })}</th><th>${msg('Action', { id: 'admin-action' })}</th><th>${msg('Room', { id: 'admin-room' })}</th><th>${msg('Target', { id: 'admin-target' })}</th><th>${msg('Reason', { id: 'admin-reason' })}</th></tr></thead>
            <tbody>
              ${this.entries.map(
                (entry) => html`<tr data-audit=${entry.id} data-action=${entry.action}>
                  <td>${when(entry.ts)}</td>
                  <td>${entry.actor.name}</td>
                  <td>${actionName(entry.action)}</td>
                  <td>${entry.room ?? ''}</td>
                  <td>${target(entry)}</td>
                  <td>${entry.reason ?? ''}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
      }
      ${this.hasMore ? html`<p><button type="button" @click=${() => this.next()}>${msg('Load more', { id: 'admin-load-more' })}</button></p>` : ''}
      <p class="error" role="alert">${this.error}</p>
    </section>`;
  }
}

function target({ target: t }: AuditEntry): string {
  if (t.seq !== undefined) return msg(str`message ${t.seq}`, { id: 'admin-target-message' });
  return t.user ?? t.ip ?? t.ban ?? '';
}

/** An action as people say it; its code (protocol 6.4) is on the row as `data-action`. */
function actionName(action: AuditEntry['action']): string {
  switch (action) {
    case 'message.delete':
      return msg('Message deleted', { id: 'message-deleted' });
    case 'room.kick':
      return msg('Kicked', { id: 'admin-action-kick' });
    case 'ban.create':
      return msg('Banned', { id: 'admin-action-ban' });
    case 'ban.lift':
      return msg('Ban lifted', { id: 'admin-action-lift' });
    case 'room.configure':
      return msg('Room settings changed', { id: 'admin-action-configure' });
    default:
      return action;
  }
}

customElements.get('admin-audit') || customElements.define('admin-audit', AdminAudit);

declare global {
  interface HTMLElementTagNameMap {
    'admin-audit': AdminAudit;
  }
}
