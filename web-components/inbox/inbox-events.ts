import type { InboxListStatus } from '../../src/protocol.js';

/** What a staff member does to a conversation: `inbox-action`'s detail. */
export type InboxAction =
  | { action: 'assign' | 'unassign' | 'close' | 'reopen'; room: string }
  | { action: 'snooze'; room: string; until?: number };

/** The DOM events the inbox's elements fire to the page, by name, with their details. */
export interface InboxEvents {
  /** A tab of the list was chosen. */
  'inbox-tab': InboxListStatus;
  /** A conversation (its room) was opened from the list. */
  'inbox-select': string;
  /** An action on the conversation shown. */
  'inbox-action': InboxAction;
  /** The back button (phone) was pressed. */
  'inbox-back': undefined;
}

/** Fires one of them from `from`: bubbling, and out of the shadow root. */
export function fire<K extends keyof InboxEvents>(from: EventTarget, type: K, detail: InboxEvents[K]): void {
  from.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
