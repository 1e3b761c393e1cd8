import { css } from 'lit';

/** What the console's parts share on top of `theme`: sections, tables, buttons, notices. */
export const adminStyles = css`
  :host {
    display: block;
  }
  section {
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 12px;
    padding: 14px 16px;
    min-width: 0;
  }
  h2 {
    margin: 0;
    font-size: 17px;
  }
  .head {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    justify-content: space-between;
    gap: 4px 12px;
    margin-bottom: 10px;
  }
  .hint {
    color: var(--_muted);
    font-size: 13px;
  }
  .error {
    color: var(--_danger);
    font-size: 14px;
    margin: 8px 0 0;
  }
  .error:empty {
    display: none;
  }
  .scroll {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 14px;
  }
  th,
  td {
    text-align: left;
    padding: 6px 8px;
    border-bottom: 1px solid var(--_border);
    vertical-align: top;
  }
  th {
    color: var(--_muted);
    font-weight: 600;
    font-size: 13px;
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  select,
  input[type='text'],
  input[type='password'] {
    min-height: 36px;
    padding: 6px 10px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_surface);
    color: var(--_fg);
    font: inherit;
  }
  button {
    min-height: 32px;
    padding: 4px 12px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_surface);
    color: var(--_fg);
    font-size: 14px;
    cursor: pointer;
  }
  button:hover {
    border-color: var(--_accent);
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
    font-weight: 600;
  }
  button.danger {
    color: var(--_danger);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .empty {
    color: var(--_muted);
    font-size: 14px;
    margin: 4px 0;
  }
`;
