import type { FastifyBaseLogger } from 'fastify';
import { AppError, toAppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { Ack, AckResult, RequestFailedEvent } from '../protocol.js';

/** What the handlers need of a socket, of either namespace. */
interface ClientSocket {
  id: string;
  onAny(listener: (event: unknown, ...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
  emit(event: 'request:failed', body: RequestFailedEvent): boolean;
}

/** Sockets whose unknown events are answered already. */
const watched = new WeakSet<ClientSocket>();

/** The ack, when the client sent one: Socket.IO appends it as the last argument. */
function split(args: unknown[]): { payloads: unknown[]; ack: Ack<object> | undefined } {
  const last = args.at(-1);
  return typeof last === 'function' ? { payloads: args.slice(0, -1), ack: last as Ack<object> } : { payloads: args, ack: undefined };
}

/** The payload's clientId, so a client that sent without an ack can tell which send failed. */
function clientIdOf(payload: unknown): string | undefined {
  const clientId = (payload as { clientId?: unknown } | null | undefined)?.clientId;
  return typeof clientId === 'string' && clientId.length <= 64 ? clientId : undefined;
}

/**
 * The contract's rules for the events a client sends (protocol 6.1), for one socket. An event
 * with an ack is answered exactly once: its result, or `{ code, message }` (a bad payload is
 * `bad_request`, thrown by the parsers; an unexpected error is logged and answered `internal`).
 * An event without an ack is processed all the same, and a failure is told to this socket alone
 * as `request:failed`. Exactly one payload, else `bad_request`. An event no handler listens to is
 * `bad_request` too. Every outcome is counted in `roomcast_acks_total`; `log` is the socket's own
 * (its lines carry the socket and user ids).
 */
export function handler(socket: ClientSocket, log: FastifyBaseLogger, metrics: Metrics) {
  function fail(event: string, payload: unknown, ack: Ack<object> | undefined, err: unknown, known = true): void {
    const appError = toAppError(err);
    // Any name a client makes up would be a label of its own: unknown events count as one.
    metrics.answered(known ? event : 'unknown', appError.code);
    if (appError !== err) log.error({ err, event }, 'socket handler failed');
    else log.debug({ event, code: appError.code }, 'socket request refused');
    if (ack) return ack({ ok: false, error: appError.toBody() });
    const clientId = clientIdOf(payload);
    socket.emit('request:failed', { event, ...(clientId === undefined ? {} : { clientId }), error: appError.toBody() });
  }

  // Runs before the listeners, for every event; the known ones are theirs to answer. Once per
  // socket, however many features register events on it (chat, moderation).
  if (!watched.has(socket)) {
    watched.add(socket);
    socket.onAny((event, ...args) => {
      if (typeof event === 'string' && socket.listenerCount(event) > 0) return;
      const { payloads, ack } = split(args);
      fail(String(event), payloads[0], ack, new AppError('bad_request', `There is no event ${String(event)}.`), false);
    });
  }

  return <T extends object>(event: string, run: (payload: unknown) => Promise<T> | T) =>
    (...args: unknown[]): void => {
      const { payloads, ack } = split(args);
      const [payload] = payloads;
      if (payloads.length !== 1) {
        const count = new AppError('bad_request', `${event} takes one payload and an optional ack, got ${payloads.length} payloads.`);
        return fail(event, payload, ack, count);
      }
      Promise.resolve()
        .then(() => run(payload))
        .then(
          (result) => {
            metrics.answered(event, 'ok');
            ack?.({ ok: true, ...result } as AckResult<object>);
          },
          (err: unknown) => fail(event, payload, ack, err),
        );
    };
}
