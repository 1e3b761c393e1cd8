import { css } from 'lit';

/** `<roomcast-room>`'s own styles, after the shared theme. */
export const roomStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    box-sizing: border-box;
    height: var(--roomcast-height, 560px);
    min-height: 280px;
    contain: layout style;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--roomcast-radius, 12px);
    overflow: hidden;
  }

  header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 12px;
    padding: 12px 16px;
    border-bottom: 1px solid var(--_border);
    background: var(--_surface);
  }
  .heading {
    flex: 1;
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    column-gap: 10px;
    min-width: 0;
  }
  .title {
    margin: 0;
    font-size: 17px;
    font-weight: 650;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .hash {
    color: var(--_muted);
    margin-inline-end: 2px;
    font-weight: 500;
  }
  .members {
    color: var(--_muted);
    font-size: 13px;
    white-space: nowrap;
  }

  .body {
    position: relative;
    flex: 1;
    min-height: 0;
    display: flex;
  }
  .scroller {
    flex: 1;
    display: flex;
    flex-direction: column;
    overflow-y: auto;
    overscroll-behavior: contain;
    /* The element keeps the reader's place itself when older messages are put above. */
    overflow-anchor: none;
    padding: 12px 0 4px;
  }
  .scroller:focus-visible {
    outline-offset: -2px;
  }
  .log {
    /* A short conversation sits just above the input, as in any chat. */
    margin-top: auto;
  }
  .log > ol {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .empty {
    margin: auto 16px;
    text-align: center;
    color: var(--_muted);
  }
  .load-older {
    flex: none;
    align-self: center;
    margin: 0 0 8px;
    padding: 5px 14px;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_bg);
    color: var(--_accent);
    font-size: 13px;
    cursor: pointer;
  }
  .load-older:hover:not(:disabled) {
    background: var(--_surface);
  }

  .jump,
  .toast {
    position: absolute;
    left: 50%;
    bottom: 10px;
    transform: translateX(-50%);
    padding: 6px 14px;
    border: 0;
    border-radius: 999px;
    background: var(--_accent);
    color: var(--_accent-fg);
    font-size: 13px;
    font-weight: 600;
    box-shadow: 0 4px 14px rgb(0 0 0 / 0.18);
    cursor: pointer;
  }

  .toast {
    bottom: auto;
    top: 10px;
    margin: 0;
    pointer-events: none;
  }
  /* Empty, it stays (a status must be there before its words to be read out), unseen. */
  .toast:empty {
    opacity: 0;
  }

  .typing {
    min-height: 20px;
    margin: 0;
    padding: 0 16px;
    font-size: 12px;
    font-style: italic;
    color: var(--_muted);
  }
  .rules {
    margin: 0;
    padding: 0 16px 8px;
    font-size: 12px;
    color: var(--_muted);
  }
  .composer {
    display: flex;
    align-items: flex-end;
    gap: 8px;
    padding: 4px 12px 12px;
  }
  textarea {
    flex: 1;
    min-width: 0;
    resize: none;
    max-height: 160px;
    padding: 10px 12px;
    border: 1px solid var(--_border);
    border-radius: 10px;
    background: var(--_bg);
    /* 16px or more: iOS zooms the page into smaller inputs. */
    font-size: 16px;
    line-height: 1.4;
  }
  textarea::placeholder {
    color: var(--_muted);
  }
  textarea:focus-visible {
    outline: none;
    border-color: var(--_accent);
    box-shadow: 0 0 0 3px color-mix(in srgb, var(--_accent) 25%, transparent);
  }
  .send {
    flex: none;
    height: 44px;
    padding: 0 18px;
    border: 0;
    border-radius: 10px;
    background: var(--_accent);
    color: var(--_accent-fg);
    font-weight: 600;
    cursor: pointer;
  }
  .send:hover:not(:disabled) {
    filter: brightness(1.08);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .error {
    margin: -6px 12px 10px;
    font-size: 13px;
    color: var(--_danger);
  }
`;
