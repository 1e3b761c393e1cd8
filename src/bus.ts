import type { FastifyBaseLogger } from 'fastify';
import type { AuditEntry } from './moderation/schemas.js';
import type { Conversation, Member, Message, Push } from './protocol.js';

/**
 * What happens in roomcast, for features to react to instead of calling each other (what Django
 * signals did in the original tutorial).
 */
export interface DomainEvents {
  'message.created': { message: Message };
  /** Protocol 6.3: a message was edited; `message` is the `edit` entry (`target`, the new `text`). */
  'message.edited': { message: Message };
  /** A message was deleted (by its author or a moderator); `message` is the `delete` entry. */
  'message.deleted': { message: Message };
  'member.joined': { room: string; member: Member; count: number };
  'member.left': { room: string; member: Member; count: number };
  'push.sent': { push: Push };
  /** Moderation actions (protocol 6.4), each with its audit entry. */
  'moderation.message.delete': AuditEntry;
  'moderation.room.kick': AuditEntry;
  'moderation.ban.create': AuditEntry;
  'moderation.ban.lift': AuditEntry;
  'moderation.room.configure': AuditEntry;
  /** Protocol 6.5: a visitor's first `conversation:open` made it. */
  'conversation.created': { conversation: Conversation };
  /** Protocol 6.5: assigned (by staff, or by the first staff reply) or unassigned (no `assignee`). */
  'conversation.assigned': { conversation: Conversation };
  'conversation.closed': { conversation: Conversation };
  /** A user's read position in a room moved forward (protocol 6.3). For features only: no webhook event. */
  'room.read': { room: string; user: Member; seq: number };
}

export type DomainEventName = keyof DomainEvents;

export const domainEventNames = [
  'message.created',
  'message.edited',
  'message.deleted',
  'member.joined',
  'member.left',
  'push.sent',
  'moderation.message.delete',
  'moderation.room.kick',
  'moderation.ban.create',
  'moderation.ban.lift',
  'moderation.room.configure',
  'conversation.created',
  'conversation.assigned',
  'conversation.closed',
] as const satisfies readonly DomainEventName[];

type Listener<K extends DomainEventName> = (payload: DomainEvents[K]) => void;

/** One in-process bus. A listener that throws is logged and does not stop the others. */
export function createBus(log: FastifyBaseLogger) {
  const listeners = new Map<DomainEventName, Listener<never>[]>();
  return {
    on<K extends DomainEventName>(event: K, listener: Listener<K>): void {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as Listener<never>]);
    },
    emit<K extends DomainEventName>(event: K, payload: DomainEvents[K]): void {
      for (const listener of listeners.get(event) ?? []) {
        try {
          (listener as Listener<K>)(payload);
        } catch (err) {
          log.error({ err, event }, 'domain event listener failed');
        }
      }
    },
  };
}

export type Bus = ReturnType<typeof createBus>;
