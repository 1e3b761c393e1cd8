import type { ReactiveControllerHost } from 'lit';
import type { Socket } from 'socket.io-client';
import type { Member, Push, PushClientToServer, PushServerToClient, SubscribeRequest, SubscribeResult } from '../src/protocol.js';
import { ChatError, isFatal, RETRY_MS, type SocketLink, SocketController, type SocketOptions, toChatError } from './socket-controller.js';

export type PushSocket = Socket<PushServerToClient, PushClientToServer>;

export interface PushConnectionOptions extends SocketOptions {
  /**
   * Called once for each push, in seq order within a topic: live ones, and those caught up after a
   * reconnect or a hole. Pushes to the user's own `user:<id>` topic come too, unasked.
   */
  onPush?: (push: Push) => void;
  /** Called when some of a topic's pushes are lost for good: the server no longer kept them. */
  onGap?: (topic: string) => void;
}

interface Waiter {
  resolve(result: SubscribeResult): void;
  reject(error: ChatError): void;
}

interface Topic {
  /** Asked for with `subscribe()`; false for the user's own topic, which comes unasked. */
  wanted: boolean;
  /** Every push up to this seq was delivered or is known lost; undefined until the server first answers. */
  last?: number;
  /** The connection (epoch) on which the server last confirmed the subscription. */
  confirmed: number;
  /** Pushes that came on this connection before the confirmation: its answer says what they follow. */
  held: Push[];
  /** Pushes that came ahead of a hole, waiting for it to fill. */
  ahead: Map<number, Push>;
  /** The epoch a sync runs for, 0 when none does. */
  syncing: number;
  /** A `sync:hint` came while a sync ran: it subscribes once more, after the last seq then held. */
  stale: boolean;
  retryTimer?: ReturnType<typeof setTimeout>;
  /** `subscribe()` calls waiting for the server's answer. */
  waiters: Waiter[];
}

/**
 * Owns one socket on the `/push` namespace and the topics subscribed on it. Every push is
 * delivered once and in order per topic: after each reconnect every topic is subscribed again
 * with `after` = the last seq held, and a live push that skips seqs fetches the missing ones the
 * same way. Works in a Lit element (connects in `hostConnected`) and in Node with a plain host
 * object (call `connect()` and `close()` yourself).
 */
export class PushConnection extends SocketController<PushSocket> {
  /** Topics that lost pushes for good (a reconnect came after the server stopped keeping them). */
  gaps: ReadonlySet<string> = new Set();

  private readonly options: PushConnectionOptions;
  private readonly topics = new Map<string, Topic>();

  constructor(host: ReactiveControllerHost, options: PushConnectionOptions) {
    super(host, '/push', options);
    this.options = options;
    host.addController(this);
  }

  /** The topics asked for with `subscribe()`. */
  get subscriptions(): string[] {
    return [...this.topics].filter(([, state]) => state.wanted).map(([topic]) => topic);
  }

  /** The seq up to which a topic's pushes were delivered (or lost), undefined before its first answer. */
  lastSeq(topic: string): number | undefined {
    return this.topics.get(topic)?.last;
  }

  /** Opens the socket and subscribes every topic; resolves once they are, rejects when refused. */
  connect(): Promise<void> {
    if (this.link) return this.link.ready;
    const { socket, ready } = this.openLink([...this.topics.values()].some((state) => state.last !== undefined));
    socket.on('push:new', (push) => this.receive(push));
    // This node may have missed other nodes' pushes: every topic asks again after its last seq.
    socket.on('sync:hint', () => {
      for (const topic of this.topics.keys()) void this.sync(topic, true);
    });
    return ready;
  }

  /** The topics stay, so `connect()` resumes each after its last seq. */
  override close(): void {
    const closed = new ChatError('unavailable', 'The connection was closed.');
    for (const state of this.topics.values()) {
      clearTimeout(state.retryTimer);
      for (const waiter of state.waiters.splice(0)) waiter.reject(closed);
    }
    super.close();
  }

  /**
   * Subscribes to a topic, now (or on `connect()`) and again after every reconnect. Resolves with
   * the server's answer; rejects with a `ChatError` when refused (the topic is then dropped) or
   * when the connection closes first.
   */
  subscribe(topic: string): Promise<SubscribeResult> {
    let state = this.topics.get(topic);
    if (!state) {
      state = newTopic();
      this.topics.set(topic, state);
    }
    state.wanted = true;
    const { waiters } = state;
    const result = new Promise<SubscribeResult>((resolve, reject) => waiters.push({ resolve, reject }));
    void this.sync(topic);
    return result;
  }

  /** Stops a topic's pushes (the user's own topic cannot be left); rejects with a `ChatError`. */
  async unsubscribe(topic: string): Promise<void> {
    const state = this.topics.get(topic);
    if (!state?.wanted) return;
    const dropped = new ChatError('conflict', `Unsubscribed from ${topic} before the server answered.`);
    for (const waiter of state.waiters.splice(0)) waiter.reject(dropped);
    if (topic === this.userTopic) {
      state.wanted = false;
      return;
    }
    clearTimeout(state.retryTimer);
    this.topics.delete(topic);
    if (this.gaps.has(topic)) this.gaps = new Set([...this.gaps].filter((t) => t !== topic));
    if (this.link?.socket.connected) await this.ask((s) => s.emitWithAck('push:unsubscribe', { topic }));
  }

  private get userTopic(): string | undefined {
    return this.user && `user:${this.user.id}`;
  }

  protected override identified(user: Member, previous: Member | undefined): void {
    const topic = `user:${user.id}`;
    const old = previous && `user:${previous.id}`;
    if (old && old !== topic && this.topics.get(old)?.wanted === false) this.topics.delete(old);
    // The server sends the user's own pushes unasked; subscribing to them as well is what brings
    // back the ones missed while away.
    if (!this.topics.has(topic)) {
      this.topics.set(topic, newTopic());
      void this.sync(topic);
    }
  }

  /** After every (re)connect: each topic again, from the last seq held. */
  protected resume(link: SocketLink<PushSocket>): void {
    const epoch = this.epoch;
    void Promise.all([...this.topics.keys()].map((topic) => this.sync(topic))).then(() => {
      if (epoch !== this.epoch) return;
      this.setStatus('connected');
      link.markReady();
    });
  }

  private receive(push: Push): void {
    const state = this.topics.get(push.topic);
    if (!state) return; // unsubscribed meanwhile
    if (state.confirmed !== this.epoch) {
      state.held.push(push);
      return;
    }
    addAhead(state, push);
    this.flush(state);
    this.changed();
    if (state.ahead.size > 0) void this.sync(push.topic);
  }

  /**
   * Subscribes a topic on this connection with `after` = the last seq held and merges the answer,
   * again while a hole is left that a newer answer may fill. Never rejects.
   */
  private async sync(topic: string, hinted = false): Promise<void> {
    const state = this.topics.get(topic);
    const epoch = this.epoch;
    if (!state || !this.link?.socket.connected) return;
    if (state.syncing === epoch) {
      if (hinted) state.stale = true;
      return;
    }
    state.syncing = epoch;
    clearTimeout(state.retryTimer);
    try {
      let after: number | undefined;
      do {
        state.stale = false;
        after = state.last;
        const req: SubscribeRequest = after === undefined ? { topic } : { topic, after };
        const res = await this.ask((s) => s.emitWithAck('push:subscribe', req));
        if (epoch !== this.epoch || this.topics.get(topic) !== state) return;
        this.merge(topic, state, res, after);
        for (const waiter of state.waiters.splice(0)) waiter.resolve(res);
      } while (state.stale || (state.ahead.size > 0 && state.last !== after));
      // A hole the server had not numbered yet when it answered (another node's push): ask later.
      if (state.ahead.size > 0) this.retry(topic, state, epoch);
    } catch (err) {
      if (epoch !== this.epoch || this.topics.get(topic) !== state) return;
      const error = toChatError(err);
      for (const waiter of state.waiters.splice(0)) waiter.reject(error);
      if (isFatal(error)) {
        this.topics.delete(topic);
        this.setError(error);
      } else {
        this.retry(topic, state, epoch);
      }
    } finally {
      if (state.syncing === epoch) state.syncing = 0;
    }
  }

  private retry(topic: string, state: Topic, epoch: number): void {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => {
      if (epoch === this.epoch) void this.sync(topic);
    }, RETRY_MS);
  }

  /** Takes in a subscription's answer: the pushes missed, then those held meanwhile. */
  private merge(topic: string, state: Topic, res: SubscribeResult, after: number | undefined): void {
    if (after === undefined || res.lastSeq < after) {
      // A first subscription starts after the newest push. A lastSeq below ours means the topic's
      // numbering started again (a server that keeps pushes in memory restarted): follow it.
      state.last = res.lastSeq;
      state.ahead.clear();
    }
    state.confirmed = this.epoch;
    for (const push of [...res.missed, ...state.held.splice(0)]) addAhead(state, push);
    const skipped = this.flush(state, res.lastSeq);
    if (res.truncated || skipped) this.markGap(topic);
    this.changed();
  }

  /**
   * Delivers, in order, the pushes that follow `last` without a hole. A hole at or below `settled`
   * (the server's newest seq when it answered) will not fill any more: it is skipped as lost.
   * Returns whether it skipped one.
   */
  private flush(state: Topic, settled = 0): boolean {
    let skipped = false;
    for (;;) {
      const last = state.last ?? 0;
      const next = state.ahead.get(last + 1);
      if (next) {
        state.ahead.delete(next.seq);
        state.last = next.seq;
        this.options.onPush?.(next);
      } else if (last < settled) {
        state.last = Math.min(settled, ...[...state.ahead.keys()].map((seq) => seq - 1));
        skipped = true;
      } else {
        return skipped;
      }
    }
  }

  private markGap(topic: string): void {
    this.gaps = new Set(this.gaps).add(topic);
    this.options.onGap?.(topic);
  }
}

function newTopic(): Topic {
  return { wanted: false, confirmed: 0, held: [], ahead: new Map(), syncing: 0, stale: false, waiters: [] };
}

/** Keeps a push for delivery unless it is one already delivered (or waiting). */
function addAhead(state: Topic, push: Push): void {
  if (push.seq > (state.last ?? 0) && !state.ahead.has(push.seq)) state.ahead.set(push.seq, push);
}
