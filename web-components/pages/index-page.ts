import { msg, str } from '@lit/localize';
import type { RoomSummary } from '../../src/protocol.js';
import { pluralOf } from '../locale.js';
import { localizePage, setText } from './page-language.js';

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
let shown: RoomSummary[] = [];

async function refreshRooms(): Promise<void> {
  try {
    const res = await fetch('/api/rooms', { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    shown = ((await res.json()) as { rooms: RoomSummary[] }).rooms;
    list.replaceChildren(...shown.map(renderRoom));
    empty.hidden = shown.length > 0;
    listStatus.textContent = '';
  } catch {
    listStatus.textContent = msg('Could not load the room list.', { id: 'rooms-load-failed' });
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
  const people =
    pluralOf(members) === 'one'
      ? msg(str`${members} person`, { id: 'people-count-one' })
      : msg(str`${members} people`, { id: 'people-count-other' });
  const messages =
    pluralOf(lastSeq) === 'one'
      ? msg(str`${lastSeq} message`, { id: 'message-count-one' })
      : msg(str`${lastSeq} messages`, { id: 'message-count-other' });
  meta.textContent = `${people} · ${messages}`;
  link.append(name, meta);
  item.append(link);
  return item;
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
  setText('rooms-heading', msg('Active rooms', { id: 'active-rooms' }));
  setText('rooms-empty', msg('No active rooms yet. Start one above.', { id: 'no-rooms' }));
  list.replaceChildren(...shown.map(renderRoom));
});
void refreshRooms();
setInterval(() => {
  if (document.visibilityState === 'visible') void refreshRooms();
}, REFRESH_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refreshRooms();
});
