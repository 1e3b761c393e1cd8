import type { ReactiveControllerHost } from 'lit';
import { SocketController } from '../socket-controller.js';
import type { SocketLink, SocketOptions } from '../socket-link.js';
import type { Conversation, InboxListStatus, Member } from '../../src/protocol.js';
import type { ChatSocket } from '../chat-connection.js';

/** The inbox shown when neither the page nor the token names one (the demo's). */
const DEFAULT_INBOX = 'support';
/** How many conversations one list asks for (the contract's most). */
const PAGE = 100;

export interface InboxConnectionOptions extends SocketOptions {
  /** The inbox; unset: the first the token names (`session`), else `support`. */
  inbox?: string;
  /** Every `inbox:update` heard, with the conversation as it was known before (undefined: new to this page). */
  onUpdate?: (next: Conversation, previous: Conversation | undefined) => void;
}

/**
 * The staff's socket on one inbox (protocol 6.5): lists the conversations of the tab shown (which
 * subscribes the socket to the inbox's `inbox:update`, on every node), keeps them current from
 * those updates, and runs assign, close, reopen and snooze. After every reconnect it lists again,
 * which subscribes the new socket and catches up on what changed meanwhile.
 */
export class InboxConnection extends SocketController<ChatSocket> {
  inbox: string;
  /** The tab listed: which conversations `list` holds. */
  tab: InboxListStatus = 'open';
  /** Every conversation heard of, by room. */
  readonly conversations = new Map<string, Conversation>();
  /** More of the tab's conversations than were listed exist. */
  hasMore = false;
  /** The inboxes the token makes the user staff of (`*`: every one), and whether they are an admin. */
  staffOf: string[] = [];
  admin = false;

  private readonly options: InboxConnectionOptions;
  private listed = false;

  constructor(host: ReactiveControllerHost, options: InboxConnectionOptions) {
    super(host, '/chat', options);
    this.options = options;
    this.inbox = options.inbox ?? DEFAULT_INBOX;
    host.addController(this);
  }

  /** Whether the signed-in user is staff of this inbox (an admin is staff of all). */
  get staff(): boolean {
    return this.admin || this.staffOf.includes('*') || this.staffOf.includes(this.inbox);
  }

  /** The tab's conversations, most recently updated first, as the server would list them now. */
  get list(): Conversation[] {
    const me = this.user?.id;
    return [...this.conversations.values()].filter((c) => inTab(c, this.tab, me)).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** Shows another tab: lists it (the conversations already known show meanwhile). */
  show(status: InboxListStatus): Promise<void> {
    this.tab = status;
    this.changed();
    return this.load();
  }

  assign(room: string, user?: string | null): Promise<Conversation> {
    return this.act(this.ask((s) => s.emitWithAck('conversation:assign', user === undefined ? { room } : { room, user })));
  }

  /** Closes the conversation (`close()` is the controller's own: it closes the socket). */
  closeConversation(room: string): Promise<Conversation> {
    return this.act(this.ask((s) => s.emitWithAck('conversation:close', { room })));
  }

  reopen(room: string): Promise<Conversation> {
    return this.act(this.ask((s) => s.emitWithAck('conversation:reopen', { room })));
  }

  /** Until `until` (ms since the epoch), or without it until the visitor's next message. */
  snooze(room: string, until?: number): Promise<Conversation> {
    return this.act(this.ask((s) => s.emitWithAck('conversation:snooze', until === undefined ? { room } : { room, until })));
  }

  protected listen(socket: ChatSocket): void {
    socket.on('session', ({ admin, inboxes }) => {
      this.admin = admin === true;
      this.staffOf = inboxes ?? [];
      const named = this.staffOf.find((name) => name !== '*');
      if (!this.options.inbox && named && !this.staffOf.includes(this.inbox)) {
        this.inbox = named;
        this.conversations.clear();
        void this.load();
      }
      this.changed();
    });
    socket.on('inbox:update', ({ conversation }) => {
      if (conversation.inbox !== this.inbox) return;
      const previous = this.conversations.get(conversation.room);
      if (previous && previous.updatedAt > conversation.updatedAt) return; // an older state, overtaken
      this.conversations.set(conversation.room, conversation);
      this.changed();
      this.options.onUpdate?.(conversation, previous);
    });
  }

  protected resume(_link: SocketLink<ChatSocket>): void {
    this.listed = false;
    void this.load(true);
  }

  protected isReady(): boolean {
    return this.listed;
  }

  protected override dropped(): void {
    this.listed = false;
  }

  /** Lists the tab shown; `fresh` (after a connect) first forgets what the tab held, which may have changed unseen. */
  private async load(fresh = false): Promise<void> {
    const { tab: status, inbox, generation } = this;
    try {
      const res = await this.ask((s) => s.emitWithAck('inbox:list', { inbox, status, limit: PAGE }));
      if (generation !== this.generation || status !== this.tab || inbox !== this.inbox) return;
      const me = this.user?.id;
      if (fresh) for (const c of this.conversations.values()) if (inTab(c, status, me)) this.conversations.delete(c.room);
      for (const c of res.conversations) this.conversations.set(c.room, c);
      this.hasMore = res.hasMore;
      this.error = undefined;
      this.listed = true;
      this.markReady();
    } catch (err) {
      if (generation !== this.generation || inbox !== this.inbox) return;
      // Not staff of this inbox, or a bad inbox name: retrying will not help, and the page says why.
      this.setError(err);
      this.listed = true;
      this.markReady();
    }
  }

  private async act(request: Promise<{ conversation: Conversation }>): Promise<Conversation> {
    const { conversation } = await request;
    const previous = this.conversations.get(conversation.room);
    if (!previous || previous.updatedAt <= conversation.updatedAt) this.conversations.set(conversation.room, conversation);
    this.changed();
    return conversation;
  }
}

/** Whether a conversation belongs in a tab (as `inbox:list` decides; `me`: the user's id, for "mine"). */
export function inTab(c: Conversation, status: InboxListStatus, me: string | undefined, now = Date.now()): boolean {
  const open = c.status === 'open' || (c.status === 'snoozed' && c.snoozedUntil !== undefined && c.snoozedUntil <= now);
  switch (status) {
    case 'open':
      return open;
    case 'mine':
      return open && me !== undefined && c.assignee?.id === me;
    case 'unassigned':
      return open && c.assignee === undefined;
    case 'snoozed':
      return c.status === 'snoozed' && !open;
    case 'closed':
      return c.status === 'closed';
  }
}

/** Whether the message is the visitor's (not staff, not the system). */
export function fromVisitor(c: Conversation, author: Member | undefined): boolean {
  return author !== undefined && author.id === c.visitor.id;
}
