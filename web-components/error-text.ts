import { msg, str } from '@lit/localize';
import type { ErrorBody } from '../src/protocol.js';
import { activeLocale, SOURCE_LOCALE } from './locale.js';

/**
 * An error for people: in English the server's own sentence (the most precise); in another
 * language a sentence for its code, since the server speaks English only.
 */
export function errorText(error: Pick<ErrorBody, 'code' | 'message' | 'retryAfterMs'>): string {
  if (activeLocale() === SOURCE_LOCALE) return error.message;
  switch (error.code) {
    case 'bad_request':
    case 'too_large':
      return msg('The server could not accept this.', { id: 'error-bad-request' });
    case 'unauthorized':
    case 'invalid_token':
    case 'token_expired':
      return msg('Your sign-in is not valid any more. Reload the page to sign in again.', { id: 'error-unauthorized' });
    case 'guests_disabled':
      return msg('Sign in to chat here: this server does not allow guests.', { id: 'error-guests-disabled' });
    case 'forbidden':
      return msg('You may not do this here.', { id: 'error-forbidden' });
    case 'not_found':
      return msg('Not found.', { id: 'error-not-found' });
    case 'conflict':
      return msg('This was changed meanwhile. Try again.', { id: 'error-conflict' });
    case 'rate_limited':
      return error.retryAfterMs
        ? msg(str`Too many requests. Try again in ${Math.ceil(error.retryAfterMs / 1000)} s.`, { id: 'error-rate-limited' })
        : msg('Too many requests. Try again in a moment.', { id: 'error-rate-limited-soon' });
    case 'unavailable':
      return msg('The chat server cannot be reached right now.', { id: 'error-unavailable' });
    default:
      return msg('Something went wrong.', { id: 'something-went-wrong' });
  }
}
