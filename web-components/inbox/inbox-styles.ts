import { css } from 'lit';

/** The inbox's buttons (toggles with `aria-pressed`, and a menu's `summary`), after `theme`. */
export const buttonStyles = css`
  button,
  summary {
    min-height: 34px;
    padding: 4px 12px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_surface);
    color: var(--_fg);
    font: inherit;
    font-size: 14px;
    cursor: pointer;
  }
  button:hover,
  summary:hover {
    border-color: var(--_accent);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button[aria-pressed='true'] {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
`;

/** The "guest" mark beside a visitor's name (anyone can take any guest name). */
export const guestMark = css`
  .guest {
    font-size: 11px;
    color: var(--_muted);
    border: 1px solid var(--_border);
    border-radius: 6px;
    padding: 0 5px;
  }
`;
