import { Ajv, type JSONSchemaType, type ValidateFunction } from 'ajv';
import { AppError } from './errors.js';
import type {
  HistoryRequest,
  JoinRequest,
  LeaveRequest,
  SendRequest,
  SubscribeRequest,
  TypingRequest,
  UnsubscribeRequest,
} from './protocol.js';

export const roomPattern = '^[A-Za-z0-9_-]{1,64}$';

const ajv = new Ajv({ allErrors: false, coerceTypes: false });

const room = { type: 'string', pattern: roomPattern } as const;
// Bounded where a JavaScript number stops being exact, so no store sees a seq it cannot hold.
const seq = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const limit = { type: 'integer', minimum: 1 } as const;
// Stored and compared as given: control characters (PostgreSQL refuses NUL) and lone surrogates
// (stored as U+FFFD, so a retry would not find its first send) are refused.
const clientId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\p{Cc}\\p{Cs}]+$' } as const;

/** A payload's first problem as a sentence, e.g. "room must match pattern ...". */
function describe(validate: ValidateFunction): string {
  const error = validate.errors?.[0];
  if (!error) return 'The payload is invalid.';
  const field = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'payload';
  return `${field} ${error.message ?? 'is invalid'}.`;
}

/**
 * `null` for a field means the field is absent (protocol 6.1): many clients' languages send their
 * "no value" as JSON null. A required field that is null is then missing, so still `bad_request`.
 */
function withoutNulls(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  return Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== null));
}

/**
 * Compiles a schema (plain JSON Schema, e.g. TypeBox's) into a parser that returns the typed
 * payload or throws `bad_request`, with the null-means-absent rule (protocol 6.1).
 */
export function schemaParser<T>(schema: object): (payload: unknown) => T {
  const validate = ajv.compile<T>(schema);
  return (raw) => {
    const payload = withoutNulls(raw);
    if (validate(payload)) return payload;
    throw new AppError('bad_request', describe(validate));
  };
}

/** `schemaParser` typed by Ajv's JSONSchemaType (which wants optional fields `nullable`; no null reaches the schema). */
function parser<T>(schema: JSONSchemaType<T>): (payload: unknown) => T {
  return schemaParser<T>(schema);
}

/** `/chat` payload parsers. */
export const chatParsers = {
  join: parser<JoinRequest>({
    type: 'object',
    properties: { room, after: { ...seq, nullable: true }, limit: { ...limit, nullable: true } },
    required: ['room'],
  }),
  leave: parser<LeaveRequest>({ type: 'object', properties: { room }, required: ['room'] }),
  send: parser<SendRequest>({
    type: 'object',
    properties: {
      room,
      // Its length is messageText's to check, after cleaning: too long is `too_large`, as on HTTP.
      // The Engine.IO packet limit (maxPayload) bounds the raw input.
      text: { type: 'string', minLength: 1 },
      clientId,
    },
    required: ['room', 'text', 'clientId'],
  }),
  history: parser<HistoryRequest>({
    type: 'object',
    properties: {
      room,
      before: { ...seq, nullable: true },
      after: { ...seq, nullable: true },
      limit: { ...limit, nullable: true },
    },
    required: ['room'],
  }),
  typing: parser<TypingRequest>({
    type: 'object',
    properties: { room, typing: { type: 'boolean' } },
    required: ['room', 'typing'],
  }),
};

export const topicPattern = '^[A-Za-z0-9_.:-]{1,128}$';
const topic = { type: 'string', pattern: topicPattern } as const;

/** `/push` payload parsers. */
export const pushParsers = {
  subscribe: parser<SubscribeRequest>({
    type: 'object',
    properties: { topic, after: { ...seq, nullable: true } },
    required: ['topic'],
  }),
  unsubscribe: parser<UnsubscribeRequest>({ type: 'object', properties: { topic }, required: ['topic'] }),
};

// Lone surrogates: a high one not followed by a low one, or a low one not preceded by a high one.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 and C1 controls but newline and tab; bidi embeddings, overrides (U+202A-U+202E) and isolates
// (U+2066-U+2069), which make a text display in an order other than the one it was written in.
const hiddenControl = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text as roomcast keeps it, the same for every store and every reader: well-formed UTF-16 (a lone
 * surrogate becomes U+FFFD, as UTF-8 stores would make it anyway), without control characters
 * other than newline and tab, and without bidi override and isolate controls.
 */
export function plainText(raw: string): string {
  return raw.replace(loneSurrogate, '\uFFFD').replace(hiddenControl, '');
}

declare const checked: unique symbol;
/** A message text that went through `messageText`: the only text `post()` takes. */
export type MessageText = string & { readonly [checked]: true };

/**
 * A message's text as it is stored, acked and broadcast: `plainText`, trimmed, 1..`maxLength`
 * characters (code points, not UTF-16 units); empty is `bad_request`, longer is `too_large`.
 */
export function messageText(raw: string, maxLength: number): MessageText {
  const text = plainText(raw).trim();
  if (text.length === 0) throw new AppError('bad_request', 'text must not be empty.');
  if (text.length > maxLength && [...text].length > maxLength) {
    throw new AppError('too_large', `text must be at most ${maxLength} characters.`);
  }
  return text as MessageText;
}
