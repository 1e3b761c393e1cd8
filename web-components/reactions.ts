import { msg } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { Member } from '../src/protocol.js';

/**
 * A message's reactions as chips, "👍 2", `aria-pressed` on the user's own; a click toggles it.
 * The chip's title names who reacted, as far as the room knows their names.
 */
export function renderReactions(
  m: { reactions?: Record<string, string[]> },
  me: string,
  names: (id: string) => string,
  toggle: (emoji: string, on: boolean) => void,
): TemplateResult | typeof nothing {
  const chips = Object.entries(m.reactions ?? {}).filter(([, ids]) => ids.length > 0);
  if (chips.length === 0) return nothing;
  return html`<div class="reactions" role="group" aria-label=${msg('Reactions', { id: 'reactions' })}>
    ${chips.map(([emoji, ids]) => {
      const pressed = ids.includes(me);
      return html`<button type="button" part="reaction" class="reaction" data-emoji=${emoji} aria-pressed=${pressed}
        title=${ids.map(names).join(', ')} @click=${() => toggle(emoji, !pressed)}>${emoji} ${ids.length}</button>`;
    })}
  </div>`;
}

/** Who an id is: a member present, or the author of a message held; else the id. */
export function nameIndex(members: readonly Member[], messages: readonly { author: Member }[]): (id: string) => string {
  let index: Map<string, string> | undefined;
  return (id) => {
    if (!index) {
      index = new Map();
      for (const m of messages) index.set(m.author.id, m.author.name);
      for (const m of members) index.set(m.id, m.name);
    }
    return index.get(id) ?? id;
  };
}

export const reactionStyles = css`
  .reactions {
    grid-column: 2;
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    margin-top: 2px;
  }
  .reaction {
    padding: 1px 8px;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_bg);
    font-size: 13px;
    cursor: pointer;
  }
  .reaction[aria-pressed='true'] {
    border-color: var(--_accent);
    background: var(--_mine);
  }
`;
