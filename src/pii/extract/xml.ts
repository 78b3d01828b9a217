/**
 * A small streaming XML tag scanner for Office and OpenDocument parts: one pass, no tree, no DTD and
 * no entity expansion beyond XML's five and character references (so no "billion laughs"), linear in
 * the input.
 */

export interface XmlHandler {
  /** A start tag (or an empty-element tag, `selfClosing`); `attrs` is the raw attribute text, read with `attr()`. */
  open?(name: string, attrs: string, selfClosing: boolean): void;
  close?(name: string): void;
  /** Character data between tags, entity-decoded (CDATA included). */
  text?(text: string): void;
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML's five named entities and numeric character references; anything else is left as written. */
export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g, (m, e: string) => {
    if (e[0] !== '#') return NAMED[e]!;
    const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : m;
  });
}

/** One attribute's value from a tag's attribute text, by its qualified name (`r:id`, `table:name`). */
export function attr(attrs: string, name: string): string | undefined {
  let from = 0;
  for (;;) {
    const i = attrs.indexOf(name, from);
    if (i < 0) return undefined;
    from = i + name.length;
    const before = i === 0 ? ' ' : attrs[i - 1]!;
    if (!/\s/.test(before)) continue;
    let j = from;
    while (j < attrs.length && /\s/.test(attrs[j]!)) j++;
    if (attrs[j] !== '=') continue;
    j++;
    while (j < attrs.length && /\s/.test(attrs[j]!)) j++;
    const q = attrs[j];
    if (q !== '"' && q !== "'") continue;
    const end = attrs.indexOf(q, j + 1);
    if (end < 0) return undefined;
    return decodeXmlEntities(attrs.slice(j + 1, end));
  }
}

/**
 * Scans `xml`, calling the handler per tag and text run. `check` runs every few thousand tags (the
 * extraction's deadline). Malformed input ends the scan where it breaks rather than failing: a part
 * cut short still yields the text before the cut.
 */
export function scanXml(xml: string, h: XmlHandler, check?: () => void): void {
  let i = 0;
  let tags = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i && h.text) h.text(decodeXmlEntities(xml.slice(i, textEnd)));
    if (lt < 0) return;
    if (++tags % 4096 === 0) check?.();
    const c = xml[lt + 1];
    if (c === '!') {
      if (xml.startsWith('<!--', lt)) {
        const end = xml.indexOf('-->', lt + 4);
        if (end < 0) return;
        i = end + 3;
      } else if (xml.startsWith('<![CDATA[', lt)) {
        const end = xml.indexOf(']]>', lt + 9);
        if (end < 0) return;
        h.text?.(xml.slice(lt + 9, end));
        i = end + 3;
      } else {
        // A DOCTYPE: skipped whole, internal subset included; its entities are never expanded.
        const bracket = xml.indexOf('[', lt);
        const gt = xml.indexOf('>', lt);
        if (gt < 0) return;
        if (bracket >= 0 && bracket < gt) {
          const end = xml.indexOf(']>', bracket);
          if (end < 0) return;
          i = end + 2;
        } else i = gt + 1;
      }
      continue;
    }
    if (c === '?') {
      const end = xml.indexOf('?>', lt + 2);
      if (end < 0) return;
      i = end + 2;
      continue;
    }
    // A tag ends at the first '>' outside a quoted attribute value.
    let j = lt + 1;
    let quote = '';
    while (j < n) {
      const ch = xml[j]!;
      if (quote) {
        if (ch === quote) quote = '';
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '>') break;
      j++;
    }
    if (j >= n) return;
    const body = xml.slice(lt + 1, j);
    i = j + 1;
    if (body[0] === '/') {
      h.close?.(body.slice(1).trim());
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    let k = 0;
    while (k < inner.length && !/\s/.test(inner[k]!)) k++;
    const name = inner.slice(0, k);
    h.open?.(name, inner.slice(k), selfClosing);
    if (selfClosing) h.close?.(name);
  }
}
