import { msg, str } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { ChatConnection } from './chat-connection.js';
import { activeLocale } from './locale.js';

/**
 * What the widget shows above a support conversation (protocol 6.5): how soon the site usually
 * answers (`reply-time`, in minutes) and, while no staff member is connected, an optional e-mail
 * field, so the site can answer after the visitor has left. Slotted into `<roomcast-room>`'s `intro`.
 */
export function renderIntro(chat: ChatConnection | undefined, replyMinutes: number): TemplateResult {
  const email = chat?.email ?? chat?.conversation?.email;
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const input = (e.currentTarget as HTMLFormElement).querySelector('input');
    if (input?.value) void chat?.setEmail(input.value.trim());
  };
  return html`<div slot="intro" part="intro" class="intro">
    ${replyMinutes > 0 ? html`<p>${msg(str`We usually answer within ${duration(replyMinutes)}.`, { id: 'reply-time' })}</p>` : nothing}
    ${
      email
        ? html`<p part="email-saved">${msg(str`We will answer at ${email}.`, { id: 'email-saved' })}</p>`
        : chat?.staffOnline === false
          ? html`<form part="email-form" @submit=${save}>
            <label for="email">${msg('Nobody is here right now. Leave your e-mail and we will answer there.', { id: 'email-label' })}</label>
            <input id="email" part="email-input" type="email" autocomplete="email" maxlength="254" required />
            <button part="email-button" class="chip">${msg('Save', { id: 'save' })}</button>
          </form>`
          : nothing
    }
  </div>`;
}

/** 45 → "45 minutes", 120 → "2 hours", 2880 → "2 days", in the widget's language. */
function duration(minutes: number): string {
  const [value, unit] = minutes < 60 ? [minutes, 'minute'] : minutes < 1440 ? [minutes / 60, 'hour'] : [minutes / 1440, 'day'];
  return new Intl.NumberFormat(activeLocale(), { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 }).format(value);
}

export const introStyles = css`
  .intro {
    margin: 12px 16px 0;
    color: var(--_muted);
    font-size: 13px;
    text-align: center;
  }
  .intro form {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: 6px;
  }
  .intro input {
    flex: 1;
    padding: 4px 8px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    font: inherit;
    font-size: 16px;
  }
`;
