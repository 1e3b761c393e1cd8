import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement } from 'lit';
import { theme } from '../theme.js';
import { adminStyles } from './admin-styles.js';

/**
 * The sign-in form: an admin token pasted once. Says why a token was refused (`error`).
 *
 * @fires admin-sign-in - `CustomEvent<string>`, the token given; bubbles and is composed.
 */
export class AdminSignIn extends LitElement {
  static override properties = { error: { type: String } };
  static override styles = [
    theme,
    adminStyles,
    css`
      section {
        max-width: 520px;
        margin: 0 auto;
      }
      label {
        display: block;
        font-weight: 600;
        margin: 12px 0 6px;
      }
      .row {
        display: flex;
        gap: 8px;
      }
      input {
        flex: 1;
        min-width: 0;
      }
    `,
  ];

  /** Why the last token was refused. */
  declare error: string;

  constructor() {
    super();
    this.error = '';
    updateWhenLocaleChanges(this);
  }

  override render() {
    return html`<section>
      <h2>${msg('Sign in', { id: 'admin-sign-in' })}</h2>
      <p class="hint">${msg(str`Paste an admin token (a JWT with ${'admin: true'} from your backend). It is kept in this tab only.`, { id: 'admin-sign-in-hint' })}</p>
      <form @submit=${this.submit}>
        <label for="token">${msg('Admin token', { id: 'admin-token' })}</label>
        <div class="row">
          <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required aria-describedby="error" />
          <button class="primary" type="submit">${msg('Sign in', { id: 'admin-sign-in' })}</button>
        </div>
        <p id="error" class="error" role="alert">${this.error}</p>
      </form>
    </section>`;
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector('input');
    const token = input?.value.trim() ?? '';
    if (!token) {
      this.error = msg('Paste a token first.', { id: 'admin-paste-token' });
      input?.focus();
      return;
    }
    this.dispatchEvent(new CustomEvent('admin-sign-in', { detail: token, bubbles: true, composed: true }));
  }
}

customElements.get('admin-sign-in') || customElements.define('admin-sign-in', AdminSignIn);

declare global {
  interface HTMLElementTagNameMap {
    'admin-sign-in': AdminSignIn;
  }
}
