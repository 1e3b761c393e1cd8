import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement, type PropertyValues } from 'lit';
import { theme } from '../theme.js';
import { type AdminApi, failure, type Overview, when } from './admin-api.js';
import { adminStyles } from './admin-styles.js';
import { Poller } from './poller.js';

/** How often the overview asks again. */
const REFRESH_MS = 2000;

/**
 * The nodes and the rooms, asked again every 2 s: each room's members and messages per minute;
 * its name is a button that opens its live log.
 *
 * @fires admin-open-room - `CustomEvent<string>`, the room to open; bubbles and is composed.
 */
export class AdminOverview extends LitElement {
  static override properties = { api: { attribute: false }, overview: { state: true }, error: { state: true } };
  static override styles = [
    theme,
    adminStyles,
    css`
      td:first-child {
        white-space: nowrap;
      }
      button.link {
        padding: 2px 6px;
        margin: -2px -6px;
        min-height: 0;
        border: 0;
        background: none;
        color: var(--_accent);
        font-weight: 600;
        text-decoration: underline;
        text-underline-offset: 3px;
      }
      @media (max-width: 480px) {
        .wide {
          display: none;
        }
      }
    `,
  ];

  declare api: AdminApi | undefined;
  declare private overview: Overview | undefined;
  declare private error: string;
  private readonly poller = new Poller(this, REFRESH_MS, () => this.refresh());

  constructor() {
    super();
    this.api = undefined;
    this.overview = undefined;
    this.error = '';
    updateWhenLocaleChanges(this);
  }

  private async refresh(): Promise<void> {
    if (!this.api) return;
    try {
      this.overview = await this.api.request<Overview>('GET', '/api/admin/overview');
      this.error = '';
    } catch (err) {
      this.error = msg(str`The overview could not be updated: ${failure(err)}`, { id: 'admin-overview-failed' });
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('api')) void this.poller.now();
  }

  override render() {
    const { nodes = [], rooms = [] } = this.overview ?? {};
    return html`<section aria-labelledby="nodes-title">
        <div class="head">
          <h2 id="nodes-title">${msg('Nodes', { id: 'admin-nodes' })}</h2>
          <span class="hint">${msg('Updated every 2 s', { id: 'admin-updated-every' })}</span>
        </div>
        <div class="scroll">
          <table>
            <thead>
              <tr><th>${msg('Node', { id: 'admin-node' })}</th><th class="num">${msg('Chat', { id: 'admin-chat' })}</th><th class="num">${msg('Push', { id: 'admin-push' })}</th><th class="num">${msg('Rooms', { id: 'rooms-heading' })}</th><th class="num">${msg('Memory', { id: 'admin-memory' })}</th><th class="wide">${msg('Up since', { id: 'admin-up-since' })}</th></tr>
            </thead>
            <tbody>
              ${nodes.map(
                (node) => html`<tr data-node=${node.name}>
                  <td>${node.name}</td>
                  <td class="num">${node.connections.chat}</td>
                  <td class="num">${node.connections.push}</td>
                  <td class="num">${node.rooms}</td>
                  <td class="num">${msg(str`${Math.round(node.rssBytes / 1048576)} MB`, { id: 'admin-megabytes' })}</td>
                  <td class="wide">${when(node.startedAt)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <p class="error" role="alert">${this.error}</p>
      </section>
      <section aria-labelledby="rooms-title">
        <div class="head"><h2 id="rooms-title">${msg('Rooms', { id: 'rooms-heading' })}</h2></div>
        ${
          rooms.length === 0
            ? html`<p class="empty">${msg('No room has anyone in it or a message this minute.', { id: 'admin-no-rooms' })}</p>`
            : html`<div class="scroll">
              <table>
                <thead>
                  <tr><th>${msg('Room', { id: 'admin-room' })}</th><th class="num">${msg('Members', { id: 'admin-members' })}</th><th class="num">${msg('Msg/min', { id: 'admin-per-minute' })}</th><th class="num">${msg('Messages', { id: 'admin-messages' })}</th></tr>
                </thead>
                <tbody>
                  ${rooms.map(
                    (room) => html`<tr data-room=${room.room}>
                      <td>
                        <button class="link" type="button" aria-label=${msg(str`Open the live log of ${room.room}`, { id: 'admin-open-log' })} @click=${() => this.open(room.room)}>${room.room}</button>
                      </td>
                      <td class="num">${room.members}</td>
                      <td class="num">${room.messagesPerMinute}</td>
                      <td class="num">${room.lastSeq}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        }
      </section>`;
  }

  private open(room: string): void {
    this.dispatchEvent(new CustomEvent('admin-open-room', { detail: room, bubbles: true, composed: true }));
  }
}

customElements.get('admin-overview') || customElements.define('admin-overview', AdminOverview);

declare global {
  interface HTMLElementTagNameMap {
    'admin-overview': AdminOverview;
  }
}
