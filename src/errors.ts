import type { ErrorBody, ErrorCode } from './protocol.js';

const httpStatus: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  invalid_token: 401,
  token_expired: 401,
  guests_disabled: 401,
  forbidden: 403,
  not_found: 404,
  too_large: 413,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** The one error type of the app: a code from the contract's closed set and a sentence. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;
  /** With a ban's `forbidden`: the ban's end (protocol 6.4). */
  readonly until: number | undefined;

  constructor(code: ErrorCode, message: string, retryAfterMs?: number, until?: number) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.retryAfterMs = retryAfterMs;
    this.until = until;
  }

  get status(): number {
    return httpStatus[this.code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    if (this.until !== undefined) body.until = this.until;
    return body;
  }
}

/**
 * Maps anything thrown to an AppError. Unknown errors become `internal` with a generic sentence;
 * the caller logs the original in full.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('internal', 'Something went wrong on the server.');
}
