import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement, type TemplateResult } from 'lit';
import { theme } from '../theme.js';
import { adminStyles } from './admin-styles.js';

/**
 * The sign-in form: a token pasted once (an admin's for `/admin`, a staff member's for `/inbox`:
 * `label` and `hint` say which). Says why a token was refused (`error`).
 *
 * @fires admin-sign-in - `CustomEvent<string>`, the token given; bubbles and is composed.
 */
export class AdminSignIn extends LitElement {
  static override properties = { error: { type: String }, label: { type: String }, hint: { attribute: false } };
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
  /** The input's label. */
  declare label: string | undefined;
  /** What token to paste, and where it is kept. */
  declare hint: string | TemplateResult | undefined;

  constructor() {
    super();
    this.error = '';
    updateWhenLocaleChanges(this);
  }

  override render() {
    return html`<section>
      <h2>${msg('Sign in', { id: 'admin-sign-in' })}</h2>
      <p class="hint">${this.hint ?? msg(str`Paste an admin token (a JWT with ${'admin: true'} from your backend). It is kept in this tab only.`, { id: 'admin-sign-in-hint' })}</p>
      <form @submit=${this.submit}>
        <label for="token">${this.label ?? msg('Admin token', { id: 'admin-token' })}</label>
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
