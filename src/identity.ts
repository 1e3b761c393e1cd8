import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import { AppError } from './errors.js';
import type { HandshakeAuth, Member, SessionEvent } from './protocol.js';
import type { ReservedNames } from './reserved-names.js';
import { plainText } from './validation.js';

/** Who a socket or request is, with what its token grants. */
export interface Identity {
  user: Member;
  /** Private rooms the token lists (`*` for all). */
  rooms: string[];
  /** Private push topics the token lists. */
  topics: string[];
  /** Moderates every room (the token's `admin: true`, or the API key). */
  admin: boolean;
  /** Rooms the token's `moderates` claim lists (`*` for every room). */
  moderates: string[];
  /** Inboxes the token's `inboxes` claim makes the user staff of (`*` for every inbox; protocol 6.5). */
  inboxes: string[];
}

export interface IdentityOptions {
  jwtSecret: string | undefined;
  /** The longest lifetime a token may have, in seconds (JWT_MAX_AGE). */
  jwtMaxAgeSeconds: number;
  allowGuests: boolean;
  sessionSecret: string;
  /** Names guests cannot take; learns the names of the users whose tokens it verifies. */
  reservedNames: ReservedNames;
}

const maxNameLength = 40;
/** How far the signer's clock may be off ours, in seconds, for `iat`, `nbf` and `exp`. */
const clockToleranceSeconds = 30;

/**
 * A message text's cleaning (`plainText`), then also without line breaks, tabs and invisible
 * format characters; trimmed and capped at 40 characters; empty means none.
 */
export function cleanName(raw: unknown): string {
  if (typeof raw !== 'string') return '';
  const chars = [
    ...plainText(raw)
      .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
      .trim(),
  ];
  return chars.slice(0, maxNameLength).join('').trim();
}

/**
 * A `sub` claim as a user id: a string, or an integer as its decimal string (many backends' ids
 * are numbers). An integer beyond 2^53 was already rounded by JSON parsing, so it names no one.
 */
function userId(sub: unknown): string | undefined {
  if (typeof sub === 'string') return sub;
  return Number.isSafeInteger(sub) ? String(sub) : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function createIdentity(options: IdentityOptions) {
  const jwtKey = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;

  function sign(id: string): string {
    return createHmac('sha256', options.sessionSecret).update(id).digest('base64url');
  }

  /** A session token: the guest id and its HMAC, so a reload keeps the same guest. */
  function sessionFor(user: Member): string {
    return `${user.id}.${sign(user.id)}`;
  }

  function guestIdFrom(session: unknown): string | undefined {
    if (typeof session !== 'string') return undefined;
    const dot = session.lastIndexOf('.');
    const id = session.slice(0, dot);
    if (dot < 0 || !/^guest_[A-Za-z0-9_-]{8,32}$/.test(id)) return undefined;
    const given = Buffer.from(session.slice(dot + 1));
    const expected = Buffer.from(sign(id));
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  /**
   * Refuses a token that lives longer than JWT_MAX_AGE. With `iat`, its lifetime as issued
   * (`exp - iat`), so a token is accepted or refused the same way all its life and the issuer
   * sees a wrong setting at once; without `iat`, the time it has left (`exp - now`), which
   * still bounds how long a stolen token stays usable. An `iat` in the future is refused.
   */
  function checkLifetime({ iat, exp }: JWTPayload): void {
    const now = Date.now() / 1000;
    if (iat !== undefined && iat > now + clockToleranceSeconds) {
      throw new AppError('invalid_token', "The token was issued in the future (iat); check the issuer's clock.");
    }
    // jose has checked that exp is there and a number.
    const lifetime = (exp as number) - (iat ?? now);
    if (lifetime > options.jwtMaxAgeSeconds + (iat === undefined ? clockToleranceSeconds : 0)) {
      throw new AppError('invalid_token', `The token lives longer than this server accepts (${options.jwtMaxAgeSeconds} s).`);
    }
  }

  /** Verifies a user JWT; throws `invalid_token` or `token_expired`. */
  async function verifyToken(token: string): Promise<Identity> {
    if (!jwtKey) throw new AppError('unauthorized', 'This server does not accept user tokens.');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, jwtKey, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
        clockTolerance: clockToleranceSeconds,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new AppError('token_expired', 'The token has expired.');
      throw new AppError('invalid_token', 'The token is not valid.');
    }
    checkLifetime(claims);
    const id = userId(claims.sub);
    // A control character (NUL above all) could not be stored as an author id.
    if (id === undefined || id.length === 0 || id.length > 128 || /\p{Cc}/u.test(id)) {
      throw new AppError('invalid_token', 'The token has no valid sub claim.');
    }
    const name = cleanName(claims.name) || id.slice(0, maxNameLength);
    options.reservedNames.remember(name);
    return {
      user: { id, name, kind: 'user' },
      rooms: stringList(claims.rooms),
      topics: stringList(claims.topics),
      admin: claims.admin === true,
      moderates: stringList(claims.moderates),
      inboxes: stringList(claims.inboxes),
    };
  }

  /**
   * Who the handshake says it is: a token's user, else a guest (kept from `session` when valid).
   * A guest asking for a reserved name, or a look-alike of one, is named like a guest who gave none:
   * refusing would leave a visitor who typed "System" unable to chat, and `session` tells every
   * client the name it got.
   */
  async function identify(auth: HandshakeAuth | undefined): Promise<Identity> {
    // `token: null` is no token (protocol 6.1): what many clients send for "not signed in".
    if (auth?.token !== undefined && auth.token !== null) {
      if (typeof auth.token !== 'string') throw new AppError('invalid_token', 'The token must be a string.');
      return verifyToken(auth.token);
    }
    if (!options.allowGuests) throw new AppError('guests_disabled', 'This server requires a user token.');
    const id = guestIdFrom(auth?.session) ?? `guest_${randomBytes(9).toString('base64url')}`;
    const asked = cleanName(auth?.name);
    const name =
      asked && !(await options.reservedNames.isReserved(asked))
        ? asked
        : `Guest ${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    return { user: { id, name, kind: 'guest' }, rooms: [], topics: [], admin: false, moderates: [], inboxes: [] };
  }

  /**
   * Who an HTTP request's bearer credentials are: a user JWT, or a guest's `session` (what a guest
   * visitor reads its own conversation's history and files with; protocol 6.5). A guest's name is
   * not known here, and nothing over HTTP needs it.
   */
  async function fromBearer(credentials: string): Promise<Identity> {
    if (credentials.startsWith('guest_')) {
      const id = guestIdFrom(credentials);
      if (id === undefined) throw new AppError('invalid_token', 'The session is not valid.');
      return { user: { id, name: 'Guest', kind: 'guest' }, rooms: [], topics: [], admin: false, moderates: [], inboxes: [] };
    }
    return verifyToken(credentials);
  }

  /** The `session` event: who the socket is, its session, and its roles, so a client knows which actions to offer. */
  function sessionEvent({ user, admin, moderates, inboxes }: Identity): SessionEvent {
    return {
      user,
      session: sessionFor(user),
      ...(admin ? { admin: true as const } : {}),
      ...(moderates.length > 0 ? { moderates } : {}),
      ...(inboxes.length > 0 ? { inboxes } : {}),
    };
  }

  return { identify, verifyToken, fromBearer, sessionFor, sessionEvent };
}

export type IdentityService = ReturnType<typeof createIdentity>;

/** `private-` rooms need the token's `rooms` claim (or `*`) or admin. */
export function mayJoin(identity: Identity, room: string): boolean {
  if (!room.startsWith('private-')) return true;
  return identity.admin || identity.rooms.includes('*') || identity.rooms.includes(room);
}

/**
 * `admin`, or the room (or `*`) in `moderates`: who may delete, kick and configure in a room. In a
 * support conversation's rooms (`conv-`, `note-`) only admins: `moderates: ["*"]` must not open
 * anyone's private conversation (who may enter those is access.ts's to decide).
 */
export function mayModerate(identity: Identity, room: string): boolean {
  if (isConversationRoom(room)) return identity.admin;
  return identity.admin || identity.moderates.includes('*') || identity.moderates.includes(room);
}

/** A support conversation's room or its notes room (protocol 6.5): what access.ts decides. */
export function isConversationRoom(room: string): boolean {
  return room.startsWith('conv-') || room.startsWith('note-');
}

/** Staff of an inbox: the token's `inboxes` lists it (or `*`), or an admin (the API key too). */
export function isStaff(identity: Identity, inbox: string): boolean {
  return identity.admin || identity.inboxes.includes('*') || identity.inboxes.includes(inbox);
}

/** Moderates some room: may use the moderation HTTP routes (each still checks the room). */
export function isModerator(identity: Identity): boolean {
  return identity.admin || identity.moderates.length > 0;
}

/** Who the backend's API key acts as: an admin named System. */
export const apiKeyIdentity: Identity = {
  user: { id: 'system', name: 'System', kind: 'system' },
  rooms: ['*'],
  topics: [],
  admin: true,
  moderates: [],
  inboxes: [],
};
