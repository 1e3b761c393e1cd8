import { msg, str } from '@lit/localize';
import type { RecentRoom, RoomSummary } from '../../src/protocol.js';
import { activeLocale, pluralOf } from '../locale.js';
import { localizePage, setText } from './page-language.js';

type RoomList = { rooms: RoomSummary[]; recent?: RecentRoom[] };

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const REFRESH_MS = 10_000;

const form = byId<HTMLFormElement>('join-form');
const input = byId<HTMLInputElement>('room-name');
const inputError = byId<HTMLElement>('room-error');
const list = byId<HTMLUListElement>('rooms');
const empty = byId<HTMLElement>('rooms-empty');
const listStatus = byId<HTMLElement>('rooms-status');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = input.value.trim();
  if (!ROOM_NAME.test(room)) {
    showInputError(
      room === ''
        ? msg('Enter a room name.', { id: 'enter-room-name' })
        : msg('Use only letters, digits, “-” and “_” (at most 64 characters).', { id: 'room-name-rule' }),
    );
    input.focus();
    return;
  }
  location.assign(`/rooms/${encodeURIComponent(room)}`);
});
input.addEventListener('input', () => showInputError(''));

function showInputError(message: string): void {
  inputError.textContent = message;
  inputError.hidden = message === '';
  input.setAttribute('aria-invalid', String(message !== ''));
}

/** The last list the server gave, drawn again in a new language. */
let shown: Listed[] = [];

async function refreshRooms(): Promise<void> {
  try {
    const res = await fetch('/api/rooms', { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const { rooms, recent = [] } = (await res.json()) as RoomList;
    // Rooms with someone in them first, then the others most recently active, never private ones (the server leaves them out).
    const activity = new Map(recent.map((r) => [r.room, r.lastActivity]));
    const present = new Set(rooms.map((r) => r.room));
    shown = [
      ...rooms.map((r) => ({ room: r.room, count: r.count, lastSeq: r.lastSeq, lastActivity: activity.get(r.room) })),
      ...recent.filter((r) => !present.has(r.room)).map((r) => ({ ...r, count: 0 })),
    ];
    list.replaceChildren(...shown.map(renderRoom));
    empty.hidden = shown.length > 0;
    listStatus.textContent = '';
  } catch {
    listStatus.textContent = msg('Could not load the room list.', { id: 'rooms-load-failed' });
  }
}

interface Listed {
  room: string;
  count: number;
  lastSeq: number;
  lastActivity?: number | undefined;
}

function renderRoom({ room, count, lastSeq, lastActivity }: Listed): HTMLLIElement {
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.href = `/rooms/${encodeURIComponent(room)}`;
  const name = document.createElement('span');
  name.className = 'room-link-name';
  name.textContent = room;
  const meta = document.createElement('span');
  meta.className = 'room-link-meta';
  const people =
    pluralOf(count) === 'one'
      ? msg(str`${count} person`, { id: 'people-count-one' })
      : msg(str`${count} people`, { id: 'people-count-other' });
  const messages =
    pluralOf(lastSeq) === 'one'
      ? msg(str`${lastSeq} message`, { id: 'message-count-one' })
      : msg(str`${lastSeq} messages`, { id: 'message-count-other' });
  meta.textContent = `${people} · ${messages}`;
  link.append(name, meta);
  if (lastActivity !== undefined) {
    const time = document.createElement('time');
    time.dateTime = new Date(lastActivity).toISOString();
    time.textContent = msg(str`active ${ago(lastActivity)}`, { id: 'rooms-active' });
    meta.append(' · ', time);
  }
  item.append(link);
  return item;
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "5 minutes ago", "yesterday", in the page's language. */
function ago(ts: number): string {
  const relative = new Intl.RelativeTimeFormat(activeLocale(), { numeric: 'auto' });
  let value = (ts - Date.now()) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return '';
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

localizePage(() => {
  setText('tagline', msg('Real-time chat rooms. Pick one and start talking.', { id: 'index-tagline' }));
  setText('join-heading', msg('Join a room', { id: 'join-heading' }));
  setText('room-name-label', msg('Room name', { id: 'room-name-label' }));
  input.placeholder = msg('e.g. general', { id: 'room-name-placeholder' });
  setText('join-button', msg('Join', { id: 'join-room' }));
  setText('room-hint', msg('Letters, digits, “-” and “_”, up to 64 characters.', { id: 'room-name-hint' }));
  setText('rooms-heading', msg('Rooms', { id: 'rooms-heading' }));
  setText('rooms-empty', msg('No rooms yet. Start one above.', { id: 'no-rooms-yet' }));
  list.replaceChildren(...shown.map(renderRoom));
});
void refreshRooms();
setInterval(() => {
  if (document.visibilityState === 'visible') void refreshRooms();
}, REFRESH_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refreshRooms();
});
