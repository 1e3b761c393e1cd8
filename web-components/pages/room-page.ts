import '../roomcast-room.js';

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_KEY = 'roomcast:name';

const main = byId<HTMLElement>('room-main');
const pageError = byId<HTMLElement>('room-error');
const nameForm = byId<HTMLFormElement>('name-form');
const nameInput = byId<HTMLInputElement>('display-name');

const room = roomFromPath(location.pathname);
if (room === undefined) {
  pageError.textContent =
    'This is not a valid room name: use only letters, digits, “-” and “_” (at most 64 characters).';
  pageError.hidden = false;
} else {
  document.title = `#${room} · roomcast`;
  const name = new URLSearchParams(location.search).get('name')?.trim() || readName();
  nameInput.value = name;
  const element = document.createElement('roomcast-room');
  element.room = room;
  element.name = name;
  main.append(element);

  const applyName = (): void => {
    const next = nameInput.value.trim();
    if (next === element.name) return;
    writeName(next);
    element.name = next; // reconnects under the new name, same guest session
  };
  nameInput.addEventListener('change', applyName);
  nameForm.addEventListener('submit', (event) => {
    event.preventDefault();
    applyName();
  });
}

function roomFromPath(path: string): string | undefined {
  const segment = /^\/rooms\/([^/]+)\/?$/.exec(path)?.[1];
  if (segment === undefined) return undefined;
  try {
    const room = decodeURIComponent(segment);
    return ROOM_NAME.test(room) ? room : undefined;
  } catch {
    return undefined; // malformed %-escape
  }
}

function readName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

function writeName(name: string): void {
  try {
    if (name) localStorage.setItem(NAME_KEY, name);
    else localStorage.removeItem(NAME_KEY);
  } catch {
    // Storage blocked: the name lasts for this page only.
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}
