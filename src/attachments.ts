import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import { AppError } from './errors.js';
import type { Attachment, Member } from './protocol.js';
import type { StoredAttachment } from './store/store.js';

/** How long an upload token lives: long enough for a slow phone upload, short enough to be worthless when leaked. */
export const uploadTokenTtlMs = 5 * 60_000;
/** How long a file uploaded and never sent is kept. */
export const unsentFileTtlMs = 24 * 3600_000;
/** The longest file name kept, in characters. */
const maxNameLength = 120;

/** What an upload token says: who may upload to which room, until when. */
export interface UploadGrant {
  user: Member;
  room: string;
  expiresAt: number;
}

/**
 * Upload tokens (issue 13 point 4): a socket that joined a room gets one, and the browser uploads
 * with it, never with the API key. An HMAC over the grant as JSON, with a secret every node shares
 * (`store.secret('upload-token')`), so any node takes a token any node gave.
 */
export function createUploadTokens(secret: string, now: () => number = Date.now) {
  const mac = (body: string) => createHmac('sha256', secret).update(body).digest('base64url');

  function sign(user: Member, room: string): { token: string; expiresAt: number } {
    const expiresAt = now() + uploadTokenTtlMs;
    const body = Buffer.from(JSON.stringify({ u: [user.id, user.name, user.kind], r: room, e: expiresAt })).toString('base64url');
    return { token: `${body}.${mac(body)}`, expiresAt };
  }

  /** The grant of a token; `invalid_token` for a forged or malformed one, `token_expired` after its end. */
  function verify(token: string): UploadGrant {
    const [body = '', given = '', extra] = token.split('.');
    const expected = Buffer.from(mac(body));
    const actual = Buffer.from(given);
    if (extra !== undefined || actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw new AppError('invalid_token', 'The upload token is not valid.');
    }
    const grant = JSON.parse(Buffer.from(body, 'base64url').toString()) as { u: [string, string, Member['kind']]; r: string; e: number };
    if (grant.e <= now()) throw new AppError('token_expired', 'The upload token has expired; ask for a new one.');
    const [id, name, kind] = grant.u;
    return { user: { id, name, kind }, room: grant.r, expiresAt: grant.e };
  }

  return { sign, verify };
}

export type UploadTokens = ReturnType<typeof createUploadTokens>;

/** The credentials of `Authorization: Upload <token>` (scheme case-insensitive, as for Bearer). */
export function uploadCredentials(header: string | undefined): string | undefined {
  return /^upload +(\S+) *$/i.exec(header ?? '')?.[1];
}

/** An attachment's id: 128 random bits. */
export const newAttachmentId = () => randomBytes(16).toString('base64url');

/**
 * A file name as kept and shown: its last path segment, without control, format and bidi
 * characters (which could make `exe.txt` read as `txt.exe`), trimmed, at most 120 characters with
 * its extension kept; `file` when nothing is left.
 */
export function cleanFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const name = base
    .replace(/[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu, '')
    .replace(/^[\s.]+|\s+$/g, '')
    .trim();
  const chars = [...name];
  if (chars.length === 0) return 'file';
  if (chars.length <= maxNameLength) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  return chars.slice(0, maxNameLength - ext.length).join('') + ext;
}

/** The types taken, as read from the bytes. Nothing a browser would run: no HTML, SVG or XML. */
const allowedTypes = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'application/pdf',
  'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
]);

export const plainTextType = 'text/plain; charset=utf-8';

/** Markup a browser would render if it ever sniffed: refused even as text. */
const markup = /^\s*<|<(html|head|body|script|svg|iframe|object|embed|meta|!doctype|\?xml)\b/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const binaryControl = /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The type of a file from its bytes (file-type's signatures), never from the client's word. What
 * file-type cannot name is text when it is valid UTF-8 with no NUL or other binary control
 * character and does not look like markup; anything else is `bad_request`.
 */
export async function sniffType(data: Buffer): Promise<string> {
  const found = await fileTypeFromBuffer(data);
  if (found) {
    if (allowedTypes.has(found.mime)) return found.mime;
    throw new AppError('bad_request', `Files of type ${found.mime} are not accepted: images, PDF, text, zip and office documents are.`);
  }
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new AppError('bad_request', 'This kind of file is not accepted: images, PDF, text, zip and office documents are.');
  }
  if (binaryControl.test(text)) throw new AppError('bad_request', 'This file is neither text nor a type that is accepted.');
  if (markup.test(text.slice(0, 4096))) throw new AppError('bad_request', 'HTML, SVG and XML files are not accepted.');
  return plainTextType;
}

/** An image's width and height in pixels as it displays (EXIF rotation applied); undefined when unreadable. */
export function imageBox(data: Buffer, type: string): { width: number; height: number } | undefined {
  if (!type.startsWith('image/')) return undefined;
  try {
    const { width, height, orientation } = imageSize(data);
    if (!width || !height) return undefined;
    return orientation !== undefined && orientation >= 5 ? { width: height, height: width } : { width, height };
  } catch {
    return undefined;
  }
}

/** Where a room's file is served, relative to the server. */
export const attachmentUrl = (room: string, id: string) => `/api/rooms/${room}/attachments/${id}`;

/** A stored file as a message carries it. */
export function toAttachment(file: StoredAttachment): Attachment {
  const { id, name, type, size, width, height, room } = file;
  return { id, name, type, size, url: attachmentUrl(room, id), ...(width && height ? { width, height } : {}) };
}

/**
 * `Content-Disposition` (RFC 6266): images inline, everything else as a download, with an ASCII
 * fallback name and the real one as UTF-8 `filename*`.
 */
export function contentDisposition(name: string, type: string): string {
  const kind = type.startsWith('image/') ? 'inline' : 'attachment';
  const ascii = name.replace(/[^A-Za-z0-9._ -]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * The files a `message:send` names, as the message carries them: each must exist (else
 * `not_found`) and be this user's upload to this room (else `forbidden`). A file may be sent more
 * than once by its uploader: a send retried after a lost ack must find its files again.
 */
export async function resolveAttachments(
  store: { attachments(ids: readonly string[]): Promise<StoredAttachment[]> },
  userId: string,
  room: string,
  ids: readonly string[],
): Promise<Attachment[]> {
  const found = new Map((await store.attachments(ids)).map((f) => [f.id, f]));
  return ids.map((id) => {
    const file = found.get(id);
    if (!file) throw new AppError('not_found', `There is no attachment ${id}.`);
    if (file.ownerId !== userId || file.room !== room) throw new AppError('forbidden', `Attachment ${id} is not yours to send in ${room}.`);
    return toAttachment(file);
  });
}
