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
const seq = { type: 'integer', minimum: 0 } as const;
const limit = { type: 'integer', minimum: 1 } as const;

/** A payload's first problem as a sentence, e.g. "room must match pattern ...". */
function describe(validate: ValidateFunction): string {
  const error = validate.errors?.[0];
  if (!error) return 'The payload is invalid.';
  const field = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'payload';
  return `${field} ${error.message ?? 'is invalid'}.`;
}

/** Compiles a schema into a parser that returns the typed payload or throws `bad_request`. */
function parser<T>(schema: JSONSchemaType<T>): (payload: unknown) => T {
  const validate = ajv.compile(schema);
  return (payload) => {
    if (validate(payload)) return payload;
    throw new AppError('bad_request', describe(validate));
  };
}

/** `/chat` payload parsers; the text's length limit comes from config. */
export function createChatParsers(maxMessageLength: number) {
  return {
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
        // The trimmed length is checked again after trimming; this bounds the raw input.
        text: { type: 'string', minLength: 1, maxLength: maxMessageLength * 2 },
        clientId: { type: 'string', minLength: 1, maxLength: 64 },
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
}

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

/** Trims a message and checks its length in characters (code points), not UTF-16 units. */
export function messageText(raw: string, maxLength: number): string {
  const text = raw.trim();
  if (text.length === 0) throw new AppError('bad_request', 'text must not be empty.');
  if (text.length > maxLength && [...text].length > maxLength) {
    throw new AppError('too_large', `text must be at most ${maxLength} characters.`);
  }
  return text;
}
