/*
 * engine.io-parser for the widget, text only: what the widget's build puts in place of the
 * `engine.io-parser` package (esbuild `alias` in bench/build-web.ts; the pages, Node and the tests
 * use the package). The same Engine.IO protocol 4 packets and payloads, without binary ones: the
 * widget's Socket.IO packets are text (socket-parser.ts), and the server sends no binary to it. A
 * binary packet from a server decodes as a parser error, which closes the connection.
 * tests/socket-client.test.ts compares it with the package.
 */

export const protocol = 4;

/** Engine.IO packet types, by their digit on the wire. */
const TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];
/** Packets in one HTTP long-polling body are separated by the record separator. */
const SEPARATOR = '\x1e';
const ERROR: EnginePacket = { type: 'error', data: 'parser error' };

export interface EnginePacket {
  type: string;
  data?: unknown;
  options?: unknown;
}

/** Encodes one packet (text data only; `supportsBinary` does not matter then). */
export function encodePacket({ type, data }: EnginePacket, _supportsBinary: boolean, callback: (encoded: string) => void): void {
  callback(`${TYPES.indexOf(type)}${data ?? ''}`);
}

/** Decodes one packet; a binary one (`b...` or not a string) or an unknown type is a parser error. */
export function decodePacket(encoded: unknown, _binaryType?: string): EnginePacket {
  if (typeof encoded !== 'string' || encoded === '') return ERROR;
  const type = TYPES[Number(encoded.charAt(0))];
  if (!type) return ERROR;
  return encoded.length > 1 ? { type, data: encoded.slice(1) } : { type };
}

export function encodePayload(packets: EnginePacket[], callback: (encoded: string) => void): void {
  const encoded: string[] = [];
  for (const packet of packets) encodePacket(packet, false, (text) => encoded.push(text));
  callback(encoded.join(SEPARATOR));
}

export function decodePayload(payload: string, binaryType?: string): EnginePacket[] {
  const packets: EnginePacket[] = [];
  for (const encoded of payload.split(SEPARATOR)) {
    const packet = decodePacket(encoded, binaryType);
    packets.push(packet);
    if (packet.type === 'error') break;
  }
  return packets;
}

/** WebTransport's framing, imported by engine.io-client's WebTransport module, which the build leaves out. */
export function createPacketEncoderStream(): never {
  throw new Error('WebTransport is not supported');
}

export function createPacketDecoderStream(): never {
  throw new Error('WebTransport is not supported');
}
