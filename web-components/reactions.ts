import { msg } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { Member } from '../src/protocol.js';

/**
 * A message's reactions as chips, "👍 2", `aria-pressed` on the user's own; a click toggles it.
 * The chip's title names who reacted, as far as the room knows their names.
 */
export function renderReactions(
  m: { reactions?: Record<string, string[]> },
  room: { user?: Member; members: readonly Member[]; messages: readonly { author: Member }[] },
  toggle: (emoji: string, on: boolean) => void,
): TemplateResult | typeof nothing {
  const chips = Object.entries(m.reactions ?? {}).filter(([, ids]) => ids.length > 0);
  if (chips.length === 0) return nothing;
  // Rendered only when the message changes: a search per name is fine.
  const name = (id: string) =>
    (room.members.find((u) => u.id === id) ?? [...room.messages].reverse().find((x) => x.author.id === id)?.author)?.name ?? id;
  return html`<div class="reactions" role="group" aria-label=${msg('Reactions', { id: 'reactions' })}>${chips.map(([emoji, ids]) => {
    const pressed = ids.includes(room.user?.id ?? '');
    return html`<button part="reaction" class="chip" data-emoji=${emoji} aria-pressed=${pressed} title=${ids.map(name).join(', ')} @click=${() => toggle(emoji, !pressed)}>${emoji} ${ids.length}</button>`;
  })}</div>`;
}

export const reactionStyles = css`
  .reactions {
    grid-column: 2;
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    margin-top: 2px;
  }
  .reactions .chip {
    font-size: 13px;
    color: inherit;
  }
  .reactions [aria-pressed='true'] {
    border-color: var(--_accent);
    background: var(--_mine);
  }
`;
