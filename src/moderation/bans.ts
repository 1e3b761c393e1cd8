import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { Store } from '../store/store.js';
import type { Ban } from './schemas.js';

/** How often a node reads the bans in force again: what heals a ban or a lift the adapter lost. */
const reloadMs = 30_000;

function keyOf(ban: Ban): string {
  return ban.user === undefined ? `ip:${ban.ip}` : `user:${ban.user}`;
}

/**
 * This node's copy of the bans in force, by user and address, so a join or a send asks no
 * database. Bans made or lifted on any node are added here at once (moderation.ts); every 30 s
 * the copy is read again from the store.
 */
export function createBans(store: Store, log: FastifyBaseLogger) {
  let byId = new Map<string, Ban>();
  let byTarget = new Map<string, Ban[]>();
  /** Bumped by every change, so a reload that began before one does not undo it. */
  let changes = 0;

  function index(bans: Iterable<Ban>): void {
    byId = new Map([...bans].map((ban) => [ban.id, ban]));
    byTarget = new Map();
    for (const ban of byId.values()) byTarget.set(keyOf(ban), [...(byTarget.get(keyOf(ban)) ?? []), ban]);
  }

  async function reload(): Promise<void> {
    const before = changes;
    const bans = await store.activeBans(Date.now());
    if (changes === before) index(bans);
  }

  const timer = setInterval(() => {
    reload().catch((err: unknown) => log.warn({ err }, 'bans could not be read again; the ones held still apply'));
  }, reloadMs);
  timer.unref();

  function add(ban: Ban): void {
    changes++;
    index([...byId.values(), ban]);
  }

  function drop(id: string): void {
    changes++;
    byId.delete(id);
    index(byId.values());
  }

  /** The bans in force, newest first. */
  function list(): Ban[] {
    const now = Date.now();
    return [...byId.values()].filter((ban) => ban.until === undefined || ban.until > now).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The ban in force on this user or address in `room`, if any. */
  function find(user: string, address: string, room: string): Ban | undefined {
    const now = Date.now();
    const candidates = [...(byTarget.get(`user:${user}`) ?? []), ...(byTarget.get(`ip:${address}`) ?? [])];
    return candidates.find((ban) => (ban.room === undefined || ban.room === room) && (ban.until === undefined || ban.until > now));
  }

  /** Throws `forbidden` with the ban's end (`until`) while a ban covers this socket in `room`. */
  function check(identity: Identity, address: string, room: string): void {
    const ban = find(identity.user.id, address, room);
    if (!ban) return;
    const end = ban.until === undefined ? 'for good' : `until ${new Date(ban.until).toISOString()}`;
    throw new AppError('forbidden', `You are banned from ${room} ${end}.`, undefined, ban.until);
  }

  return {
    /** Reads the bans in force; call once before serving. */
    load: reload,
    add,
    drop,
    get: (id: string) => byId.get(id),
    list,
    check,
    close: () => clearInterval(timer),
  };
}

export type Bans = ReturnType<typeof createBans>;
