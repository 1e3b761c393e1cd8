import { css } from 'lit';

/**
 * What every roomcast element's shadow root starts from: the host page's inherited styles cut off
 * (`all: initial`, explicit typography in px, never rem), the colour tokens that the documented
 * `--roomcast-*` custom properties override, with light and dark defaults, and focus rings.
 * The typography is set on the shadow root's own children, not on `:host`: a host page's
 * `* { font-family: serif; color: red }` matches the host element itself and wins over `:host`.
 */
export const theme = css`
  :host {
    all: initial;

    --_bg: var(--roomcast-bg, #ffffff);
    --_surface: var(--roomcast-surface, #f5f6f8);
    --_fg: var(--roomcast-fg, #1c1f26);
    --_muted: var(--roomcast-muted, #5d6472);
    --_border: var(--roomcast-border, #e2e5ea);
    --_accent: var(--roomcast-accent, #4f46e5);
    --_accent-fg: var(--roomcast-accent-fg, #ffffff);
    --_success: var(--roomcast-success, #16a34a);
    --_warning: var(--roomcast-warning, #d97706);
    --_danger: var(--roomcast-danger, #dc2626);
    --_mine: color-mix(in srgb, var(--_accent) 7%, transparent);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_bg: var(--roomcast-bg, #15171c);
      --_surface: var(--roomcast-surface, #1d2027);
      --_fg: var(--roomcast-fg, #e7e9ee);
      --_muted: var(--roomcast-muted, #9aa2b1);
      --_border: var(--roomcast-border, #2b2f38);
      --_accent: var(--roomcast-accent, #8b8cf8);
      --_accent-fg: var(--roomcast-accent-fg, #12131a);
      --_success: var(--roomcast-success, #4ade80);
      --_warning: var(--roomcast-warning, #fbbf24);
      --_danger: var(--roomcast-danger, #f87171);
      --_mine: color-mix(in srgb, var(--_accent) 10%, transparent);
    }
  }
  :host > * {
    font-family: var(--roomcast-font, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
    font-size: 15px;
    font-style: normal;
    font-weight: 400;
    line-height: 1.45;
    letter-spacing: normal;
    text-align: start;
    text-transform: none;
    color: var(--_fg);
    -webkit-font-smoothing: antialiased;
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  button,
  textarea {
    font: inherit;
    color: inherit;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  /* A small round secondary button: Retry, Delete, Retry now. */
  .chip {
    padding: 1px 10px;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_bg);
    color: var(--_accent);
    font-size: 12px;
    font-weight: 600;
    cursor: pointer;
  }
  .chip:hover {
    background: var(--_surface);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
