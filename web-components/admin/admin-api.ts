import { msg, str } from '@lit/localize';
import type { AuditEntry, Ban } from '../../src/moderation/schemas.js';
import type { ErrorBody } from '../../src/protocol.js';
import { errorText } from '../error-text.js';
import { activeLocale } from '../locale.js';
import { ChatError } from '../socket-link.js';

export type { AuditEntry, Ban };

/** `GET /api/admin/overview` (protocol 6.4). */
export interface Overview {
  nodes: { name: string; connections: { chat: number; push: number }; rooms: number; startedAt: number; rssBytes: number }[];
  rooms: { room: string; members: number; messagesPerMinute: number; lastSeq: number }[];
}

/** The admin HTTP API with the console's token; every failure is a `ChatError` with the server's code. */
export class AdminApi {
  constructor(readonly token: string) {}

  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw new ChatError('unavailable', msg('The server cannot be reached.', { id: 'admin-unreachable' }));
    }
    const answer = (await res.json().catch(() => undefined)) as (T & { error?: ErrorBody }) | undefined;
    if (!res.ok || answer === undefined) {
      throw new ChatError(
        answer?.error?.code ?? 'internal',
        answer?.error?.message ?? msg(str`The server answered ${res.status}.`, { id: 'admin-server-answered' }),
        answer?.error?.retryAfterMs,
      );
    }
    return answer;
  }
}

/** A failed action's message, for the line that says so: the server's in English, else one for its code. */
export function failure(err: unknown): string {
  if (err instanceof ChatError) return errorText(err);
  return err instanceof Error ? err.message : msg('Something went wrong.', { id: 'something-went-wrong' });
}

const shortTimes = new Map<string, Intl.DateTimeFormat>();

/** A moment as the console's tables show it, in the console's language: short, so they fit a phone. */
export function when(ms: number): string {
  const locale = activeLocale();
  let format = shortTimes.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' });
    shortTimes.set(locale, format);
  }
  return format.format(ms);
}
