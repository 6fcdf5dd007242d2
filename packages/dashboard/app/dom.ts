// Small DOM helpers: elements from a tag, attributes and children (text is
// always set as text, never parsed as HTML), tables, and number formats.

type Child = Node | string | number | null | undefined | false;

/** `<tag ...attributes>children</tag>`; `on*` attributes that are functions become listeners. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value as EventListener);
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Appends children, strings as text nodes. */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces `parent`'s children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A table with a header row and one row per item. */
export function table<T>(headers: string[], rows: T[], cells: (row: T) => Child[], attributes: Record<string, unknown> = {}): HTMLTableElement {
  return el(
    'table',
    attributes,
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((row) => el('tr', {}, ...cells(row).map((c) => el('td', {}, c))))),
  );
}

/** 1234567 → "1.2M". */
export function compact(n: number): string {
  return new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** Bytes as B, KiB, MiB, GiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A time of day from epoch ms, or a dash. */
export function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined || ms <= 0 ? '–' : new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A duration in ms as "1h 2m 3s" / "450 ms". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  const parts = [[Math.floor(s / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  return parts.filter(([v], i) => v > 0 || i === 2).map(([v, u]) => `${v}${u}`).join(' ');
}
