import { msg } from '@lit/localize';
import { css, html, nothing, type TemplateResult } from 'lit';
import type { Attachment } from '../src/protocol.js';

/** Where a room's files are (the server's origin) and the user token a private room's need. */
export interface FileAccess {
  server: string;
  token?: string | undefined;
}

/** The box an image is shown in, in px. */
const BOX = 240;

/**
 * Drop files anywhere on `target` to add them to the tray (attachment-tray.ts). (Paste is the
 * composer's: see `pastedFiles`.)
 */
export function acceptDrops(target: HTMLElement, add: (files: FileList) => void): void {
  const files = (e: DragEvent) => e.dataTransfer?.types.includes('Files') === true;
  target.addEventListener('dragover', (e) => {
    if (files(e)) e.preventDefault();
  });
  target.addEventListener('drop', (e) => {
    if (!files(e)) return;
    e.preventDefault();
    if (e.dataTransfer) add(e.dataTransfer.files);
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

/** A file size as people read it: "512B", "18kB", "2.5MB" in the page's number format. */
export function formatSize(bytes: number): string {
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
