import { msg, str } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { Member } from '../src/protocol.js';
import { pluralOf } from './locale.js';

/**
 * The member count as a button that opens the list of who is here, names and guest marks (the
 * `guest-badge` part and look of messages), live as people come and go. Esc or leaving it closes
 * the list; Esc gives the focus back to the button, and goes no further (an open widget stays open).
 */
export function renderPresence(members: readonly Member[], count: number, open: boolean, setOpen: (open: boolean) => void): TemplateResult {
  const onKeydown = (e: KeyboardEvent): void => {
    if (e.key !== 'Escape' || !open) return;
    e.stopPropagation();
    setOpen(false);
    (e.currentTarget as HTMLElement).querySelector('button')?.focus();
  };
  const onFocusout = (e: FocusEvent): void => {
    if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setOpen(false);
  };
  return html`<div class="presence" @keydown=${onKeydown} @focusout=${onFocusout}>
    <button part="members" class="members" type="button" aria-expanded=${open} aria-controls="people" @click=${() => setOpen(!open)}>
      ${
        pluralOf(count) === 'one'
          ? msg(str`${count} person here`, { id: 'people-here-one' })
          : msg(str`${count} people here`, { id: 'people-here-other' })
      }
    </button>
    ${
      open
        ? html`<ul id="people" part="presence-list" aria-label=${msg('People here', { id: 'presence-label' })}>
          ${members.map(
            (m) =>
              html`<li part="presence-member"><span dir="auto">${m.name}</span> ${
                m.kind === 'guest'
                  ? html`<span part="guest-badge" class="guest-badge">${msg('guest', { id: 'presence-guest' })}</span>`
                  : nothing
              }</li>`,
          )}
        </ul>`
        : nothing
    }
  </div>`;
}

export const presenceStyles = css`
  .presence {
    position: relative;
  }
  .members {
    margin: -2px -6px;
    padding: 2px 6px;
    border: 0;
    border-radius: 6px;
    background: none;
    cursor: pointer;
  }
  .members:hover,
  [aria-expanded='true'] {
    background: var(--_bg);
  }
  #people {
    position: absolute;
    z-index: 2;
    top: 24px;
    min-width: 200px;
    max-height: 240px;
    overflow-y: auto;
    margin: 0;
    padding: 6px 12px;
    list-style: none;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 10px;
    box-shadow: 0 8px 24px #0003;
  }
  #people li {
    padding: 3px 0;
    overflow-wrap: anywhere;
  }
`;
