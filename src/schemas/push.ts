import { Type } from 'typebox';
import { Epoch, Member, Push, Room, seq, Topic } from './common.js';

/** `/push` payloads, and what roomcast itself pushes. */

export const SubscribeRequest = Type.Object({
  topic: Topic,
  after: Type.Optional(seq('The last seq the client holds: the ack brings the retained pushes after it.')),
});

export const SubscribeResult = Type.Object({
  topic: Topic,
  missed: Type.Array(Push, { description: 'With `after`: the retained pushes to the topic after it, oldest first.' }),
  lastSeq: seq("The topic's newest seq (0 before its first push)."),
  truncated: Type.Optional(
    Type.Literal(true, { description: 'Some pushes after `after` are no longer retained: the client has a gap it cannot fill.' }),
  ),
  epoch: Epoch,
});

export const UnsubscribeRequest = Type.Object({ topic: Topic });

/** What roomcast itself pushes to `room:<room>` for every new chat message. */
export const MessagePushData = Type.Object({
  room: Room,
  seq: seq("The message's seq."),
  author: Member,
  preview: Type.String({ description: "The text's first 100 characters (a message of files only: their names)." }),
});

/** What the live-data timer pushes (event `live`) to `room:<room>` every 2 s. */
export const LivePushData = Type.Object({
  time: Type.String({ description: 'Server time, ISO 8601.' }),
  node: Type.String({ description: "The node's name (NODE_NAME)." }),
  connections: Type.Integer({ minimum: 0, description: 'Sockets connected to this node.' }),
});

/** Pushed once (event `live.end`) to `room:<room>` when live data stops at its deadline. */
export const LiveEndData = Type.Object({
  until: Type.Integer({ description: 'The deadline that passed, ms since the epoch.' }),
});
