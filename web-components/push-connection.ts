import type { ReactiveControllerHost } from 'lit';
import type { Socket } from 'socket.io-client';
import type { Member, Push, PushClientToServer, PushServerToClient, SubscribeRequest, SubscribeResult } from '../src/protocol.js';
import { SeqStream, type StreamPage } from './seq-stream.js';
import { SocketController } from './socket-controller.js';
import { ChatError, type SocketLink, type SocketOptions } from './socket-link.js';

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
  stream: SeqStream<Push>;
  /** `subscribe()` calls waiting for the server's next answer. */
  waiters: Waiter[];
}

/**
 * Owns one socket on the `/push` namespace and the topics subscribed on it, each followed by a
 * `SeqStream`: every push is delivered once and in order per topic; after each reconnect every
 * topic is subscribed again with `after` = its cursor, and a live push past a hole fetches the
 * missing ones the same way. Works in a Lit element (connects in `hostConnected`) and in Node with
 * a plain host object (call `connect()` and `close()` yourself).
 */
export class PushConnection extends SocketController<PushSocket> {
  /** Topics that lost pushes for good (a reconnect came after the server stopped keeping them). */
  gaps: ReadonlySet<string> = new Set();

  private readonly options: PushConnectionOptions;
  private readonly topics = new Map<string, Topic>();
  /** Topics not yet confirmed on this connection; ready when none is left. */
  private unconfirmed?: Set<string>;

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
    return this.topics.get(topic)?.stream.cursor;
  }

  /** The topics stay, so `connect()` resumes each after its cursor. */
  override close(): void {
    const closed = new ChatError('unavailable', 'The connection was closed.');
    for (const state of this.topics.values()) {
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
    const state = this.topics.get(topic) ?? this.follow(topic);
    state.wanted = true;
    const result = new Promise<SubscribeResult>((resolve, reject) => state.waiters.push({ resolve, reject }));
    // Confirmed already: ask again all the same, for an answer of our own.
    if (state.stream.confirmed) state.stream.hint();
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
    this.forget(topic);
    if (this.link?.socket.connected) await this.ask((s) => s.emitWithAck('push:unsubscribe', { topic }));
  }

  private get userTopic(): string | undefined {
    return this.user && `user:${this.user.id}`;
  }

  protected listen(socket: PushSocket): void {
    socket.on('push:new', (push) => this.topics.get(push.topic)?.stream.receive(push));
    // This node may have missed other nodes' pushes: every topic asks again after its cursor.
    socket.on('sync:hint', () => {
      for (const state of this.topics.values()) state.stream.hint();
    });
  }

  /** After every (re)connect: each topic again, from its cursor. */
  protected resume(_link: SocketLink<PushSocket>): void {
    this.unconfirmed = new Set(this.topics.keys());
    for (const state of this.topics.values()) state.stream.resume();
    this.confirmedOne(undefined);
  }

  protected isReady(): boolean {
    return this.unconfirmed?.size === 0;
  }

  protected override dropped(): void {
    this.unconfirmed = undefined;
    for (const state of this.topics.values()) state.stream.pause();
  }

  protected override identified(user: Member, previous: Member | undefined): void {
    const topic = `user:${user.id}`;
    const old = previous && `user:${previous.id}`;
    if (old && old !== topic && this.topics.get(old)?.wanted === false) this.forget(old);
    // The server sends the user's own pushes unasked; subscribing to them as well is what brings
    // back the ones missed while away.
    if (!this.topics.has(topic)) this.follow(topic);
  }

  /** A new topic, followed from now on (subscribed at once when connected). */
  private follow(topic: string): Topic {
    const state: Topic = {
      wanted: false,
      waiters: [],
      stream: new SeqStream<Push>({
        fetch: (after) => this.fetch(topic, state, after),
        deliver: (pushes) => {
          for (const push of pushes) this.options.onPush?.(push);
          this.changed();
        },
        // The topic's numbering restarted (a server that keeps pushes in memory restarted): what
        // came between is lost; replay what the new numbering holds.
        restarted: () => {
          this.markGap(topic);
          return 0;
        },
        lost: () => this.markGap(topic),
        failed: (error) => {
          for (const waiter of state.waiters.splice(0)) waiter.reject(error);
          this.forget(topic);
          this.setError(error);
          this.confirmedOne(topic);
        },
        confirmed: () => this.confirmedOne(topic),
      }),
    };
    this.topics.set(topic, state);
    if (this.link?.socket.connected) state.stream.resume();
    return state;
  }

  private forget(topic: string): void {
    this.topics.get(topic)?.stream.pause();
    this.topics.delete(topic);
    if (this.gaps.has(topic)) this.gaps = new Set([...this.gaps].filter((t) => t !== topic));
  }

  private async fetch(topic: string, state: Topic, after: number | undefined): Promise<StreamPage<Push>> {
    const req: SubscribeRequest = after === undefined ? { topic } : { topic, after };
    const res = await this.ask((s) => s.emitWithAck('push:subscribe', req));
    for (const waiter of state.waiters.splice(0)) waiter.resolve(res);
    return { epoch: res.epoch, entries: res.missed, lastSeq: res.lastSeq, truncated: res.truncated === true };
  }

  /** Ready once every topic of this connection was confirmed (or refused). */
  private confirmedOne(topic: string | undefined): void {
    const pending = this.unconfirmed;
    if (!pending) return;
    if (topic !== undefined) pending.delete(topic);
    if (pending.size === 0) this.markReady();
  }

  private markGap(topic: string): void {
    this.gaps = new Set(this.gaps).add(topic);
    this.options.onGap?.(topic);
    this.changed();
  }
}
