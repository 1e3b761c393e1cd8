import { msg, str } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import type { Attachment, UploadTokenResult } from '../src/protocol.js';
import type { FileAccess } from './attachments.js';

/*
 * The composer's tray of files, loaded the first time a file is picked, dropped or pasted
 * (roomcast-room.ts): its own chunk of the widget. Showing a message's files is attachments.ts.
 * It imports nothing of the widget's but Lit: a module it shared with the widget would be split
 * into one more chunk that widget.js loads up front (bench/widget-size.ts), so what it needs of
 * attachments.ts (the size format) is handed to it.
 */

/** What the tray needs of the room's connection. */
interface Source {
  room: string;
  files: FileAccess;
  uploadToken(): Promise<UploadTokenResult>;
}

/** A file the user picked, dropped or pasted: uploading, uploaded or failed. */
interface Staged {
  key: number;
  name: string;
  attachment?: Attachment;
  error?: string;
}

/** The most files one message carries (the server's limit). */
const MAX_FILES = 10;

/**
 * The files waiting in the composer (issue 13 point 4): each is uploaded at once over HTTP with
 * an upload token from the socket, and Send takes the uploaded ones into the message. A file the
 * server refuses stays as a chip saying why until removed.
 */
export class AttachmentTray {
  items: Staged[] = [];
  private grant?: UploadTokenResult & { room: string };
  private next = 0;

  constructor(
    private readonly source: () => Source | undefined,
    private readonly changed: () => void,
    /** How a file size reads ("2.5MB"): attachments.ts's `formatSize`. */
    private readonly formatSize: (bytes: number) => string,
  ) {}

  /** Some file is still uploading: Send waits. */
  get busy(): boolean {
    return this.items.some((i) => !i.attachment && !i.error);
  }

  get ready(): Attachment[] {
    return this.items.flatMap((i) => (i.attachment ? [i.attachment] : []));
  }

  add(files: Iterable<File>): void {
    for (const file of files) if (this.items.length < MAX_FILES) void this.upload(file);
  }

  remove(key: number): void {
    this.items = this.items.filter((i) => i.key !== key);
    this.changed();
  }

  /** The uploaded files for the message being sent; the tray empties. */
  take(): Attachment[] | undefined {
    const ready = this.ready;
    this.items = [];
    this.changed();
    return ready.length > 0 ? ready : undefined;
  }

  /** The chips above the composer: name, state (`data-state`: uploading, ready, failed), and a remove button. */
  render(): TemplateResult | typeof nothing {
    if (this.items.length === 0) return nothing;
    return html`<ul part="attachment-tray" class="tray" aria-label=${msg('Files to send', { id: 'files-to-send' })}>${this.items.map(
      (i) =>
        html`<li class="staged ${i.error ? 'failed' : ''}" data-state=${i.error ? 'failed' : i.attachment ? 'ready' : 'uploading'}><span class="name" dir="auto">${i.name}</span><span class="state" role=${i.error ? 'alert' : nothing}>${i.error ?? (i.attachment ? this.formatSize(i.attachment.size) : msg('Uploading…', { id: 'uploading' }))}</span><button type="button" class="remove" aria-label=${msg(str`Remove ${i.name}`, { id: 'remove-file' })} @click=${() => this.remove(i.key)}>×</button></li>`,
    )}</ul>`;
  }

  private async upload(file: File): Promise<void> {
    const item: Staged = { key: this.next++, name: file.name || 'file' };
    this.items = [...this.items, item];
    this.changed();
    try {
      const source = this.source();
      if (!source) throw new Error(msg('Not connected.', { id: 'upload-offline' }));
      const grant = await this.token(source);
      if (file.size > grant.maxBytes) {
        throw new Error(msg(str`Too large: at most ${this.formatSize(grant.maxBytes)}.`, { id: 'upload-too-large' }));
      }
      const res = await fetch(`${source.files.server}/api/rooms/${source.room}/attachments?name=${encodeURIComponent(item.name)}`, {
        method: 'POST',
        headers: { authorization: `Upload ${grant.token}` },
        body: file,
      });
      const body = (await res.json().catch(() => ({}))) as { attachment?: Attachment; error?: { message: string } };
      if (!body.attachment) throw new Error(body.error?.message ?? msg(str`Upload failed (${res.status}).`, { id: 'upload-failed' }));
      item.attachment = body.attachment;
    } catch (err) {
      item.error = (err as Error).message;
    }
    this.items = [...this.items];
    this.changed();
  }

  private async token(source: Source): Promise<UploadTokenResult> {
    const held = this.grant;
    if (held && held.room === source.room && held.expiresAt - Date.now() > 30_000) return held;
    const grant = { ...(await source.uploadToken()), room: source.room };
    this.grant = grant;
    return grant;
  }
}
