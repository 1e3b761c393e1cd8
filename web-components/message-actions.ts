import { msg } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import type { ConversationModel, Current, MessageMenu, Mode } from './message-menu.js';

/*
 * What a message's "More actions" button opens, loaded on its first click (message-menu.ts): the
 * menu, the emoji picker, the inline editor and the delete confirmation.
 */

const COMMON = ['👍', '❤️', '😂', '🎉', '😮', '😢'];
/** Protocol 6.3's example default, for a server that does not say its window. */
const DEFAULT_EDIT_WINDOW_S = 900;

/** The menu (Reply, React, Edit, Delete, Copy link), or in `react` mode the emoji picker. */
export function menu(mm: MessageMenu, chat: ConversationModel, m: Current, mine: boolean, mode: Mode): TemplateResult {
  const on = m.reactions ?? {};
  const me = chat.user?.id ?? '';
  const item = (label: string, act: () => void) => html`<button role="menuitem" @click=${act}>${label}</button>`;
  return html`<div role="menu" class="menu ${mode}" aria-label=${mode === 'react' ? msg('React', { id: 'react' }) : msg('Message actions', { id: 'message-actions' })} @keydown=${(e: KeyboardEvent) => menuKey(mm, e)}>${
    mode === 'react'
      ? [...new Set([...COMMON, ...Object.keys(on)])].map((e) => {
          const pressed = on[e]?.includes(me) ?? false;
          return html`<button role="menuitemcheckbox" aria-checked=${pressed} @click=${() => mm.react(m.seq, e, !pressed)}>${e}</button>`;
        })
      : [
          item(msg('Reply', { id: 'reply' }), () => {
            mm.replyTo = m.seq;
            mm.close(false);
            void mm.host.focusComposer();
          }),
          item(msg('React', { id: 'react' }), () => mm.set(m.seq, 'react', '.menu button')),
          mine && Date.now() - m.ts < (chat.editWindowSeconds ?? DEFAULT_EDIT_WINDOW_S) * 1000
            ? item(msg('Edit', { id: 'edit' }), () => mm.set(m.seq, 'edit', 'textarea'))
            : nothing,
          mine || chat.moderator ? item(msg('Delete', { id: 'delete' }), () => mm.set(m.seq, 'confirm', '.inline button')) : nothing,
          item(msg('Copy link', { id: 'copy-link' }), () => copyLink(mm, chat, m.seq)),
        ]
  }</div>`;
}

const linkTo = (mm: MessageMenu, chat: ConversationModel, seq: number) => `${mm.origin()}/rooms/${chat.room}#m-${seq}`;

/**
 * Puts the message's link on the clipboard and says so ("Link copied", announced). Refused (no
 * permission, a page not served over HTTPS, an older browser): the link shows under the message,
 * selected, to copy by hand.
 */
function copyLink(mm: MessageMenu, chat: ConversationModel, seq: number): void {
  Promise.resolve()
    .then(() => navigator.clipboard.writeText(linkTo(mm, chat, seq)))
    .then(
      () => {
        mm.close(true);
        mm.host.say(msg('Link copied', { id: 'link-copied' }));
      },
      () => mm.set(seq, 'link', '.inline input'),
    );
}

/** The link under a message when the clipboard refused it: selected, to copy by hand; Esc or Done closes it. */
export function linkBox(mm: MessageMenu, chat: ConversationModel, m: Current): TemplateResult {
  const label = msg('Link to this message', { id: 'link-to-message' });
  return html`<div class="inline" role="group" aria-label=${label} @keydown=${(e: KeyboardEvent) => onEscape(mm, e)}><span id="link-help">${msg('Could not copy. Copy the link yourself:', { id: 'copy-link-refused' })}</span><input readonly dir="ltr" aria-label=${label} aria-describedby="link-help" .value=${linkTo(mm, chat, m.seq)} @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()}><button type="button" class="chip" @click=${() => mm.close(true)}>${msg('Done', { id: 'done' })}</button></div>`;
}

/** The inline editor in place of the text: Enter saves, Shift+Enter makes a new line, Esc cancels. */
export function editor(mm: MessageMenu, m: Current): TemplateResult {
  const save = (e: Event) => {
    e.preventDefault();
    const text = (e.target as Element).closest('form')?.querySelector('textarea')?.value.trim() ?? '';
    const chat = mm.chat();
    if (!chat || text === '' || text === m.text) return mm.close(true);
    mm.run(chat.edit(m.seq, text));
  };
  const key = (e: KeyboardEvent) => {
    onEscape(mm, e);
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) save(e);
  };
  return html`<form class="inline" @submit=${save}><textarea dir="auto" rows="2" aria-label=${msg('Edit message', { id: 'edit-message' })} .value=${m.text} @keydown=${key}></textarea><button class="chip">${msg('Save', { id: 'save' })}</button>${cancel(mm)}</form>`;
}

/** The small confirmation under a message before it is deleted. */
export function confirm(mm: MessageMenu, chat: ConversationModel, m: Current): TemplateResult {
  return html`<div class="inline" role="group" aria-label=${msg('Delete message', { id: 'delete-message' })} @keydown=${(e: KeyboardEvent) => onEscape(mm, e)}>${msg('Delete this message?', { id: 'delete-confirm' })}<button class="chip danger" @click=${() => mm.run(chat.remove(m.seq))}>${msg('Delete', { id: 'delete' })}</button>${cancel(mm)}</div>`;
}

function cancel(mm: MessageMenu): TemplateResult {
  return html`<button type="button" class="chip" @click=${() => mm.close(true)}>${msg('Cancel', { id: 'cancel' })}</button>`;
}

function onEscape(mm: MessageMenu, e: KeyboardEvent): void {
  if (e.key !== 'Escape') return;
  // Handled here: the widget's panel must not close too.
  e.preventDefault();
  e.stopPropagation();
  mm.close(true);
}

/** Arrows move through the items (and wrap), Home and End, Esc closes, Tab leaves and closes. */
function menuKey(mm: MessageMenu, e: KeyboardEvent): void {
  if (e.key === 'Tab') return mm.close(false);
  onEscape(mm, e);
  const items = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('button')];
  const i = items.indexOf(e.target as HTMLElement);
  const step: Record<string, number> = { ArrowDown: i + 1, ArrowRight: i + 1, ArrowUp: i - 1, ArrowLeft: i - 1, Home: 0, End: -1 };
  const next = step[e.key];
  if (next === undefined) return;
  e.preventDefault();
  items.at(next % items.length)?.focus();
}
