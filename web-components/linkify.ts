import LinkifyIt from 'linkify-it';

/** A piece of a message's text: plain text, or a link's text and address. */
export type Piece = string | { text: string; href: string };

// http(s) URLs and e-mail addresses only: no ftp:, no protocol-relative //, no bare domains.
const linkify = new LinkifyIt({ fuzzyLink: false, fuzzyIP: false, fuzzyEmail: true }).add('ftp:', null).add('//', null);
const SAFE = /^(https?:\/\/|mailto:)/i;

/**
 * Splits text into plain pieces and links. Built as its own file (dist/web/linkify.js) that the
 * widget and the room page load only once a message may hold a link: it is most of a widget's
 * remaining byte budget.
 */
export function splitLinks(text: string): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const match of linkify.match(text) ?? []) {
    if (!SAFE.test(match.url)) continue;
    if (match.index > at) pieces.push(text.slice(at, match.index));
    pieces.push({ text: match.text, href: match.url });
    at = match.lastIndex;
  }
  if (at < text.length) pieces.push(text.slice(at));
  return pieces;
}
