import { msg, str } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { ErrorBody } from '../src/protocol.js';
import { errorText } from './error-text.js';
import type { ConnectionState } from './socket-controller.js';

/** What the status pill says: short, so it fits beside the room's name in a narrow panel. */
function label(status: ConnectionState['status']): string {
  switch (status) {
    case 'connecting':
      return msg('Connecting…', { id: 'status-connecting' });
    case 'connected':
      return msg('Connected', { id: 'status-connected' });
    case 'reconnecting':
      return msg('Reconnecting…', { id: 'status-reconnecting' });
    case 'offline':
      return msg('Offline', { id: 'status-offline' });
    case 'failed':
      return msg('Not connected', { id: 'status-failed' });
  }
}

/** The connection state as a pill: a coloured dot and a word; `data-state` carries the status. */
export function renderStatus(state: ConnectionState): TemplateResult {
  return html`<span part="status" class="status ${state.status}" data-state=${state.status} role="status">
    <span class="dot" aria-hidden="true"></span>${label(state.status)}
  </span>`;
}

/**
 * The line under the header while the room is not connected: what is going on and what the
 * visitor can do (the countdown to the next attempt and "Retry now"; being offline; why the server
 * refused). `error` is the last failed request, said while nothing more specific is known.
 */
export function renderBanner(
  state: ConnectionState,
  error: ErrorBody | undefined,
  now: number,
  retryNow: () => void,
): TemplateResult | typeof nothing {
  switch (state.status) {
    case 'connected':
      return nothing;
    case 'failed':
      return html`<p part="banner" class="banner danger" role="alert">${errorText(state.error)}</p>`;
    case 'offline':
      return html`<p part="banner" class="banner">
        ${msg('You are offline. What you send will go when the connection is back.', { id: 'offline-banner' })}
      </p>`;
    case 'reconnecting': {
      const seconds = state.nextAttemptAt === undefined ? 0 : Math.ceil((state.nextAttemptAt - now) / 1000);
      if (seconds <= 0) return error ? html`<p part="banner" class="banner">${errorText(error)}</p>` : nothing;
      return html`<p part="banner" class="banner">
        ${msg(str`Connection lost. Trying again in ${seconds} s.`, { id: 'connection-lost' })}
        <button part="retry-now" class="chip" type="button" @click=${retryNow}>${msg('Retry now', { id: 'retry-now' })}</button>
      </p>`;
    }
    case 'connecting':
      return error ? html`<p part="banner" class="banner">${errorText(error)}</p>` : nothing;
  }
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
  .banner {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 10px;
    margin: 0;
    padding: 8px 16px;
    font-size: 13px;
    color: var(--_fg);
    background: color-mix(in srgb, var(--_warning) 10%, transparent);
    border-bottom: 1px solid var(--_border);
  }
  .banner.danger {
    color: var(--_danger);
    background: color-mix(in srgb, var(--_danger) 8%, transparent);
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
