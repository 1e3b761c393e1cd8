import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
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
    updateWhenLocaleChanges(this);
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
      this.error = msg(str`The bans could not be loaded: ${failure(err)}`, { id: 'admin-bans-failed' });
    }
  }

  private async lift(ban: Ban): Promise<void> {
    if (!this.api) return;
    try {
      await this.api.request('DELETE', `/api/bans/${encodeURIComponent(ban.id)}`);
      this.error = '';
      this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
    } catch (err) {
      this.error = msg(str`The ban could not be lifted: ${failure(err)}`, { id: 'admin-lift-failed' });
    }
    await this.reload();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('api')) void this.poller.now();
  }

  override render() {
    const bans = this.bans ?? [];
    return html`<section aria-labelledby="bans-title">
      <div class="head"><h2 id="bans-title">${msg('Bans', { id: 'admin-bans' })}</h2></div>
      ${
        bans.length === 0
          ? html`<p class="empty">${msg('No ban in force.', { id: 'admin-no-bans' })}</p>`
          : html`<div class="scroll"><table>
            <thead><tr><th>${msg('Who', { id: 'admin-who' })}</th><th>${msg('Where', { id: 'admin-where' })}</th><th>${msg('Until', { id: 'admin-until' })}</th><th>${msg('Reason', { id: 'admin-reason' })}</th><th><span class="visually-hidden">${msg('Lift', { id: 'admin-lift' })}</span></th></tr></thead>
            <tbody>
              ${bans.map(
                (ban) => html`<tr data-ban=${ban.id}>
                  <td>${ban.user ?? ban.ip}</td>
                  <td>${ban.room ?? msg('every room', { id: 'admin-every-room' })}</td>
                  <td>${ban.until === undefined ? msg('for good', { id: 'admin-for-good' }) : when(ban.until)}</td>
                  <td>${ban.reason ?? ''} <span class="hint">${msg(str`by ${ban.by.name}`, { id: 'admin-ban-by' })}</span></td>
                  <td class="num"><button type="button" aria-label=${msg(str`Lift the ban of ${ban.user ?? ban.ip}`, { id: 'admin-lift-ban-of' })} @click=${() => this.lift(ban)}>${msg('Lift', { id: 'admin-lift' })}</button></td>
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
