/**
 * widget.js, the one file a page on any origin loads to embed roomcast:
 *
 *     <script type="module" src="https://CHAT_HOST/widget.js"></script>
 *     <roomcast-chat inbox="support"></roomcast-chat>
 *
 * It defines `<roomcast-chat>` unless already defined (the `<roomcast-room>` inside it comes in a
 * chunk of its own, fetched when the browser is idle or the launcher is first used), points
 * `server` by default at the origin it was loaded from, and offers `window.roomcast`.
 */
import './csp-nonce.js';
import { RoomcastChat } from './roomcast-chat.js';

/** `window.roomcast`: what the embedding page may call (see docs/embedding.md). */
export interface RoomcastApi {
  /** Bumped when a method changes meaning; two widget copies on one page compare it. */
  readonly version: number;
  /** Chats as the user a JWT (signed by the site's backend) names, in every widget, now and later. */
  identify(token: string): void;
  /** On logout: forgets the token and the stored guest session; the widgets go on as a new guest. */
  reset(): void;
  /** Opens the panel of the widgets for `room` (all widgets without it). */
  open(room?: string): void;
  /** Closes the panel of the widgets for `room` (all widgets without it). */
  close(room?: string): void;
  /** The unread count of the first widget for `room` (the first widget without it). */
  unread(room?: string): number;
}

const API_VERSION = 1;

RoomcastChat.defaultServer = new URL(import.meta.url).origin;

/** The widgets for `room`, or in support mode for that inbox (all widgets without it). */
const widgets = (room?: string) => RoomcastChat.instances.filter((chat) => room === undefined || chat.room === room || chat.inbox === room);

const api: RoomcastApi = {
  version: API_VERSION,
  identify(token) {
    RoomcastChat.defaultToken = token;
    for (const chat of widgets()) chat.token = token;
  },
  reset() {
    RoomcastChat.defaultToken = undefined;
    for (const chat of widgets()) chat.reset();
  },
  open(room) {
    for (const chat of widgets(room)) chat.show();
  },
  close(room) {
    for (const chat of widgets(room)) chat.hide();
  },
  unread(room) {
    return widgets(room)[0]?.unread ?? 0;
  },
};

// A second copy (another URL, another version) leaves the first one's API in place.
if (window.roomcast === undefined) {
  window.roomcast = api;
} else if (window.roomcast.version !== API_VERSION) {
  console.warn(
    `roomcast: widget API ${API_VERSION} loaded on a page that already has version ${window.roomcast.version}; keeping the first`,
  );
}

declare global {
  interface Window {
    roomcast?: RoomcastApi;
  }
}
