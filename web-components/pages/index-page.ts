import type { RoomSummary } from '../../src/protocol.js';

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
    const { rooms } = (await res.json()) as { rooms: RoomSummary[] };
    list.replaceChildren(...rooms.map(renderRoom));
    empty.hidden = rooms.length > 0;
    listStatus.textContent = '';
  } catch {
    listStatus.textContent = 'Could not load the room list.';
  }
}

function renderRoom({ room, members, lastSeq }: RoomSummary): HTMLLIElement {
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.href = `/rooms/${encodeURIComponent(room)}`;
  const name = document.createElement('span');
  name.className = 'room-link-name';
  name.textContent = room;
  const meta = document.createElement('span');
  meta.className = 'room-link-meta';
  meta.textContent = `${plural(members, 'person', 'people')} · ${plural(lastSeq, 'message', 'messages')}`;
  link.append(name, meta);
  item.append(link);
  return item;
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
