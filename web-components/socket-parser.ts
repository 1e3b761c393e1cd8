import { Emitter } from '@socket.io/component-emitter';

/*
 * socket.io-parser for the bundles, text only: what the web build puts in place of the
 * `socket.io-parser` package (esbuild `alias` in bench/build-web.ts; Node and the tests use the
 * package). Same wire format (Socket.IO protocol 5) and the same exports socket.io-client uses, but
 * without binary packets (BINARY_EVENT, BINARY_ACK) and their buffer reconstruction: roomcast's
 * events are JSON, files go over HTTP (docs/protocol.md), so the widget never sends or receives
 * binary. A binary packet from a server is a parse error, which closes the connection as any
 * malformed packet does. 1.2 KB gzipped smaller than the package.
 */

export const protocol = 5;

export const PacketType = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export interface Packet {
  type: PacketType;
  nsp: string;
  id?: number;
  data?: unknown;
}

/** Event names a server must not send: they mean something to the client itself. */
const RESERVED = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

/** type, then `/nsp,` unless the main namespace, then the ack id, then the JSON data. */
const PACKET = /^([0-4])(?:(\/[^,]*),?)?(\d*)(.*)$/s;

/** A packet as it goes on the wire. */
export function encode(packet: Packet): string {
  const nsp = packet.nsp && packet.nsp !== '/' ? `${packet.nsp},` : '';
  return `${packet.type}${nsp}${packet.id ?? ''}${packet.data != null ? JSON.stringify(packet.data) : ''}`;
}

/** The packet a chunk from the wire holds; throws on a malformed or binary one. */
export function decode(chunk: unknown): Packet {
  const m = typeof chunk === 'string' ? PACKET.exec(chunk) : null;
  if (!m) throw new Error(`unsupported packet: ${String(chunk).slice(0, 20)}`);
  const packet: Packet = { type: Number(m[1]) as PacketType, nsp: m[2] ?? '/' };
  if (m[3]) packet.id = Number(m[3]);
  if (m[4]) {
    let data: unknown;
    try {
      data = JSON.parse(m[4]);
    } catch {
      data = false;
    }
    if (!valid(packet.type, data)) throw new Error('invalid payload');
    packet.data = data;
  }
  return packet;
}

/** socket.io-client's encoder interface (the pages' bundle). */
export class Encoder {
  encode(packet: Packet): string[] {
    return [encode(packet)];
  }
}

/** socket.io-client's decoder interface (the pages' bundle): emits `decoded` with each packet added. */
export class Decoder extends Emitter<Record<never, never>, Record<never, never>, { decoded: (packet: Packet) => void }> {
  add(chunk: unknown): void {
    this.emitReserved('decoded', decode(chunk));
  }

  destroy(): void {}
}

/** Whether a packet of `type` may carry `data` (it has some). */
function valid(type: PacketType, data: unknown): boolean {
  const object = typeof data === 'object' && data !== null;
  if (type === PacketType.CONNECT) return object;
  if (type === PacketType.CONNECT_ERROR) return object || typeof data === 'string';
  if (type === PacketType.DISCONNECT || !Array.isArray(data)) return false;
  return type === PacketType.ACK || typeof data[0] === 'number' || (typeof data[0] === 'string' && !RESERVED.includes(data[0]));
}
