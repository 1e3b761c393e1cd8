import type { AuditEntry, Ban } from '../../src/moderation/schemas.js';
import type { ErrorBody } from '../../src/protocol.js';
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
      throw new ChatError('unavailable', 'The server cannot be reached.');
    }
    const answer = (await res.json().catch(() => undefined)) as (T & { error?: ErrorBody }) | undefined;
    if (!res.ok || answer === undefined) {
      throw new ChatError(answer?.error?.code ?? 'internal', answer?.error?.message ?? `The server answered ${res.status}.`);
    }
    return answer;
  }
}

/** A failed action's message, for the line that says so. */
export function failure(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

const shortTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** A moment as the console's tables show it: short, so they fit a phone. */
export function when(ms: number): string {
  return shortTime.format(ms);
}
