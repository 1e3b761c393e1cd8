import { css, nothing, type PropertyValues } from 'lit';
import type { Push } from '../src/protocol.js';
import { PushConnection } from './push-connection.js';
import { RoomcastElement } from './roomcast-element.js';

/** `roomcast-push-gap` detail. */
export interface PushGapDetail {
  topic: string;
}

/**
 * Listens to push topics and re-dispatches every push as a DOM event. Renders nothing.
 *
 * @fires roomcast-push - `CustomEvent<Push>` once for each push to the subscribed topics and to
 *   the user's own `user:<id>` topic, in seq order within a topic, including those caught up after
 *   a reconnect; bubbles and is composed.
 * @fires roomcast-push-gap - `CustomEvent<PushGapDetail>` when some of a topic's pushes were lost
 *   for good (away longer than the server keeps them); bubbles and is composed.
 */
export class RoomcastPush extends RoomcastElement {
  static override properties = {
    topic: { type: String },
  };

  /** The topics to subscribe to, separated by spaces (each `^[A-Za-z0-9_.:-]{1,128}$`). */
  declare topic: string;

  private push?: PushConnection;

  constructor() {
    super();
    this.topic = '';
  }

  /** The live connection (undefined until first rendered). */
  get connection(): PushConnection | undefined {
    return this.push;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.push || this.reachChanged(changed)) {
      this.release(this.push);
      this.push = new PushConnection(this, {
        ...this.socketOptions(),
        onPush: (push) => this.emit<Push>('roomcast-push', push),
        onGap: (topic) => this.emit<PushGapDetail>('roomcast-push-gap', { topic }),
      });
      this.subscribeTopics(this.push);
    } else if (changed.has('topic')) {
      this.subscribeTopics(this.push);
    }
  }

  override render(): typeof nothing {
    return nothing;
  }

  /** Subscribes to what `topic` lists and leaves what it no longer does. */
  private subscribeTopics(push: PushConnection): void {
    const wanted = new Set(this.topic.split(/\s+/).filter(Boolean));
    const current = push.subscriptions;
    // Refusals show in `connection.error`; nobody awaits these here.
    for (const topic of current) if (!wanted.has(topic)) push.unsubscribe(topic).catch(() => undefined);
    for (const topic of wanted) if (!current.includes(topic)) push.subscribe(topic).catch(() => undefined);
  }

  static override styles = css`
    :host {
      display: none !important;
    }
  `;
}

customElements.get('roomcast-push') || customElements.define('roomcast-push', RoomcastPush);

declare global {
  interface HTMLElementTagNameMap {
    'roomcast-push': RoomcastPush;
  }
  interface HTMLElementEventMap {
    'roomcast-push': CustomEvent<Push>;
    'roomcast-push-gap': CustomEvent<PushGapDetail>;
  }
}
