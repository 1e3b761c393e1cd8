import { AppError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { Limits } from '../limits.js';
import type { Store } from '../store/store.js';
import type { RoomSettings } from './schemas.js';

/**
 * How long a node trusts its copy of a room's settings. A change made on any node reaches every
 * node at once (moderation.ts); this only bounds how long a change lost with the adapter lasts.
 */
const settingsTtlMs = 30_000;
/** Past this many rooms held, the expired copies are dropped. */
const sweepAbove = 10_000;

/**
 * The room settings of protocol 6.4 as `message:send` applies them: read-only rooms and slow mode
 * (counted per user and room by the limits, so across nodes with Redis). Settings are read from
 * the store once per room and kept, so a send costs no query.
 */
export function createRoomRules(store: Store, limits: Limits) {
  const held = new Map<string, { settings: Promise<RoomSettings>; expires: number }>();

  function sweep(now: number): void {
    if (held.size <= sweepAbove) return;
    for (const [room, entry] of held) if (entry.expires <= now) held.delete(room);
  }

  function settings(room: string): Promise<RoomSettings> {
    const now = Date.now();
    const entry = held.get(room);
    if (entry && entry.expires > now) return entry.settings;
    sweep(now);
    const loading = store.roomSettings(room);
    const fresh = { settings: loading, expires: now + settingsTtlMs };
    held.set(room, fresh);
    // A failed read is not kept: the next send asks again.
    loading.catch(() => held.get(room) === fresh && held.delete(room));
    return loading;
  }

  /** The room's settings as they are now (a change made here or heard of from another node). */
  function remember(room: string, settings: RoomSettings): void {
    held.set(room, { settings: Promise.resolve(settings), expires: Date.now() + settingsTtlMs });
  }

  /** Throws `forbidden` in a read-only room and `rate_limited` within slow mode; moderators are not asked. */
  async function admitSend(identity: Identity, room: string): Promise<void> {
    const { readOnly, slowModeSeconds } = await settings(room);
    if (readOnly) throw new AppError('forbidden', `${room} is read-only: only its moderators may write.`);
    if (slowModeSeconds > 0) {
      await limits.slowMode(slowModeSeconds).consume(`${room}:${identity.user.id}`, `Slow mode: one message every ${slowModeSeconds} s.`);
    }
  }

  return { settings, remember, admitSend };
}

export type RoomRules = ReturnType<typeof createRoomRules>;
