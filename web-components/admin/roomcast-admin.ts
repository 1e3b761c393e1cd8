import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement } from 'lit';
import { theme } from '../theme.js';
import { AdminApi, failure } from './admin-api.js';
import type { AdminAudit } from './admin-audit.js';
import type { AdminBans } from './admin-bans.js';
import { adminStyles } from './admin-styles.js';
import './admin-audit.js';
import './admin-bans.js';
import './admin-overview.js';
import './admin-room-log.js';
import './admin-sign-in.js';

/** Where the token is kept: this tab only, gone when it closes. */
const TOKEN_KEY = 'roomcast-admin-token';

/**
 * The admin console (docs/console.md): signs in with an admin token, pasted once or handed in
 * `?token=` by the site's backend (taken out of the address at once), kept in sessionStorage;
 * then the overview, a room's live log, the bans and the audit log, all live.
 */
export class RoomcastAdmin extends LitElement {
  static override properties = { api: { state: true }, room: { state: true }, signInError: { state: true } };
  static override styles = [
    theme,
    adminStyles,
    css`
      :host {
        min-height: 100vh;
        background: var(--_surface);
      }
      header {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 12px;
        padding: 12px 16px;
        background: var(--_bg);
        border-bottom: 1px solid var(--_border);
      }
      h1 {
        margin: 0;
        font-size: 19px;
      }
      main {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 14px;
        padding: 14px;
        max-width: 1280px;
        margin: 0 auto;
      }
      .column {
        display: grid;
        gap: 14px;
        align-content: start;
        min-width: 0;
      }
      admin-overview {
        display: grid;
        gap: 14px;
      }
      @media (min-width: 900px) {
        main {
          grid-template-columns: minmax(0, 1fr) minmax(0, 1.2fr);
        }
      }
      /* One column: the room's log right under the room list, before the bans. */
      @media (max-width: 899px) {
        .column,
        admin-overview {
          display: contents;
        }
        .log {
          order: 1;
        }
        admin-bans {
          order: 2;
        }
        admin-audit {
          order: 3;
        }
      }
      @media (max-width: 480px) {
        main {
          padding: 8px;
          gap: 10px;
        }
      }
    `,
  ];

  declare private api: AdminApi | undefined;
  declare private room: string;
  declare private signInError: string;

  constructor() {
    super();
    this.api = undefined;
    this.room = '';
    this.signInError = '';
    updateWhenLocaleChanges(this);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const url = new URL(location.href);
    const handed = url.searchParams.get('token');
    if (handed !== null) {
      // Out of the address bar and the history at once, so it is not copied, shared or kept.
      url.searchParams.delete('token');
      history.replaceState(history.state, '', url);
      void this.signIn(handed);
      return;
    }
    const kept = sessionStorage.getItem(TOKEN_KEY);
    if (kept) void this.signIn(kept);
  }

  /** Checks the token against the admin API before using it; a refused one is forgotten and said so. */
  private async signIn(token: string): Promise<void> {
    const api = new AdminApi(token);
    try {
      await api.request('GET', '/api/admin/overview');
    } catch (err) {
      sessionStorage.removeItem(TOKEN_KEY);
      this.api = undefined;
      this.signInError = msg(str`This token was refused: ${failure(err)}`, { id: 'admin-token-refused' });
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    this.signInError = '';
    this.api = api;
  }

  private signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    this.api = undefined;
    this.room = '';
  }

  /** An action in one part: the others that list its effects ask again now. */
  private changed(): void {
    void this.renderRoot.querySelector<AdminBans>('admin-bans')?.reload();
    void this.renderRoot.querySelector<AdminAudit>('admin-audit')?.reload();
  }

  override render() {
    if (!this.api) {
      return html`<header><h1>${msg('roomcast admin', { id: 'admin-title' })}</h1></header>
        <main><admin-sign-in .error=${this.signInError} @admin-sign-in=${(e: CustomEvent<string>) => this.signIn(e.detail)}></admin-sign-in></main>`;
    }
    return html`<header>
        <h1>${msg('roomcast admin', { id: 'admin-title' })}</h1>
        <button type="button" @click=${this.signOut}>${msg('Sign out', { id: 'admin-sign-out' })}</button>
      </header>
      <main @admin-changed=${this.changed}>
        <div class="column">
          <admin-overview .api=${this.api} @admin-open-room=${(e: CustomEvent<string>) => (this.room = e.detail)}></admin-overview>
          <admin-bans .api=${this.api}></admin-bans>
        </div>
        <div class="column">
          ${
            this.room
              ? html`<admin-room-log class="log" .api=${this.api} room=${this.room}></admin-room-log>`
              : html`<section class="log"><p class="empty">${msg('Open a room (its name) to watch its live log.', { id: 'admin-open-a-room' })}</p></section>`
          }
          <admin-audit .api=${this.api}></admin-audit>
        </div>
      </main>`;
  }
}

customElements.get('roomcast-admin') || customElements.define('roomcast-admin', RoomcastAdmin);

declare global {
  interface HTMLElementTagNameMap {
    'roomcast-admin': RoomcastAdmin;
  }
}
