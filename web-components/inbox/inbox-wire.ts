import type { Socket } from 'socket.io-client';
import type { Ack, ChatClientToServer, ChatServerToClient, Member, Message } from '../../src/protocol.js';

/** Protocol 6.5 as the inbox page uses it (the contract; src/protocol.ts once the server has it). */
export type ConversationStatus = 'open' | 'snoozed' | 'closed';
export type InboxListStatus = 'open' | 'mine' | 'unassigned' | 'snoozed' | 'closed';

export interface Conversation {
  room: string;
  notes: string;
  inbox: string;
  visitor: Member;
  email?: string;
  status: ConversationStatus;
  snoozedUntil?: number;
  assignee?: Member;
  lastMessage?: Message;
  unread: number;
  waitingSince?: number;
  createdAt: number;
  updatedAt: number;
}

interface InboxClientToServer {
  'inbox:list': (
    req: { inbox: string; status?: InboxListStatus; limit?: number; before?: number },
    ack: Ack<{ conversations: Conversation[]; hasMore: boolean }>,
  ) => void;
  'conversation:assign': (req: { room: string; user?: string | null }, ack: Ack<{ conversation: Conversation }>) => void;
  'conversation:close': (req: { room: string }, ack: Ack<{ conversation: Conversation }>) => void;
  'conversation:reopen': (req: { room: string }, ack: Ack<{ conversation: Conversation }>) => void;
  'conversation:snooze': (req: { room: string; until?: number }, ack: Ack<{ conversation: Conversation }>) => void;
}

interface InboxServerToClient {
  'inbox:update': (event: { conversation: Conversation }) => void;
}

/** A `/chat` socket with the staff's events. */
export type InboxSocket = Socket<ChatServerToClient & InboxServerToClient, ChatClientToServer & InboxClientToServer>;
