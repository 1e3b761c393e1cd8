const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** What Tab reaches inside `root`, in order, through shadow roots and slots, skipping what is not shown. */
export function tabbables(root: ParentNode, found: HTMLElement[] = []): HTMLElement[] {
  const children = root instanceof HTMLSlotElement ? root.assignedElements({ flatten: true }) : [...root.children];
  for (const el of children) {
    if (!(el instanceof HTMLElement) || el.hidden) continue;
    if (el.matches(FOCUSABLE) && el.getClientRects().length > 0) found.push(el);
    tabbables(el.shadowRoot ?? el, found);
  }
  return found;
}

/**
 * A dialog's focus trap: Tab from the last reachable element goes to the first, Shift+Tab from the
 * first to the last, however deep in shadow roots they are.
 */
export function trapTab(e: KeyboardEvent, root: ParentNode): void {
  if (e.key !== 'Tab') return;
  const all = tabbables(root);
  const first = all[0];
  const last = all.at(-1);
  if (!first || !last) return;
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  const inside = all.includes(active as HTMLElement);
  if (!inside || active === (e.shiftKey ? first : last)) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}
