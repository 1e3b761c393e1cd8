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
      this.error = `The audit log could not be loaded: ${failure(err)}`;
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
      <div class="head"><h2 id="audit-title">Audit log</h2><span class="hint">Oldest first</span></div>
      ${
        this.entries.length === 0
          ? html`<p class="empty">No moderation action yet.</p>`
          : html`<div class="scroll"><table>
            <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Room</th><th>Target</th><th>Reason</th></tr></thead>
            <tbody>
              ${this.entries.map(
                (entry) => html`<tr data-audit=${entry.id} data-action=${entry.action}>
                  <td>${when(entry.ts)}</td>
                  <td>${entry.actor.name}</td>
                  <td>${entry.action}</td>
                  <td>${entry.room ?? ''}</td>
                  <td>${target(entry)}</td>
                  <td>${entry.reason ?? ''}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
      }
      ${this.hasMore ? html`<p><button type="button" @click=${() => this.next()}>Load more</button></p>` : ''}
      <p class="error" role="alert">${this.error}</p>
    </section>`;
  }
}

function target({ target: t }: AuditEntry): string {
  if (t.seq !== undefined) return `message ${t.seq}`;
  return t.user ?? t.ip ?? t.ban ?? '';
}

customElements.get('admin-audit') || customElements.define('admin-audit', AdminAudit);

declare global {
  interface HTMLElementTagNameMap {
    'admin-audit': AdminAudit;
  }
}
