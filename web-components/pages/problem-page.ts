import { msg } from '@lit/localize';
import { localizePage, setText } from './page-language.js';

/**
 * The friendly 404 pages (issue 13 point 9), one template (public/problem.html) for both: the
 * server names the problem in `<html data-problem>` (`not-found` or `bad-room`), and this puts in
 * its words, in the reader's language.
 */
const badRoom = document.documentElement.dataset.problem === 'bad-room';

localizePage(() => {
  const [title, text] = badRoom
    ? [
        msg('That is not a room name', { id: 'bad-room-title' }),
        msg('Room names are 1 to 64 letters, digits, hyphens and underscores, like “general” or “team_42”.', { id: 'bad-room-text' }),
      ]
    : [
        msg('Nothing here', { id: 'not-found-title' }),
        msg('There is no page at this address. It may have moved, or the link was mistyped.', { id: 'not-found-text' }),
      ];
  document.title = `${title} · roomcast`;
  setText('problem', title);
  setText('problem-text', text);
  setText('home-link', msg('See the rooms, or pick a name for a new one', { id: 'see-rooms' }));
});
