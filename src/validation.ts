import { Ajv, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from 'typebox';
import { AppError } from './errors.js';
import { roomPattern } from './schemas/common.js';
import * as chat from './schemas/chat.js';
import * as inbox from './schemas/inbox.js';
import * as push from './schemas/push.js';

const ajv = new Ajv({ allErrors: false, coerceTypes: false });

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
 * Compiles a payload's schema (src/schemas/, the one the AsyncAPI document publishes) into a
 * parser that returns the typed payload or throws `bad_request`.
 */
function parser<T extends TSchema>(schema: T): (payload: unknown) => Static<T> {
  const validate = ajv.compile<Static<T>>(schema);
  return (raw) => {
    const payload = withoutNulls(raw);
    if (validate(payload)) return payload;
    throw new AppError('bad_request', describe(validate));
  };
}

/** `parser` for a schema kept beside its feature (src/moderation/schemas.ts), typed by the caller. */
export function schemaParser<T>(schema: TSchema): (payload: unknown) => T {
  return parser(schema) as (payload: unknown) => T;
}

export { roomPattern } from './schemas/common.js';

const roomName = new RegExp(roomPattern);

/**
 * A name that may be a chat room's (or an inbox's). Of the adapter's rooms, the inboxes' staff
 * rooms (`inbox:<name>`, with a colon) never are; a socket's own id may look like one.
 */
export function isRoomName(name: string): boolean {
  return roomName.test(name);
}

/** `/chat` payload parsers. */
export const chatParsers = {
  join: parser(chat.JoinRequest),
  leave: parser(chat.LeaveRequest),
  send: parser(chat.SendRequest),
  edit: parser(chat.EditRequest),
  react: parser(chat.ReactRequest),
  history: parser(chat.HistoryRequest),
  typing: parser(chat.TypingRequest),
  read: parser(chat.ReadRequest),
};

/** `/chat` payload parsers of support conversations (protocol 6.5). */
export const inboxParsers = {
  open: parser(inbox.OpenRequest),
  list: parser(inbox.ListRequest),
  assign: parser(inbox.AssignRequest),
  room: parser(inbox.RoomRequest),
  snooze: parser(inbox.SnoozeRequest),
};

/** `/push` payload parsers. */
export const pushParsers = {
  subscribe: parser(push.SubscribeRequest),
  unsubscribe: parser(push.UnsubscribeRequest),
};

// Lone surrogates: a high one not followed by a low one, or a low one not preceded by a high one.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 and C1 controls but newline and tab; bidi embeddings, overrides (U+202A-U+202E) and isolates
// (U+2066-U+2069), which make a text display in an order other than the one it was written in.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its purpose
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
 * characters (code points, not UTF-16 units); empty is `bad_request` (unless `emptyOk`: a
 * message of attachments), longer is `too_large`.
 */
export function messageText(raw: string, maxLength: number, emptyOk = false): MessageText {
  const text = plainText(raw).trim();
  if (text.length === 0 && !emptyOk) throw new AppError('bad_request', 'text must not be empty.');
  if (text.length > maxLength && [...text].length > maxLength) {
    throw new AppError('too_large', `text must be at most ${maxLength} characters.`);
  }
  return text as MessageText;
}
