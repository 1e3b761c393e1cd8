import { LitElement, type PropertyDeclarations, type PropertyValues, type ReactiveController } from 'lit';
import { pageStorage, type SessionStorageLike, type SocketOptions } from './socket-link.js';

/**
 * What every roomcast element shares: the properties that say how to reach the server, and the
 * DOM events it fires. Not an element itself.
 */
export class RoomcastElement extends LitElement {
  static override properties: PropertyDeclarations = {
    server: { type: String },
    name: { type: String },
    token: { attribute: false },
    storage: { attribute: false },
  };

  /** Server origin; defaults to the page's own origin. */
  declare server: string;
  /** Guest display name. */
  declare name: string;
  /** A JWT from the embedding site's backend (property only, never an attribute). */
  declare token: string | undefined;
  /** Where the guest session is kept between page loads (property only); default `localStorage`. */
  declare storage: SessionStorageLike | undefined;

  constructor() {
    super();
    this.server = '';
    this.name = '';
    this.token = undefined;
    this.storage = undefined;
  }

  /** Whether an update changes how to reach the server, so the connection must be made again. */
  protected reachChanged(changed: PropertyValues<this>): boolean {
    return changed.has('server') || changed.has('name') || changed.has('token') || changed.has('storage');
  }

  /** The connection options the properties say, with the page's storage for the guest session. */
  protected socketOptions(): SocketOptions {
    return {
      url: this.server || location.origin,
      name: this.name || undefined,
      token: this.token,
      storage: this.storage ?? pageStorage(),
    };
  }

  /** Stops a connection this element no longer uses. */
  protected release(connection: (ReactiveController & { close(): void }) | undefined): void {
    if (!connection) return;
    this.removeController(connection);
    connection.close();
  }

  /** Fires a `CustomEvent` that bubbles and leaves the shadow root. */
  protected emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }
}
