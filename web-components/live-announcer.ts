import { msg, str } from '@lit/localize';
import { html, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Message } from '../src/protocol.js';

/** Lines the region keeps: a screen reader reads each once, as it is added; older ones only take room. */
const KEPT = 3;

/**
 * The message list's one live region, out of sight: a line added for each new message of someone
 * else as it arrives (a log announces additions; its lines never change). The list itself is not live, so what changes in it ("Seen by …" moving with every
 * read, reactions, edits, the divider, a menu opening) is not read out; a reader browses to it.
 */
export class LiveAnnouncer {
  private lines: { key: string; text: string }[] = [];

  /** A message that just arrived (live, not loaded); the user's own are not news to them. */
  add(message: Message, me: string | undefined): void {
    if (message.author.id === me) return;
    const name = message.author.name;
    const text = message.text || (message.attachments ?? []).map((a) => a.name).join(', ');
    this.lines = [...this.lines, { key: message.id, text: msg(str`${name}: ${text}`, { id: 'announce-message' }) }].slice(-KEPT);
  }

  /** Another room: nothing of the last one is read out. */
  clear(): void {
    this.lines = [];
  }

  render(): TemplateResult {
    return html`<div class="visually-hidden" role="log" aria-live="polite">${repeat(
      this.lines,
      (line) => line.key,
      (line) => html`<p>${line.text}</p>`,
    )}</div>`;
  }
}
