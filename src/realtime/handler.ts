import type { FastifyBaseLogger } from 'fastify';
import { toAppError } from '../errors.js';
import type { Ack, AckResult } from '../protocol.js';

/**
 * Makes socket handlers that answer every event with an ack exactly once: a bad payload becomes
 * `bad_request` (thrown by the parsers), an unexpected error is logged and answered as
 * `internal`, and an event without an ack is dropped, as the contract says.
 */
export function handler(socketId: string, log: FastifyBaseLogger) {
  return <T extends object>(event: string, run: (payload: unknown) => Promise<T> | T) =>
    (payload: unknown, ack: unknown): void => {
      if (typeof ack !== 'function') {
        log.debug({ event, socket: socketId }, 'event without ack dropped');
        return;
      }
      const reply = ack as Ack<T>;
      Promise.resolve()
        .then(() => run(payload))
        .then(
          (result) => reply({ ok: true, ...result } as AckResult<T>),
          (err: unknown) => {
            const appError = toAppError(err);
            if (appError !== err) log.error({ err, event }, 'socket handler failed');
            reply({ ok: false, error: appError.toBody() });
          },
        );
    };
}
