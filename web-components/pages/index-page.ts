import { msg, str } from '@lit/localize';
import type { RecentRoom, RoomSummary } from '../../src/protocol.js';

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
    showInputError(room === '' ? 'Enter a room name.' : 'Use only letters, digits, “-” and “_” (at most 64 characters).');
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

async function refreshRooms(): Promise<void> {
  try {
    const res = await fetch('/api/rooms', { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const { rooms, recent = [] } = (await res.json()) as RoomList;
    // Rooms with someone in them first, then the others most recently active, never private ones (the server leaves them out).
    const activity = new Map(recent.map((r) => [r.room, r.lastActivity]));
    const present = new Set(rooms.map((r) => r.room));
    const all = [
      ...rooms.map((r) => ({ room: r.room, count: r.count, lastSeq: r.lastSeq, lastActivity: activity.get(r.room) })),
      ...recent.filter((r) => !present.has(r.room)).map((r) => ({ ...r, count: 0 })),
    ];
    list.replaceChildren(...all.map(renderRoom));
    empty.hidden = all.length > 0;
    listStatus.textContent = '';
  } catch {
    listStatus.textContent = 'Could not load the room list.';
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
  meta.textContent = `${plural(count, 'person', 'people')} · ${plural(lastSeq, 'message', 'messages')}`;
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

const RELATIVE = new Intl.RelativeTimeFormat([], { numeric: 'auto' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "5 minutes ago", "yesterday", in the browser's language. */
function ago(ts: number): string {
  let value = (ts - Date.now()) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return RELATIVE.format(Math.round(value), unit);
    value /= size;
  }
  return '';
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

void refreshRooms();
setInterval(() => {
  if (document.visibilityState === 'visible') void refreshRooms();
}, REFRESH_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refreshRooms();
});
