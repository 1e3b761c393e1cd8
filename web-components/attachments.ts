import { msg, str } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { Attachment, UploadTokenResult } from '../src/protocol.js';

/** Where a room's files are (the server's origin) and the user token a private room's need. */
export interface FileAccess {
  server: string;
  token?: string | undefined;
}

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
/** The box an image is shown in, in px. */
const BOX = 240;

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

  private async upload(file: File): Promise<void> {
    const item: Staged = { key: this.next++, name: file.name || 'file' };
    this.items = [...this.items, item];
    this.changed();
    try {
      const source = this.source();
      if (!source) throw new Error(msg('Not connected.', { id: 'upload-offline' }));
      const grant = await this.token(source);
      if (file.size > grant.maxBytes) {
        throw new Error(msg(str`Too large: at most ${formatSize(grant.maxBytes)}.`, { id: 'upload-too-large' }));
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

/**
 * Drop files anywhere on `target` to add them to the tray. (Paste is the composer's: see
 * `pastedFiles`.)
 */
export function acceptDrops(target: HTMLElement, tray: () => AttachmentTray | undefined): void {
  const files = (e: DragEvent) => e.dataTransfer?.types.includes('Files') === true;
  target.addEventListener('dragover', (e) => {
    if (files(e)) e.preventDefault();
  });
  target.addEventListener('drop', (e) => {
    if (!files(e)) return;
    e.preventDefault();
    tray()?.add(e.dataTransfer?.files ?? []);
  });
}

/** Files pasted into the composer (a screenshot, a copied image), else none; text pastes as text. */
export function pastedFiles(e: ClipboardEvent): File[] {
  const files = [...(e.clipboardData?.files ?? [])];
  if (files.length > 0) e.preventDefault();
  return files;
}

/** The paperclip: a file input behind a label, reachable by keyboard, named for screen readers. */
export function renderFileButton(onFiles: (files: File[]) => void, disabled: boolean): TemplateResult {
  const label = msg('Attach files', { id: 'attach-files' });
  const picked = (e: Event) => {
    const input = e.target as HTMLInputElement;
    onFiles([...(input.files ?? [])]);
    input.value = '';
  };
  return html`<label part="attach-button" class="attach" title=${label}><input class="visually-hidden" type="file" multiple aria-label=${label} ?disabled=${disabled} @change=${picked}><svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="M21 11l-8.5 8.5a5 5 0 01-7-7L14 4a3.5 3.5 0 015 5l-8.5 8.5a2 2 0 01-3-3L15 7"/></svg></label>`;
}

/** The tray's chips above the composer: name, state (`data-state`: uploading, ready, failed), and a remove button. */
export function renderTray(tray: AttachmentTray | undefined): TemplateResult | typeof nothing {
  if (!tray || tray.items.length === 0) return nothing;
  return html`<ul part="attachment-tray" class="tray" aria-label=${msg('Files to send', { id: 'files-to-send' })}>${tray.items.map(
    (i) =>
      html`<li class="staged ${i.error ? 'failed' : ''}" data-state=${i.error ? 'failed' : i.attachment ? 'ready' : 'uploading'}><span class="name" dir="auto">${i.name}</span><span class="state" role=${i.error ? 'alert' : nothing}>${i.error ?? (i.attachment ? formatSize(i.attachment.size) : msg('Uploading…', { id: 'uploading' }))}</span><button type="button" class="remove" aria-label=${msg(str`Remove ${i.name}`, { id: 'remove-file' })} @click=${() => tray.remove(i.key)}>×</button></li>`,
  )}</ul>`;
}

/** A message's files: images inline in a box reserved from their size, others as a chip with a download link. */
export function renderAttachments(list: readonly Attachment[] | undefined, access: FileAccess): TemplateResult | typeof nothing {
  if (!list || list.length === 0) return nothing;
  return html`<ul part="attachments" class="files">${list.map((a) => html`<li>${renderFile(a, access)}</li>`)}</ul>`;
}

function renderFile(a: Attachment, access: FileAccess): TemplateResult {
  const url = new URL(a.url, access.server).href;
  // A private room's files need the token, which an <img> or a link cannot send: `showPrivateFiles`
  // fetches them and sets a blob URL.
  const hidden = a.url.includes('/rooms/private-');
  const src = hidden ? nothing : url;
  const data = hidden ? url : nothing;
  if (a.type.startsWith('image/')) {
    const w = a.width ?? BOX;
    const h = a.height ?? (BOX * 3) / 4;
    const scale = Math.min(1, BOX / w, BOX / h);
    return html`<a part="attachment-image" class="image" href=${src} data-src=${data} target="_blank" rel="noopener noreferrer"><img src=${src} data-src=${data} alt=${a.name} width=${Math.round(w * scale)} height=${Math.round(h * scale)}></a>`;
  }
  return html`<a part="attachment-file" class="file" href=${src} data-src=${data} download=${a.name} target="_blank" rel="noopener noreferrer"><span aria-hidden="true">📄</span><span class="name" dir="auto">${a.name}</span><small>${formatSize(a.size)}</small></a>`;
}

const blobs = new Map<string, Promise<string>>();

/** Fetches a private room's files shown under `root` with the user token and points them at blob URLs. */
export function showPrivateFiles(root: ParentNode, token: string | undefined): void {
  for (const el of root.querySelectorAll<HTMLImageElement | HTMLAnchorElement>('[data-src]:not([src]):not([href])')) {
    const url = el.dataset.src as string;
    let found = blobs.get(url);
    if (!found) {
      found = fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then(async (res) =>
        res.ok ? URL.createObjectURL(await res.blob()) : Promise.reject(new Error(res.statusText)),
      );
      found.catch(() => blobs.delete(url));
      blobs.set(url, found);
    }
    found.then(
      (blob) => el.setAttribute(el instanceof HTMLImageElement ? 'src' : 'href', blob),
      () => undefined,
    );
  }
}

const SIZE = [
  new Intl.NumberFormat([], { style: 'unit', unit: 'byte', unitDisplay: 'narrow' }),
  new Intl.NumberFormat([], { style: 'unit', unit: 'kilobyte', unitDisplay: 'narrow', maximumFractionDigits: 0 }),
  new Intl.NumberFormat([], { style: 'unit', unit: 'megabyte', unitDisplay: 'narrow', maximumFractionDigits: 1 }),
];

function formatSize(bytes: number): string {
  const i = bytes < 1024 ? 0 : bytes < 1024 * 1024 ? 1 : 2;
  return (SIZE[i] as Intl.NumberFormat).format(bytes / 1024 ** i);
}

export const attachmentStyles = css`
  .attach{flex:none;display:grid;place-items:center;width:32px;height:44px;border-radius:10px;color:var(--_muted);cursor:pointer}
  .attach:hover,.attach:focus-within{background:var(--_surface);color:var(--_fg)}
  .attach path{fill:none;stroke:currentColor;stroke-width:2}
  .tray,.files{grid-column:2;display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 0;padding:0 12px;list-style:none}
  .files{padding:0}
  .staged,.file{display:flex;gap:6px;max-width:100%;padding:4px 10px;border:1px solid var(--_border);border-radius:8px;font-size:13px;color:inherit;text-decoration:none}
  .name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
  .staged .state,.file small,.remove{color:var(--_muted)}
  .staged.failed .state{color:var(--_danger)}
  .remove{border:0;background:none;cursor:pointer}
  .image img{display:block;max-width:100%;height:auto;border-radius:8px;background:var(--_surface)}
  .text:empty{display:none}
`;
