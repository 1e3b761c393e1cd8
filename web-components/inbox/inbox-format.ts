import { msg, str } from '@lit/localize';
import { activeLocale } from '../locale.js';
import type { Conversation } from '../../src/protocol.js';

const units = new Map<string, Intl.NumberFormat>();

function unit(name: 'minute' | 'hour' | 'day', n: number): string {
  const key = `${activeLocale()}:${name}`;
  let format = units.get(key);
  if (!format) {
    format = new Intl.NumberFormat(activeLocale(), { style: 'unit', unit: name, unitDisplay: 'short' });
    units.set(key, format);
  }
  return format.format(n);
}

/** A span of time as the list shows it, short and in the page's language: "4 min", "2 hr", "3 days". */
export function span(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return unit('minute', minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return unit('hour', hours);
  return unit('day', Math.floor(hours / 24));
}

/** What a conversation's last message shows in the list: its text, or its files' names. */
export function preview(c: Conversation): string {
  const last = c.lastMessage;
  if (!last) return msg('No messages yet', { id: 'inbox-no-messages' });
  if (last.deleted) return msg('(deleted)', { id: 'inbox-deleted' });
  const text = last.text || (last.attachments?.map((a) => a.name).join(', ') ?? '');
  return last.author.id === c.visitor.id ? text : msg(str`${last.author.name}: ${text}`, { id: 'inbox-preview-by' });
}
