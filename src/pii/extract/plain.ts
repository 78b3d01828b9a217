/** Text from text formats: plain text and Markdown as they are, CSV a line per row, JSON a `key: value` line per leaf, HTML its visible text. */
import { parse as parseCsv } from 'csv-parse/sync';
import { Parser } from 'htmlparser2';
import type { ExtractContext } from './context.js';

/** Plain text (and Markdown, whose syntax is text too), pushed in slices so the deadline is checked on a huge file. */
export function extractPlain(text: string, ctx: ExtractContext): void {
  const STEP = 1 << 20;
  for (let i = 0; i < text.length && !ctx.sink.full; i += STEP) {
    ctx.sink.push(text.slice(i, i + STEP));
    ctx.check();
  }
}

/** The delimiter the first line uses most: comma, semicolon (European Excel) or tab. */
function guessDelimiter(text: string): string {
  const nl = text.indexOf('\n');
  const first = text.slice(0, nl < 0 ? Math.min(text.length, 65_536) : Math.min(nl, 65_536));
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    const count = first.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** CSV: a line per row, cells joined by tabs, line breaks inside a quoted cell made spaces. Unparsable CSV is read as plain text. */
export function extractCsv(text: string, ctx: ExtractContext): void {
  let rows: string[][];
  try {
    rows = parseCsv(text, {
      delimiter: guessDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      to: ctx.limits.max_rows + 1,
    }) as string[][];
  } catch {
    extractPlain(text, ctx);
    return;
  }
  ctx.check();
  if (rows.length > ctx.limits.max_rows) {
    rows.length = ctx.limits.max_rows;
    ctx.skipped = true;
  }
  for (let r = 0; r < rows.length && !ctx.sink.full; r++) {
    ctx.sink.push(`${rows[r]!.map((c) => c.replace(/\r?\n/g, ' ')).join('\t')}\n`);
    if (r % 10_000 === 0) ctx.check();
  }
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * JSON or JSON Lines: one `key: value` line per string or number leaf, the key being the leaf's own (or
 * its array's), so `"ssn": "123-45-6789"` keeps its context word; numbers keep their digits as written
 * (JSON.parse would round a 19-digit card). Returns false when the text is not JSON.
 */
export function extractJson(text: string, ctx: ExtractContext): boolean {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Validate first, so the scanner below may assume well-formed input.
  try {
    JSON.parse(body);
  } catch {
    try {
      for (const line of body.split('\n')) if (line.trim() !== '') JSON.parse(line);
    } catch {
      return false;
    }
  }
  ctx.check();
  const out = ctx.sink;
  const stack: Array<{ arr: boolean; key: string | undefined }> = [];
  let key: string | undefined;
  let expectKey = false;
  const valueKey = () => {
    const top = stack[stack.length - 1];
    return top === undefined ? undefined : top.arr ? top.key : key;
  };
  const emit = (v: string) => {
    const k = valueKey();
    out.push(`${k === undefined ? '' : `${k}: `}${v.replace(/\r?\n/g, ' ')}\n`);
  };
  let i = 0;
  let n = 0;
  while (i < body.length && !out.full) {
    const c = body[i]!;
    if (++n % 65_536 === 0) ctx.check();
    if (c === '{' || c === '[') {
      stack.push({ arr: c === '[', key: valueKey() });
      expectKey = c === '{';
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1]?.arr === false;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      const s = JSON.parse(body.slice(i, j + 1)) as string;
      i = j + 1;
      if (expectKey) {
        key = s;
        expectKey = false;
      } else emit(s);
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(body);
      const raw = m ? m[0] : c;
      emit(raw);
      i += raw.length;
    } else i++; // whitespace, ':', and the letters of true, false, null
  }
  return true;
}

/** Elements that start and end a line of rendered text. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'option', 'p', 'pre', 'section', 'table', 'title', 'tr', 'ul',
]);
/** Elements whose content is not shown text. */
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head']);

/** HTML: visible text, entities decoded, a line per block element, a tab between table cells, script and style left out. */
export function extractHtml(text: string, ctx: ExtractContext): void {
  const out = ctx.sink;
  let hidden = 0;
  let inTitle = false;
  let pre = 0;
  let pendingSpace = false;
  let n = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        // The <title> sits in <head> yet is shown by the browser, so kept.
        if (name === 'title') inTitle = true;
        if (HIDDEN.has(name)) hidden++;
        if (name === 'pre') pre++;
        if (BLOCK.has(name)) {
          out.newline();
          pendingSpace = false;
        }
      },
      onclosetag(name) {
        if (HIDDEN.has(name)) hidden = Math.max(0, hidden - 1);
        if (name === 'title') inTitle = false;
        if (name === 'pre') pre = Math.max(0, pre - 1);
        if (BLOCK.has(name)) {
          out.newline();
          pendingSpace = false;
        } else if (name === 'td' || name === 'th') {
          out.push('\t');
          pendingSpace = false;
        }
      },
      ontext(data) {
        if (++n % 4096 === 0) ctx.check();
        if ((hidden > 0 && !inTitle) || out.full) return;
        if (pre > 0) {
          out.push(data);
          return;
        }
        const collapsed = data.replace(/[ \t\r\n\f\u00a0]+/g, ' ');
        if (collapsed === ' ') {
          pendingSpace = true;
          return;
        }
        const lead = collapsed.startsWith(' ');
        const trimmed = collapsed.trim();
        const last = out.last;
        if ((lead || pendingSpace) && last !== '' && last !== '\n' && last !== '\t' && last !== ' ') out.push(' ');
        out.push(trimmed);
        pendingSpace = collapsed.endsWith(' ');
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  const STEP = 1 << 20;
  for (let i = 0; i < text.length && !out.full; i += STEP) {
    parser.write(text.slice(i, i + STEP));
    ctx.check();
  }
  parser.end();
}
