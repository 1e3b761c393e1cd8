import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { css, html, LitElement, nothing } from 'lit';
import '../admin/admin-sign-in.js';
import { renderStatus, statusStyles } from '../connection-status.js';
import { errorText } from '../error-text.js';
import { ChatError, toChatError } from '../socket-link.js';
import { theme } from '../theme.js';
import { buttonStyles } from './inbox-styles.js';
import type { InboxAction } from './inbox-events.js';
import './inbox-conversation.js';
import { InboxConnection } from './inbox-connection.js';
import './inbox-list.js';
import { type InboxNotifyDetail, InboxNotifier } from './inbox-notifier.js';
import type { InboxListStatus } from '../../src/protocol.js';

/** Where the token is kept: this tab only, gone when it closes. */
const TOKEN_KEY = 'roomcast-inbox-token';
/** How often waiting times move on. */
const TICK_MS = 30_000;

/**
 * The staff's inbox (`/inbox`, issue 14): sign in with a staff token (pasted once, handed in
 * `?token=`, or with `?demo` the demo server's own), then the inbox's conversations in tabs, live,
 * and the one opened beside them (on a phone: the list, then the conversation with a back button).
 * The inbox is `?inbox=`, else the first the token names, else `support`. New conversations and
 * visitor replies notify in one tab, with a chime when the sound is on.
 *
 * @fires inbox-notify - `CustomEvent<InboxNotifyDetail>`, cancelable, in the one notifying tab.
 */
export class RoomcastInbox extends LitElement {
  static override properties = {
    token: { state: true },
    signInError: { state: true },
    selected: { state: true },
    busy: { state: true },
    actionError: { state: true },
    now: { state: true },
  };

  declare private token: string;
  declare private signInError: string;
  /** The open conversation's room. */
  declare private selected: string;
  declare private busy: boolean;
  declare private actionError: string;
  declare private now: number;

  private connection?: InboxConnection;
  private notifier?: InboxNotifier;
  private ticker?: ReturnType<typeof setInterval>;
  private readonly server = location.origin;
  private readonly asked = new URL(location.href).searchParams.get('inbox') ?? '';

  constructor() {
    super();
    this.token = '';
    this.signInError = '';
    this.selected = decodeURIComponent(location.hash.slice(1));
    this.busy = false;
    this.actionError = '';
    this.now = Date.now();
    updateWhenLocaleChanges(this);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.ticker = setInterval(() => (this.now = Date.now()), TICK_MS);
    this.addEventListener('pointerdown', this.unlock);
    this.addEventListener('keydown', this.unlock);
    const url = new URL(location.href);
    const handed = url.searchParams.get('token');
    if (handed !== null) {
      // Out of the address bar and the history at once, so it is not copied, shared or kept.
      url.searchParams.delete('token');
      history.replaceState(history.state, '', url);
      this.signIn(handed);
    } else if (url.searchParams.has('demo')) {
      void this.demoSignIn();
    } else {
      const kept = sessionStorage.getItem(TOKEN_KEY);
      if (kept) this.signIn(kept);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.ticker);
    this.stop();
  }

  private readonly unlock = (): void => this.notifier?.unlock();

  /** With DEMO=1 the server hands out short-lived staff tokens of its demo inbox. */
  private async demoSignIn(): Promise<void> {
    try {
      const res = await fetch('/api/demo/staff-token', { credentials: 'omit' });
      const body = (await res.json()) as { token?: string; error?: { code: ChatError['code']; message: string } };
      if (!res.ok || !body.token) throw new ChatError(body.error?.code ?? 'internal', body.error?.message ?? `${res.status}`);
      this.signIn(body.token);
    } catch (err) {
      this.signInError = msg(str`No demo token: ${errorText(toChatError(err))}`, { id: 'inbox-demo-failed' });
    }
  }

  /** Connects with the token; the connection says whether the server takes it, and whether it is staff. */
  private signIn(token: string): void {
    this.stop();
    this.token = token;
    this.signInError = '';
    this.notifier = new InboxNotifier(this.server, (detail) =>
      this.dispatchEvent(new CustomEvent<InboxNotifyDetail>('inbox-notify', { detail, bubbles: true, composed: true, cancelable: true })),
    );
    this.connection = new InboxConnection(this, {
      url: this.server,
      token,
      ...(this.asked ? { inbox: this.asked } : {}),
      onUpdate: (next, previous) => {
        const worth = InboxNotifier.worth(next, previous);
        // The conversation open in a visible tab is being read: no need to say so.
        if (!worth || (next.room === this.selected && document.visibilityState === 'visible')) return;
        void this.notifier?.notify(worth);
      },
    });
    this.connection.addEventListener('statechange', this.checkSignIn);
  }

  /** Closes the connection; the token stays kept (the element moved, or another token comes). */
  private stop(): void {
    this.connection?.removeEventListener('statechange', this.checkSignIn);
    if (this.connection) this.removeController(this.connection);
    this.connection?.close();
    this.connection = undefined;
    this.notifier?.close();
    this.notifier = undefined;
  }

  private signOut(): void {
    this.stop();
    this.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
  }

  /** A refused token goes back to the form, saying why; a taken one is kept for this tab. */
  private readonly checkSignIn = (): void => {
    const state = this.connection?.state;
    if (state?.status === 'failed') {
      const error = state.error;
      this.signOut();
      this.signInError = msg(str`This token was refused: ${errorText(error)}`, { id: 'inbox-token-refused' });
    } else if (state?.status === 'connected') {
      sessionStorage.setItem(TOKEN_KEY, this.token);
    }
  };

  override render() {
    const chat = this.connection;
    if (!chat) {
      return html`<header><h1>${msg('Inbox', { id: 'inbox-page-title' })}</h1></header>
        <main class="signin">
          <admin-sign-in
            .error=${this.signInError}
            .label=${msg('Staff token', { id: 'inbox-token-label' })}
            .hint=${msg('Paste a staff token (a JWT whose inboxes claim names this inbox, or an admin token). It is kept in this tab only.', { id: 'inbox-token-hint' })}
            @admin-sign-in=${(e: CustomEvent<string>) => this.signIn(e.detail)}
          ></admin-sign-in>
        </main>`;
    }
    const conversation = chat.conversations.get(this.selected);
    return html`<header>
        <h1>${msg(str`Inbox ${chat.inbox}`, { id: 'inbox-heading' })}</h1>
        <span class="me" dir="auto">${chat.user?.name ?? ''}</span>
        ${renderStatus(chat.state)}
        <div class="tools">
          <button type="button" class="sound" aria-pressed=${String(this.notifier?.sound ?? false)} @click=${this.toggleSound}>
            ${msg('Sound', { id: 'inbox-sound' })}
          </button>
          ${
            typeof Notification === 'function' && Notification.permission === 'default'
              ? html`<button type="button" @click=${this.askNotifications}>${msg('Notifications', { id: 'inbox-notifications' })}</button>`
              : nothing
          }
          <button type="button" @click=${this.signOut}>${msg('Sign out', { id: 'inbox-sign-out' })}</button>
        </div>
      </header>
      ${
        chat.user && !chat.staff
          ? html`<p class="problem" role="alert">${msg(str`This token is not staff of the inbox ${chat.inbox}.`, { id: 'inbox-not-staff' })}</p>`
          : chat.error
            ? html`<p class="problem" role="alert">${errorText(chat.error)}</p>`
            : nothing
      }
      <main class="panes" data-open=${conversation ? 'conversation' : 'list'}>
        <inbox-list
          .conversations=${chat.list}
          .status=${chat.tab}
          .selected=${this.selected}
          .now=${this.now}
          .hasMore=${chat.hasMore}
          @inbox-tab=${(e: CustomEvent<InboxListStatus>) => void chat.show(e.detail)}
          @inbox-select=${(e: CustomEvent<string>) => this.open(e.detail)}
        ></inbox-list>
        <inbox-conversation
          .conversation=${conversation}
          .me=${chat.user?.id ?? ''}
          .server=${this.server}
          .token=${this.token}
          .busy=${this.busy}
          .error=${this.actionError}
          @inbox-action=${this.act}
          @inbox-back=${() => this.open('')}
        ></inbox-conversation>
      </main>`;
  }

  /** The tab's title leads with the unread count of the conversations listed. */
  protected override updated(): void {
    const chat = this.connection;
    const unread = chat?.list.reduce((sum, c) => sum + c.unread, 0) ?? 0;
    const name = chat ? msg(str`Inbox ${chat.inbox}`, { id: 'inbox-heading' }) : msg('Inbox', { id: 'inbox-page-title' });
    document.title = `${unread > 0 ? `(${unread}) ` : ''}${name} · roomcast`;
  }

  private open(room: string): void {
    this.selected = room;
    this.actionError = '';
    history.replaceState(history.state, '', room ? `#${room}` : `${location.pathname}${location.search}`);
  }

  private readonly act = async (e: CustomEvent<InboxAction>): Promise<void> => {
    const chat = this.connection;
    if (!chat) return;
    const detail = e.detail;
    this.busy = true;
    this.actionError = '';
    try {
      if (detail.action === 'assign') await chat.assign(detail.room);
      else if (detail.action === 'unassign') await chat.assign(detail.room, null);
      else if (detail.action === 'close') await chat.closeConversation(detail.room);
      else if (detail.action === 'reopen') await chat.reopen(detail.room);
      else if (detail.action === 'snooze') await chat.snooze(detail.room, detail.until);
    } catch (err) {
      this.actionError = errorText(toChatError(err));
    } finally {
      this.busy = false;
    }
  };

  private toggleSound(): void {
    this.notifier?.setSound(!this.notifier.sound);
    this.requestUpdate();
  }

  private async askNotifications(): Promise<void> {
    await Notification.requestPermission();
    this.requestUpdate();
  }

  static override styles = [
    theme,
    statusStyles,
    buttonStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        block-size: 100dvh;
        background: var(--_surface);
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 6px 12px;
        padding: 10px 16px;
        background: var(--_bg);
        border-block-end: 1px solid var(--_border);
      }
      h1 {
        margin: 0;
        font-size: 19px;
      }
      .me {
        color: var(--_muted);
        font-size: 14px;
      }
      .tools {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin-inline-start: auto;
      }
      .problem {
        margin: 0;
        padding: 8px 16px;
        color: var(--_danger);
        background: var(--_bg);
        border-block-end: 1px solid var(--_border);
      }
      .signin {
        padding: 24px 14px;
      }
      .panes {
        flex: 1;
        min-height: 0;
        display: grid;
        grid-template-columns: minmax(300px, 380px) minmax(0, 1fr);
      }
      inbox-list {
        background: var(--_bg);
        border-inline-end: 1px solid var(--_border);
        min-height: 0;
      }
      inbox-conversation {
        min-height: 0;
      }
      /* A phone: the list, or the conversation opened from it (its back button returns). */
      @media (max-width: 760px) {
        header {
          padding: 6px 10px;
          gap: 4px 8px;
        }
        h1 {
          font-size: 17px;
        }
        .tools button {
          min-height: 30px;
          padding: 2px 8px;
          font-size: 13px;
        }
        .panes {
          grid-template-columns: minmax(0, 1fr);
        }
        .panes[data-open='conversation'] inbox-list,
        .panes[data-open='list'] inbox-conversation {
          display: none;
        }
        inbox-list {
          border-inline-end: 0;
        }
      }
    `,
  ];
}

customElements.get('roomcast-inbox') || customElements.define('roomcast-inbox', RoomcastInbox);

declare global {
  interface HTMLElementTagNameMap {
    'roomcast-inbox': RoomcastInbox;
  }
  interface HTMLElementEventMap {
    'inbox-notify': CustomEvent<InboxNotifyDetail>;
  }
}
