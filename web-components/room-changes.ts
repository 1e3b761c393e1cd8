import type { Message } from '../src/protocol.js';

/**
 * Change entries (protocol 6.3) applied to the messages they change. A message read from the
 * server (`room:join`, `message:history`) is as it was when read, so at least as new as the newest
 * seq of its page: an entry up to that seq is in it already. A message that arrived live is as new
 * as its own seq. Each applied entry moves its target on to the entry's seq, so an entry applied
 * twice, or one older than what the target shows, changes nothing.
 */
const asOf = new WeakMap<Message, number>();

/** Messages read from the server in one page: each shows every change up to the page's newest seq. */
export function stampPage(messages: readonly Message[]): void {
  const newest = messages.at(-1)?.seq ?? 0;
  for (const message of messages) asOf.set(message, newest);
}

/** Targets whose entries wait at most; past it the oldest target's are dropped. */
const KEPT_TARGETS = 500;

/**
 * Entries whose target is not held (older than the history loaded) are kept for it: an older page
 * read before such an entry was stored would otherwise show its target without it. Replayed in
 * order when the target arrives, they leave it as it is now either way, since each sets a value
 * (a text, a user's reaction, deleted) rather than adding to one.
 */
export class KeptChanges {
  private readonly kept = new Map<number, Message[]>();

  /** Applies the entry to its target, or keeps it until the target is held; true when a message changed. */
  apply(bySeq: Map<number, Message>, entry: Message): boolean {
    const target = entry.target;
    if (target === undefined) return false;
    if (bySeq.has(target)) return applyChange(bySeq, entry);
    const list = this.kept.get(target) ?? [];
    if (!list.some((e) => e.seq === entry.seq)) this.kept.set(target, [...list, entry]);
    if (this.kept.size > KEPT_TARGETS) this.kept.delete(this.kept.keys().next().value as number);
    return false;
  }

  /** The message `seq` is held now: the entries kept for it are applied, in order. */
  held(bySeq: Map<number, Message>, seq: number): void {
    const list = this.kept.get(seq);
    this.kept.delete(seq);
    for (const entry of list?.sort((a, b) => a.seq - b.seq) ?? []) applyChange(bySeq, entry);
  }

  clear(): void {
    this.kept.clear();
  }
}

/** Applies a change entry to its target in `bySeq`; true when that changed it. */
export function applyChange(bySeq: Map<number, Message>, entry: Message): boolean {
  const target = entry.target === undefined ? undefined : bySeq.get(entry.target);
  if (!target || target.type !== undefined || entry.seq <= (asOf.get(target) ?? target.seq)) return false;
  const changed = changeOf(target, entry);
  if (!changed) return false;
  asOf.set(changed, entry.seq);
  bySeq.set(changed.seq, changed);
  return true;
}

function changeOf(target: Message, entry: Message): Message | undefined {
  if (target.deleted) return undefined;
  switch (entry.type) {
    case 'delete': {
      const { reactions: _r, editedAt: _e, ...rest } = target;
      return { ...rest, text: '', deleted: true };
    }
    case 'edit':
      return { ...target, text: entry.text, editedAt: entry.ts };
    case 'reaction': {
      const { emoji, on, author } = entry;
      const users = target.reactions?.[emoji ?? ''] ?? [];
      if (emoji === undefined || users.includes(author.id) === on) return undefined;
      const reactions = { ...target.reactions, [emoji]: on ? [...users, author.id] : users.filter((id) => id !== author.id) };
      if (reactions[emoji]?.length === 0) delete reactions[emoji];
      const changed: Message = { ...target, reactions };
      if (Object.keys(reactions).length === 0) delete changed.reactions;
      return changed;
    }
    default:
      return undefined; // a type this client does not know
  }
}
