/** Tabular text (tab- or comma-separated lines, `|` markdown tables, extracted sheets): the header cell above a value, so a column name like `routing_number` counts as its context. */

const TAB = 9;
const CR = 13;
const COMMA = 44;
const PIPE = 124;

/** Longer lines are not treated as table rows: counting cells must stay cheap however many findings a line holds. */
const MAX_ROW_CHARS = 4096;
/** A header cell is a short label; a longer one is prose that happens to sit in a comma-separated line. */
const MAX_HEADER_CELL_CHARS = 48;

const SEP_NONE = 0;
const SEP_TAB = 1;
const SEP_PIPE = 2;
const SEP_COMMA = 3;

/** The separator a line uses: tabs first (CSV and sheets come out of extraction tab-joined), then a leading `|`, then two or more commas. */
export function lineSeparator(text: string, start: number, end: number): number {
  if (end - start > MAX_ROW_CHARS || end <= start) return SEP_NONE;
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  if (text.charCodeAt(i) === PIPE) return SEP_PIPE;
  let commas = 0;
  for (let j = start; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === TAB) return SEP_TAB;
    if (c === COMMA) commas++;
  }
  return commas >= 2 ? SEP_COMMA : SEP_NONE;
}

/** headerSpan()'s packing: header line, first column (< 2^13: a row holds at most MAX_ROW_CHARS + 1 cells), column count. */
const SPAN_COL = 1 << 13;
const SPAN_HEADER = SPAN_COL * SPAN_COL;

const sepChar = (sep: number): number => (sep === SEP_TAB ? TAB : sep === SEP_PIPE ? PIPE : COMMA);

/** The cells of a line as [start, end) pairs, trimmed of spaces (a markdown row's outer pipes open no cell). */
export function lineCells(text: string, start: number, end: number, sep: number): number[] {
  const ch = sepChar(sep);
  let s = start;
  let e = end;
  if (sep === SEP_PIPE) {
    while (s < e && text.charCodeAt(s) === 32) s++;
    while (e > s && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === CR)) e--;
    if (text.charCodeAt(s) === PIPE) s++;
    if (e > s && text.charCodeAt(e - 1) === PIPE) e--;
  }
  const out: number[] = [];
  let cs = s;
  for (let j = s; j <= e; j++) {
    if (j < e && text.charCodeAt(j) !== ch) continue;
    let a = cs;
    let b = j;
    while (a < b && text.charCodeAt(a) === 32) a++;
    while (b > a && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === CR)) b--;
    out.push(a, b);
    cs = j + 1;
  }
  return out;
}

/** A markdown alignment row (`|---|:--:|`): not data, skipped between the header and the rows. */
function isRule(text: string, start: number, end: number): boolean {
  for (let j = start; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c !== PIPE && c !== 45 && c !== 58 && c !== 32 && c !== CR) return false;
  }
  return true;
}

/**
 * Per analysis: line starts, and for each line of a table block the line that heads it. Built lazily, each
 * line's separator and header computed once, so all lookups together stay linear in the text.
 */
export class TableIndex {
  private readonly starts: Int32Array;
  private readonly lines: number;
  private readonly sep: Int8Array;
  private readonly head: Int32Array;
  private readonly headerWords = new Map<number, string[][]>();

  constructor(private readonly text: string) {
    let n = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
    this.starts = new Int32Array(n + 1);
    let k = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts[k++] = i + 1;
    this.starts[n] = text.length + 1;
    this.lines = n;
    this.sep = new Int8Array(n).fill(-1);
    this.head = new Int32Array(n).fill(-2);
  }

  private lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lines - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private end(line: number): number {
    return this.starts[line + 1]! - 1;
  }

  private sepOf(line: number): number {
    let s = this.sep[line]!;
    if (s < 0) this.sep[line] = s = this.separator(this.starts[line]!, this.end(line));
    return s;
  }

  /** Offsets of every tab and every comma, found on the first separator asked for (one indexOf sweep each). */
  private tabs: Int32Array | undefined;
  private commas: Int32Array | undefined;

  private static offsets(text: string, ch: string): Int32Array {
    let out = new Int32Array(64);
    let n = 0;
    for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) {
      if (n === out.length) {
        const grown = new Int32Array(n * 2);
        grown.set(out);
        out = grown;
      }
      out[n++] = i;
    }
    return out.subarray(0, n);
  }

  /** Index of the first offset in `a` at or after `pos` (a.length when none). */
  private static lowerBound(a: Int32Array, pos: number): number {
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** lineSeparator(text, start, end), from the tab and comma offsets: a line is not read whole to learn it has neither. */
  private separator(start: number, end: number): number {
    if (end - start > MAX_ROW_CHARS || end <= start) return SEP_NONE;
    let i = start;
    while (i < end && this.text.charCodeAt(i) === 32) i++;
    if (this.text.charCodeAt(i) === PIPE) return SEP_PIPE;
    const tabs = (this.tabs ??= TableIndex.offsets(this.text, '\t'));
    const t = TableIndex.lowerBound(tabs, start);
    if (t < tabs.length && tabs[t]! < end) return SEP_TAB;
    const commas = (this.commas ??= TableIndex.offsets(this.text, ','));
    const c = TableIndex.lowerBound(commas, start);
    return c + 1 < commas.length && commas[c + 1]! < end ? SEP_COMMA : SEP_NONE;
  }

  /** The header line of `line`'s table block (its first line), or -1 when the line is no table row or is the header itself. */
  private headerOf(line: number): number {
    const known = this.head[line]!;
    if (known !== -2) return known;
    const sep = this.sepOf(line);
    if (sep === SEP_NONE) return (this.head[line] = -1);
    // Walk up to the block's first line or to a line already resolved, then fill in what was walked.
    const walked: number[] = [line];
    let top = line;
    let header = -1;
    while (top > 0 && this.sepOf(top - 1) === sep) {
      const h = this.head[top - 1]!;
      if (h !== -2) {
        header = h === -1 ? top - 1 : h;
        break;
      }
      top--;
      walked.push(top);
    }
    if (header === -1) header = top;
    for (const l of walked) this.head[l] = l === header ? -1 : header;
    return this.head[line]!;
  }

  /** The lower-cased words of each header cell (split at `_` too, so `date_of_birth` reads as a phrase). */
  private words(header: number, sep: number): string[][] {
    let w = this.headerWords.get(header);
    if (w) return w;
    const cells = lineCells(this.text, this.starts[header]!, this.end(header), sep);
    w = [];
    for (let c = 0; c < cells.length; c += 2) {
      const a = cells[c]!;
      const b = cells[c + 1]!;
      w.push(b - a > MAX_HEADER_CELL_CHARS ? [] : this.text.slice(a, b).toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean));
    }
    this.headerWords.set(header, w);
    return w;
  }

  /**
   * The header cells over the cell holding [start, end) as one number (see headerWordsAt), or -1: the same column, or,
   * in a row with fewer cells than its header (sheet extraction drops empty cells), the columns it may have shifted from.
   * Equal numbers mean equal header words, so a caller may keep what it derived from them.
   */
  headerSpan(start: number, end: number): number {
    const line = this.lineOf(start);
    const lineEnd = this.end(line);
    if (end > lineEnd) return -1;
    const header = this.headerOf(line);
    if (header < 0) return -1;
    const sep = this.sepOf(line);
    const ls = this.starts[line]!;
    let col = -1;
    let count: number;
    if (sep === SEP_PIPE) {
      if (isRule(this.text, ls, lineEnd)) return -1;
      const cells = lineCells(this.text, ls, lineEnd, sep);
      for (let c = 0; c < cells.length; c += 2) {
        if (cells[c]! <= start && end <= cells[c + 1]!) {
          col = c / 2;
          break;
        }
      }
      count = cells.length / 2;
    } else {
      // lineCells' cells, counted from the separators' offsets rather than read: a row's findings each cost two
      // binary searches, not a walk over the row (a dense CSV has several findings on every row).
      const offs = sep === SEP_TAB ? (this.tabs ??= TableIndex.offsets(this.text, '\t')) : (this.commas ??= TableIndex.offsets(this.text, ','));
      const lo = TableIndex.lowerBound(offs, ls);
      const hi = TableIndex.lowerBound(offs, lineEnd);
      count = hi - lo + 1;
      const at = Math.min(TableIndex.lowerBound(offs, start), hi);
      const k = at - lo;
      let cs = k > 0 ? offs[at - 1]! + 1 : ls;
      let ce = at < hi ? offs[at]! : lineEnd;
      while (cs < ce && this.text.charCodeAt(cs) === 32) cs++;
      while (ce > cs && (this.text.charCodeAt(ce - 1) === 32 || this.text.charCodeAt(ce - 1) === CR)) ce--;
      if (cs <= start && end <= ce) col = k;
    }
    if (col < 0) return -1;
    const width = this.words(header, sep).length;
    const shift = Math.max(0, width - count);
    const to = Math.min(width, col + shift + 1);
    if (to <= col) return -1;
    return header * SPAN_HEADER + col * SPAN_COL + (to - col);
  }

  /** The header cells' words of a headerSpan() result. */
  headerWordsAt(span: number): string[][] {
    const header = Math.floor(span / SPAN_HEADER);
    const rest = span - header * SPAN_HEADER;
    const col = Math.floor(rest / SPAN_COL);
    return this.words(header, this.sepOf(header)).slice(col, col + (rest - col * SPAN_COL));
  }

  /** The words of the header cells over the cell holding [start, end) (see headerSpan). */
  headerWordsFor(start: number, end: number): string[][] {
    const span = this.headerSpan(start, end);
    return span < 0 ? [] : this.headerWordsAt(span);
  }
}
