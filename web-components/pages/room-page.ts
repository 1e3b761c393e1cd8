import { msg, str } from '@lit/localize';
import type { ErrorBody, LiveEndData, LivePushData, LiveResult, Push } from '../../src/protocol.js';
import { errorText } from '../error-text.js';
import { activeLocale, pluralOf } from '../locale.js';
import type { RoomcastPush } from '../roomcast-push.js';
import '../roomcast-push.js';
import '../roomcast-room.js';
import { localizePage, setText } from './page-language.js';

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_KEY = 'roomcast:name';
/** Live-data entries shown, newest first. */
const LIVE_ENTRIES = 4;
/** How long a click waits for the push connection before giving up. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Without a `live.end`, the panel calls it over this long after the deadline. */
const END_SLACK_MS = 5_000;
const clocks = new Map<string, Intl.DateTimeFormat>();

const main = byId<HTMLElement>('room-main');
const pageError = byId<HTMLElement>('room-error');
const nameForm = byId<HTMLFormElement>('name-form');
const nameInput = byId<HTMLInputElement>('display-name');

const room = roomFromPath(location.pathname);
localizePage(() => {
  setText('back-label', msg('All rooms', { id: 'all-rooms' }));
  setText('name-label', msg('Your name', { id: 'your-name' }));
  nameInput.placeholder = msg('Guest', { id: 'guest-placeholder' });
  setText('live-title-label', msg('Live data', { id: 'live-data' }));
  // While live data runs, the button says "Extend" (set by the panel, again at its next update).
  if (!byId('live-button').classList.contains('running')) setText('live-button-label', msg('Live data', { id: 'live-data' }));
  byId('live-log').setAttribute('aria-label', msg('Latest live data, newest first', { id: 'live-log-label' }));
  if (room === undefined) {
    pageError.textContent = msg('This is not a valid room name: use only letters, digits, “-” and “_” (at most 64 characters).', {
      id: 'invalid-room-name',
    });
  }
});
if (room === undefined) {
  pageError.hidden = false;
} else {
  const title = `#${room} · roomcast`;
  document.title = title;
  const name = new URLSearchParams(location.search).get('name')?.trim() || readName();
  nameInput.value = name;
  const element = document.createElement('roomcast-room');
  element.room = room;
  element.name = name;
  const push = document.createElement('roomcast-push');
  push.topic = `room:${room}`;
  // The unread count (messages from others after the user's read position) leads the tab's title.
  element.addEventListener('roomcast-unread', ({ detail }) => {
    document.title = detail.count > 0 ? `(${detail.count}) ${title}` : title;
  });
  main.append(push, element);
  // A link to a message (its menu's "Copy link"): scroll to it and highlight it once.
  const showLinked = (): void => {
    const seq = /^#m-(\d+)$/.exec(location.hash)?.[1];
    if (seq) element.showMessage(Number(seq));
  };
  showLinked();
  window.addEventListener('hashchange', showLinked);
  // On entry the composer has the focus, as in any chat (not on a phone: no keyboard popping up).
  void element.focusComposer();
  showLiveData(room, push);

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

/**
 * The "Live data" button and panel: a click asks the server to push its time, node and
 * connection count to `room:<room>` every 2 s for a minute (a click while it runs extends it);
 * the panel shows what `<roomcast-push>` receives, whoever clicked.
 */
function showLiveData(room: string, push: RoomcastPush): void {
  const live = {
    button: byId<HTMLButtonElement>('live-button'),
    label: byId<HTMLElement>('live-button-label'),
    panel: byId<HTMLElement>('live-panel'),
    status: byId<HTMLElement>('live-status'),
    log: byId<HTMLOListElement>('live-log'),
    error: byId<HTMLElement>('live-error'),
  };
  /** The deadline the server gave this page, 0 when unknown (someone else clicked). */
  let until = 0;
  let extended = false;
  let endTimer: ReturnType<typeof setTimeout> | undefined;
  let waitTimer: ReturnType<typeof setTimeout> | undefined;

  const setRunning = (running: boolean, text?: string): void => {
    live.panel.classList.toggle('running', running);
    live.button.classList.toggle('running', running);
    live.label.textContent = running ? msg('Extend live data', { id: 'extend-live-data' }) : msg('Live data', { id: 'live-data' });
    const deadline =
      until > 0
        ? extended
          ? msg(str`Extended until ${clockTime(until)}`, { id: 'live-extended-until' })
          : msg(str`Until ${clockTime(until)}`, { id: 'live-until' })
        : msg('Live', { id: 'live-running' });
    live.status.textContent = text ?? deadline;
    clearTimeout(endTimer);
    if (running && until > 0) {
      endTimer = setTimeout(() => stop(until), until - Date.now() + END_SLACK_MS);
    }
  };
  const stop = (at: number): void => {
    until = 0;
    extended = false;
    setRunning(false, msg(str`Ended at ${clockTime(at)}`, { id: 'live-ended-at' }));
  };
  const showError = (message: string): void => {
    live.error.textContent = message;
    live.error.hidden = message === '';
  };

  push.addEventListener('roomcast-push', ({ detail }: CustomEvent<Push>) => {
    if (detail.event === 'live' && isLiveData(detail.data)) {
      live.log.prepend(liveEntry(detail.data));
      while (live.log.children.length > LIVE_ENTRIES) live.log.lastElementChild?.remove();
      live.panel.hidden = false;
      setRunning(true);
    } else if (detail.event === 'live.end') {
      const end = detail.data as Partial<LiveEndData> | null;
      stop(typeof end?.until === 'number' ? end.until : Date.now());
    }
  });

  live.button.hidden = false;
  live.button.addEventListener('click', async () => {
    live.button.disabled = true;
    live.panel.hidden = false;
    showError('');
    try {
      // Subscribed first: the server stops live data that nobody listens to.
      await Promise.race([push.connection?.connect(), rejectAfter(CONNECT_TIMEOUT_MS)]);
      const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/live`, {
        method: 'POST',
        headers: { accept: 'application/json' },
      });
      const body = (await res.json()) as LiveResult | { ok: false; error: ErrorBody };
      if (body.ok) {
        extended = until > Date.now();
        until = body.until;
        setRunning(true);
      } else if (body.error.code === 'rate_limited') {
        // The button comes back once the server will take the click again.
        const wait = Math.max(1_000, body.error.retryAfterMs ?? 10_000);
        showError(msg(str`Live data was asked for too often. Try again in ${Math.ceil(wait / 1000)} s.`, { id: 'live-rate-limited' }));
        clearTimeout(waitTimer);
        waitTimer = setTimeout(() => {
          live.button.disabled = false;
          showError('');
        }, wait);
        return;
      } else {
        showError(errorText(body.error));
      }
    } catch {
      showError(msg('Could not reach the server for live data. Try again.', { id: 'live-unreachable' }));
    }
    live.button.disabled = false;
  });
}

function liveEntry({ time, node, connections }: LivePushData): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'live-entry';
  const at = document.createElement('time');
  at.dateTime = time;
  const date = new Date(time);
  at.textContent = Number.isNaN(date.getTime()) ? time : clockTime(date);
  const where = document.createElement('span');
  where.textContent = msg(str`node ${node}`, { id: 'live-node' });
  const count = document.createElement('span');
  count.textContent =
    pluralOf(connections) === 'one'
      ? msg(str`${connections} connection`, { id: 'connections-one' })
      : msg(str`${connections} connections`, { id: 'connections-other' });
  item.append(at, where, count);
  return item;
}

/** A time with seconds in the page's language; one formatter per language. */
function clockTime(at: Date | number): string {
  const locale = activeLocale();
  let clock = clocks.get(locale);
  if (!clock) {
    clock = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    clocks.set(locale, clock);
  }
  return clock.format(at);
}

function isLiveData(data: unknown): data is LivePushData {
  const live = data as Partial<LivePushData> | null;
  return typeof live?.time === 'string' && typeof live.node === 'string' && typeof live.connections === 'number';
}

function rejectAfter(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), ms));
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
