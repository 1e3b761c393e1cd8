/**
 * A minimal /chat client for the load generator: the Socket.IO v4 / Engine.IO v4 wire format
 * over a minimal RFC 6455 WebSocket on a plain TCP socket.
 *
 * Why not socket.io-client: it spends about as much CPU receiving a message as the server spends
 * sending it (a Manager, an Engine.IO socket, the `ws` receiver and several emitter hops per
 * packet), so 200 of them on one core saturate it near 20,000 deliveries/s, and the bench would
 * measure its own generator. This client reads every socket into one shared buffer (`onread`, no
 * stream machinery) and only looks at what the bench needs, at a fraction of that cost. The
 * server sees an ordinary WebSocket client. `--client socket.io` uses the real client instead.
 *
 * Covered: WebSocket upgrade (accept key checked), unfragmented text frames, ping/pong and close
 * frames, masked client frames; Engine.IO open and ping/pong; namespace connect with `auth`,
 * connect errors, events with acks, ack replies, namespace disconnect. Not covered (the bench
 * needs none of it): long-polling, binary attachments, fragmented frames, reconnection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Message } from '../src/protocol.js';

type AckFn = (res: never) => void;

export interface BenchConnection {
  /** Opens the connection and connects to /chat; rejects like socket.io-client's connect_error. */
  connect(auth: object, timeoutMs: number): Promise<void>;
  /** Called with the `text` of every `message:new`: all the generator needs of a Message. */
  onNew(fn: (text: string) => void): void;
  onDisconnect(fn: () => void): void;
  /** Emits `event` with one payload and calls `ack` with the server's single ack argument. */
  emit(event: string, payload: unknown, ack: AckFn): void;
  close(): void;
}

const TEXT_KEY = '"text":"';

/**
 * The `text` of a `message:new` frame. The bench's texts are `<number> xxx...` with nothing to
 * escape, so the part up to the first space is enough, and skipping JSON.parse of the whole
 * Message is a good part of the generator's saving. Anything else is parsed properly.
 */
function textOf(frame: string, from: number): string {
  const at = frame.indexOf(TEXT_KEY, from);
  if (at >= 0) {
    const start = at + TEXT_KEY.length;
    const end = frame.indexOf(' ', start);
    if (end > start && end - start < 32) return frame.slice(start, end);
  }
  return (JSON.parse(frame.slice(from, -1)) as Message).text;
}

/**
 * Every socket of the process reads into this one buffer: the read callback consumes (or copies)
 * the bytes before returning, and only one callback runs at a time.
 */
const readBuffer = Buffer.allocUnsafe(256 * 1024);
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Just enough of a WebSocket client: text frames out (masked), text frames in. */
class RawWebSocket {
  onOpen: () => void = () => undefined;
  onText: (s: string) => void = () => undefined;
  onClose: (err?: Error) => void = () => undefined;
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private pending: Buffer | undefined;
  private open = false;
  private closed = false;

  constructor(url: URL) {
    const port = Number(url.port || 80);
    this.socket = connect({
      host: url.hostname,
      port,
      onread: {
        buffer: readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          this.onData(buf as Buffer, n);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (err) => this.finish(err));
    this.socket.on('close', () => this.finish());
  }

  send(text: string): void {
    this.frame(0x1, Buffer.from(text));
  }

  close(): void {
    if (this.open && !this.closed) this.frame(0x8, Buffer.from([0x03, 0xe8])); // 1000: normal closure
    this.socket.end();
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(err);
  }

  /** Client frames must be masked (RFC 6455 5.3). */
  private frame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const out = Buffer.allocUnsafe(head + 4 + len);
    out[0] = 0x80 | opcode;
    if (len < 126) out[1] = 0x80 | len;
    else if (len < 65536) {
      out[1] = 0x80 | 126;
      out.writeUInt16BE(len, 2);
    } else {
      out[1] = 0x80 | 127;
      out.writeBigUInt64BE(BigInt(len), 2);
    }
    // Math.random, not crypto: a load generator needs no unpredictable masks, and randomBytes per
    // frame was a tenth of its CPU in the storm bench.
    out.writeUInt32BE((Math.random() * 0x1_0000_0000) >>> 0, head);
    for (let i = 0; i < len; i++) out[head + 4 + i] = (payload[i] as number) ^ (out[head + (i & 3)] as number);
    this.socket.write(out);
  }

  private onData(shared: Buffer, n: number): void {
    const buf = this.pending ? Buffer.concat([this.pending, shared.subarray(0, n)]) : shared.subarray(0, n);
    this.pending = undefined;
    let off = 0;
    if (!this.open) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = Buffer.from(buf);
        return;
      }
      const head = buf.toString('latin1', 0, end);
      const accept = createHash('sha1')
        .update(this.key + WS_GUID)
        .digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
        this.finish(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return;
      }
      this.open = true;
      off = end + 4;
      this.onOpen();
    }
    while (buf.length - off >= 2 && !this.closed) {
      const b0 = buf[off] as number;
      let len = (buf[off + 1] as number) & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - off < 10) break;
        len = Number(buf.readBigUInt64BE(off + 2));
        head = 10;
      }
      if (buf.length - off < head + len) break;
      const start = off + head;
      off = start + len;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x80) === 0 || opcode === 0) {
        this.finish(new Error('fragmented WebSocket frames are not supported by the bench client'));
      } else if (opcode === 0x1) {
        this.onText(buf.toString('utf8', start, off));
      } else if (opcode === 0x9) {
        this.frame(0xa, Buffer.from(buf.subarray(start, off)));
      } else if (opcode === 0x8) {
        this.close();
        this.finish();
      }
    }
    // What is left is the start of a frame: keep a copy, the shared buffer is reused.
    if (off < buf.length && !this.closed) this.pending = Buffer.from(buf.subarray(off));
  }
}

export class WireClient implements BenchConnection {
  private ws: RawWebSocket | undefined;
  private readonly acks = new Map<number, AckFn>();
  private nextAckId = 0;
  private newFn: ((text: string) => void) | undefined;
  private eventFn: (event: string, payload: unknown) => void = () => undefined;
  private disconnectFn: () => void = () => undefined;
  private readonly eventPrefix: string;
  private readonly newPrefix: string;
  private readonly ackPrefix: string;

  constructor(
    private readonly url: string,
    private readonly nsp: string,
  ) {
    this.eventPrefix = `42${nsp},`;
    this.newPrefix = `42${nsp},["message:new",`;
    this.ackPrefix = `43${nsp},`;
  }

  onNew(fn: (text: string) => void): void {
    this.newFn = fn;
  }

  /** Called with every other server event (and `message:new` when no `onNew` is set), parsed. */
  onEvent(fn: (event: string, payload: unknown) => void): void {
    this.eventFn = fn;
  }

  onDisconnect(fn: () => void): void {
    this.disconnectFn = fn;
  }

  connect(auth: object, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new RawWebSocket(new URL('/socket.io/?EIO=4&transport=websocket', this.url));
      this.ws = ws;
      let connected = false;
      const fail = (why: string): void => {
        clearTimeout(timer);
        ws.close();
        reject(new Error(`connect_error: ${why}`));
      };
      const timer = setTimeout(() => fail('timeout'), timeoutMs);
      ws.onText = (s) => {
        if (this.newFn && s.startsWith(this.newPrefix)) {
          this.newFn(textOf(s, this.newPrefix.length));
        } else if (s.startsWith(this.eventPrefix)) {
          const [event, payload] = JSON.parse(s.slice(this.eventPrefix.length)) as [string, unknown];
          this.eventFn(event, payload);
        } else if (s.startsWith(this.ackPrefix)) {
          const open = s.indexOf('[', this.ackPrefix.length);
          const id = Number(s.slice(this.ackPrefix.length, open));
          const fn = this.acks.get(id);
          this.acks.delete(id);
          fn?.((JSON.parse(s.slice(open)) as unknown[])[0] as never);
        } else if (s === '2') {
          ws.send('3'); // Engine.IO ping from the server
        } else if (s.startsWith('0')) {
          ws.send(`40${this.nsp},${JSON.stringify(auth)}`); // Engine.IO open: connect the namespace
        } else if (s.startsWith(`40${this.nsp},`)) {
          connected = true;
          clearTimeout(timer);
          resolve();
        } else if (s.startsWith(`44${this.nsp},`)) {
          const err = JSON.parse(s.slice(this.nsp.length + 3)) as { message?: string };
          fail(err.message ?? 'refused');
        } else if (s.startsWith(`41${this.nsp}`) || s === '1') {
          ws.close();
        }
      };
      ws.onClose = (err) => {
        if (connected) this.disconnectFn();
        else fail(err?.message ?? 'closed');
      };
    });
  }

  emit(event: string, payload: unknown, ack: AckFn): void {
    const id = this.nextAckId++;
    this.acks.set(id, ack);
    this.ws?.send(`${this.eventPrefix}${id}${JSON.stringify([event, payload])}`);
  }

  close(): void {
    this.ws?.close();
  }
}
