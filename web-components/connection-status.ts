import { css, html, nothing, type TemplateResult } from 'lit';
import type { ConnectionState } from './socket-controller.js';

/** What the status pill says for a state; `now` counts the seconds to the next attempt down. */
export function statusLabel(state: ConnectionState, now: number): string {
  switch (state.status) {
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'offline':
      return 'Offline';
    case 'failed':
      return 'Not connected';
    case 'reconnecting': {
      const seconds = state.nextAttemptAt === undefined ? 0 : Math.ceil((state.nextAttemptAt - now) / 1000);
      return seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…';
    }
  }
}

/**
 * The connection state as a pill: a coloured dot, the label, and while it waits to reconnect a
 * "Retry now" button. `data-state` carries the status for styling and tests.
 */
export function renderStatus(state: ConnectionState, now: number, retryNow: () => void): TemplateResult {
  const waiting = state.status === 'reconnecting' && state.nextAttemptAt !== undefined && state.nextAttemptAt > now;
  return html`<span part="status" class="status ${state.status}" data-state=${state.status} role="status">
    <span class="dot" aria-hidden="true"></span>${statusLabel(state, now)}
    ${waiting ? html`<button part="retry-now" class="retry-now" type="button" @click=${retryNow}>Retry now</button>` : nothing}
  </span>`;
}

export const statusStyles = css`
  .status {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    flex: none;
    padding: 3px 10px;
    border-radius: 999px;
    border: 1px solid var(--_border);
    background: var(--_bg);
    font-size: 12px;
    color: var(--_muted);
    white-space: nowrap;
  }
  .dot {
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: var(--_muted);
  }
  .connected .dot {
    background: var(--_success);
    box-shadow: 0 0 0 3px color-mix(in srgb, var(--_success) 20%, transparent);
  }
  .connecting .dot,
  .reconnecting .dot {
    background: var(--_warning);
    animation: pulse 1.2s ease-in-out infinite;
  }
  .offline .dot,
  .failed .dot {
    background: var(--_danger);
  }
  .retry-now {
    margin: -2px -6px -2px 2px;
    padding: 1px 8px;
    border: 0;
    border-radius: 999px;
    background: transparent;
    color: var(--_accent);
    font-size: 12px;
    font-weight: 600;
    cursor: pointer;
  }
  .retry-now:hover {
    background: var(--_surface);
  }
  @keyframes pulse {
    50% {
      opacity: 0.3;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .dot {
      animation: none !important;
    }
  }
`;
