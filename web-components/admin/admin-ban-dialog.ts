import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement } from 'lit';
import type { Member } from '../../src/protocol.js';
import { theme } from '../theme.js';
import { type AdminApi, failure } from './admin-api.js';
import { adminStyles } from './admin-styles.js';

/** The lengths a ban form offers, in ms (0 is for good), named in the console's language. */
const durations = (): [string, number][] => [
  [msg('1 hour', { id: 'admin-ban-hour' }), 3_600_000],
  [msg('1 day', { id: 'admin-ban-day' }), 86_400_000],
  [msg('7 days', { id: 'admin-ban-week' }), 7 * 86_400_000],
  [msg('For good', { id: 'admin-ban-for-good' }), 0],
];

/**
 * The ban form, in a modal `<dialog>`: the platform's own modal makes the rest of the page inert
 * and closes on Esc; Tab and Shift+Tab go round its controls rather than out to the browser; focus
 * goes back to the button that opened it.
 *
 * @fires admin-changed - after a ban was made; bubbles and is composed.
 */
export class AdminBanDialog extends LitElement {
  static override properties = { api: { attribute: false }, target: { state: true }, error: { state: true } };
  static override styles = [
    theme,
    adminStyles,
    css`
      dialog {
        width: min(420px, calc(100vw - 24px));
        padding: 18px;
        border: 1px solid var(--_border);
        border-radius: 12px;
        background: var(--_bg);
        color: var(--_fg);
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 45%);
      }
      fieldset {
        border: 0;
        margin: 12px 0 0;
        padding: 0;
      }
      legend,
      label.block {
        font-weight: 600;
        margin-bottom: 6px;
        display: block;
      }
      select,
      input[type='text'] {
        width: 100%;
      }
      .actions {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
        margin-top: 16px;
      }
    `,
  ];

  declare api: AdminApi | undefined;
  declare private target: { user: Member; room: string } | undefined;
  declare private error: string;
  private opener?: HTMLElement;

  constructor() {
    super();
    this.api = undefined;
    this.target = undefined;
    this.error = '';
    updateWhenLocaleChanges(this);
  }

  /** Opens the form to ban `user` (in `room`, or everywhere); `opener` gets the focus back. */
  async open(user: Member, room: string, opener?: HTMLElement): Promise<void> {
    this.target = { user, room };
    this.error = '';
    this.opener = opener;
    await this.updateComplete;
    this.renderRoot.querySelector('form')?.reset();
    this.dialog?.showModal();
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  override render() {
    const target = this.target;
    return html`<dialog aria-labelledby="ban-title" @close=${this.closed} @keydown=${this.trap}>
      <form @submit=${this.submit}>
        <h2 id="ban-title">${msg(str`Ban ${target?.user.name ?? ''}`, { id: 'admin-ban-title' })}</h2>
        <p class="hint">${msg(str`User id ${target?.user.id ?? ''}`, { id: 'admin-user-id' })}</p>
        <fieldset>
          <legend>${msg('Where', { id: 'admin-where' })}</legend>
          <label><input type="radio" name="scope" value="room" checked /> ${msg(str`In ${target?.room ?? ''}`, { id: 'admin-ban-in-room' })}</label><br />
          <label><input type="radio" name="scope" value="all" /> ${msg('In every room', { id: 'admin-ban-everywhere' })}</label>
        </fieldset>
        <fieldset>
          <label class="block" for="ban-duration">${msg('How long', { id: 'admin-how-long' })}</label>
          <select id="ban-duration" name="duration">
            ${durations().map(([label, ms]) => html`<option value=${ms}>${label}</option>`)}
          </select>
        </fieldset>
        <fieldset>
          <label class="block" for="ban-reason">${msg('Reason', { id: 'admin-reason' })}</label>
          <input id="ban-reason" name="reason" type="text" maxlength="500" autocomplete="off" />
        </fieldset>
        <p class="error" role="alert">${this.error}</p>
        <div class="actions">
          <button type="button" @click=${() => this.dialog?.close()}>${msg('Cancel', { id: 'cancel' })}</button>
          <button class="primary" type="submit">${msg('Ban', { id: 'admin-ban' })}</button>
        </div>
      </form>
    </dialog>`;
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const target = this.target;
    if (!this.api || !target) return;
    const form = new FormData(event.target as HTMLFormElement);
    const duration = Number(form.get('duration'));
    const reason = String(form.get('reason') ?? '').trim();
    try {
      await this.api.request('POST', '/api/bans', {
        user: target.user.id,
        ...(form.get('scope') === 'room' ? { room: target.room } : {}),
        ...(duration > 0 ? { until: Date.now() + duration } : {}),
        ...(reason ? { reason } : {}),
      });
    } catch (err) {
      this.error = msg(str`Not banned: ${failure(err)}`, { id: 'admin-not-banned' });
      return;
    }
    this.dialog?.close();
    this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
  }

  /** Tab past the last control comes back to the first, Shift+Tab before the first to the last. */
  private trap(event: KeyboardEvent): void {
    if (event.key !== 'Tab' || !this.dialog) return;
    // One stop per radio group: the checked one.
    const stops = [...this.dialog.querySelectorAll<HTMLElement>('input:checked, input:not([type="radio"]), select, button')];
    const active = (this.renderRoot as ShadowRoot).activeElement;
    const [first, last] = [stops[0], stops.at(-1)];
    if (event.shiftKey ? active === first : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first)?.focus();
    }
  }

  private closed(): void {
    this.opener?.focus();
    this.opener = undefined;
  }
}

customElements.get('admin-ban-dialog') || customElements.define('admin-ban-dialog', AdminBanDialog);

declare global {
  interface HTMLElementTagNameMap {
    'admin-ban-dialog': AdminBanDialog;
  }
}
