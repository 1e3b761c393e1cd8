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

  constructor(code: ErrorCode, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  get status(): number {
    return httpStatus[this.code];
  }

  toBody(): ErrorBody {
    return this.retryAfterMs === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs };
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
