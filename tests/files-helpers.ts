import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import type { Attachment, ErrorBody } from '../src/protocol.js';
import { acked, type ChatClient } from './helpers.js';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (crcTable[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
/** A real, valid PNG of one colour (RGB `rgb`, default grey), for the attachment tests. */
export function png(width: number, height: number, rgb: [number, number, number] = [0x3c, 0x3c, 0x3c]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An upload token from `upload:token` for a room the socket joined. */
export async function uploadToken(socket: ChatClient, room: string): Promise<string> {
  const result = await acked(socket).emitWithAck('upload:token', { room });
  assert.ok(result.ok, JSON.stringify(result));
  return result.token;
}

export type Body = string | Buffer | ReadableStream<Uint8Array>;

/** `POST /api/rooms/:room/attachments` with an upload token: the raw bytes, the name in `?name=`. */
export function upload(url: string, room: string, token: string, body: Body, name = 'file.bin', headers: Record<string, string> = {}) {
  return fetch(`${url}/api/rooms/${room}/attachments?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { authorization: `Upload ${token}`, 'content-type': 'application/octet-stream', ...headers },
    body: Buffer.isBuffer(body) ? new Uint8Array(body) : body,
    duplex: 'half',
  } as RequestInit);
}

/** The attachment a 201 answer carries (the test fails on any other answer). */
export async function uploaded(res: Response): Promise<Attachment> {
  const body = (await res.json()) as { attachment: Attachment; error?: ErrorBody };
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.attachment;
}
