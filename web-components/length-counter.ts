import { msg, str } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';

/** The draft's length as the server counts it: characters (code points) after trimming. */
export function draftLength(draft: string): number {
  return [...draft.trim()].length;
}

/**
 * From 90 % of the server's MAX_MESSAGE_LENGTH (`max`, from the join ack) on, what is left; over
 * it, by how much, in words. Nothing while the limit is unknown (0).
 */
export function renderCounter(length: number, max: number): TemplateResult | typeof nothing {
  if (max <= 0 || length < max * 0.9) return nothing;
  const over = length - max;
  return html`<p part="counter" class="counter ${over > 0 ? 'over' : ''}" id="counter" aria-live="polite">
    ${over > 0 ? msg(str`Your message is ${over} characters too long.`, { id: 'counter-over' }) : msg(str`${-over} characters left`, { id: 'counter-left' })}
  </p>`;
}

export const counterStyles = css`
  .counter {
    margin: -2px 16px 8px;
    font-size: 12px;
    color: var(--_muted);
    text-align: end;
  }
  .over {
    color: var(--_danger);
    font-weight: 600;
  }
`;
