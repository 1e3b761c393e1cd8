import { html, LitElement, type PropertyValues } from 'lit';
import { theme } from '../theme.js';
import { type AdminApi, type Ban, failure, when } from './admin-api.js';
import { adminStyles } from './admin-styles.js';
import { Poller } from './poller.js';

const REFRESH_MS = 5000;

/** The bans in force, newest first, each with Lift; asked again every 5 s and after every action. */
export class AdminBans extends LitElement {
  static override properties = { api: { attribute: false }, bans: { state: true }, error: { state: true } };
  static override styles = [theme, adminStyles];

  declare api: AdminApi | undefined;
  declare private bans: Ban[] | undefined;
  declare private error: string;
  private readonly poller = new Poller(this, REFRESH_MS, () => this.refresh());

  constructor() {
    super();
    this.api = undefined;
    this.bans = undefined;
    this.error = '';
  }

  /** Asks again now (a ban was made or lifted elsewhere in the console). */
  reload(): Promise<void> {
    return this.poller.now();
  }

  private async refresh(): Promise<void> {
    if (!this.api) return;
    try {
      this.bans = (await this.api.request<{ bans: Ban[] }>('GET', '/api/bans')).bans;
      this.error = '';
    } catch (err) {
      this.error = `The bans could not be loaded: ${failure(err)}`;
    }
  }

  private async lift(ban: Ban): Promise<void> {
    if (!this.api) return;
    try {
      await this.api.request('DELETE', `/api/bans/${encodeURIComponent(ban.id)}`);
      this.error = '';
      this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
    } catch (err) {
      this.error = `The ban could not be lifted: ${failure(err)}`;
    }
    await this.reload();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('api')) void this.poller.now();
  }

  override render() {
    const bans = this.bans ?? [];
    return html`<section aria-labelledby="bans-title">
      <div class="head"><h2 id="bans-title">Bans</h2></div>
      ${
        bans.length === 0
          ? html`<p class="empty">No ban in force.</p>`
          : html`<div class="scroll"><table>
            <thead><tr><th>Who</th><th>Where</th><th>Until</th><th>Reason</th><th><span class="visually-hidden">Lift</span></th></tr></thead>
            <tbody>
              ${bans.map(
                (ban) => html`<tr data-ban=${ban.id}>
                  <td>${ban.user ?? ban.ip}</td>
                  <td>${ban.room ?? 'every room'}</td>
                  <td>${ban.until === undefined ? 'for good' : when(ban.until)}</td>
                  <td>${ban.reason ?? ''} <span class="hint">by ${ban.by.name}</span></td>
                  <td class="num"><button type="button" aria-label=${`Lift the ban of ${ban.user ?? ban.ip}`} @click=${() => this.lift(ban)}>Lift</button></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
      }
      <p class="error" role="alert">${this.error}</p>
    </section>`;
  }
}

customElements.get('admin-bans') || customElements.define('admin-bans', AdminBans);

declare global {
  interface HTMLElementTagNameMap {
    'admin-bans': AdminBans;
  }
}
