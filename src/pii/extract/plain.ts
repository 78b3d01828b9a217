/** Text from text formats: plain text and Markdown as they are, CSV a line per row, JSON a `key: value` line per leaf, HTML its visible text. */
import { parse as parseCsv } from 'csv-parse/sync';
import { Parser } from 'htmlparser2';
import { SaaswatchError } from '../../core/errors.js';
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
  const out = ctx.sink;
  const max = ctx.limits.max_rows;
  let rows = 0;
  try {
    parseCsv(text, {
      delimiter: guessDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      to: max + 1,
      // Rows are written as they are parsed, none kept; the deadline is checked as they come.
      on_record: (record: string[]) => {
        if (++rows > max) ctx.skipped = true;
        else if (!out.full) out.push(`${record.map((c) => c.replace(/\r?\n/g, ' ')).join('\t')}\n`);
        if (rows % 10_000 === 0) ctx.check();
        return null;
      },
    });
  } catch (err) {
    if (err instanceof SaaswatchError) throw err;
    // Not CSV after all (or broken past repair): what was read stays, the rest is read as plain text.
    if (rows === 0) extractPlain(text, ctx);
  }
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Largest JSON text validated with JSON.parse (whose memory grows about tenfold with the text). */
export const JSON_VALIDATE_MAX_CHARS = 4 * 1024 * 1024;

/**
 * JSON or JSON Lines: one `key: value` line per string or number leaf, the key being the leaf's own (or
 * its array's), so `"ssn": "123-45-6789"` keeps its context word; numbers keep their digits as written
 * (JSON.parse would round a 19-digit card). Returns false when the text is not JSON.
 */
export function extractJson(text: string, ctx: ExtractContext): boolean {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Validate first, so the scanner below may assume well-formed input. JSON.parse builds the whole object
  // graph (about 10 times the text: 480 MB for a 48 MB file) and cannot be interrupted, so a large text
  // is not validated: the scanner below reads malformed input without failing, only less precisely.
  if (body.length <= JSON_VALIDATE_MAX_CHARS) {
    try {
      JSON.parse(body);
    } catch {
      try {
        for (const line of body.split('\n')) if (line.trim() !== '') JSON.parse(line);
      } catch {
        return false;
      }
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
  const len = body.length;
  while (i < len && !out.full) {
    const c = body.charCodeAt(i);
    if (++n % 65_536 === 0) ctx.check();
    if (c === 0x7b || c === 0x5b) {
      // { or [
      stack.push({ arr: c === 0x5b, key: valueKey() });
      expectKey = c === 0x7b;
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === 0x2c) {
      expectKey = stack[stack.length - 1]?.arr === false;
      i++;
    } else if (c === 0x22) {
      // The closing quote: the next one not escaped (an odd run of backslashes before it escapes it).
      let j = body.indexOf('"', i + 1);
      for (;;) {
        if (j < 0) return true; // unreachable for validated JSON; never loop on what validation let through
        let k = j - 1;
        while (body.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = body.indexOf('"', j + 1);
      }
      const raw = body.slice(i + 1, j);
      const s = raw.includes('\\') ? (JSON.parse(body.slice(i, j + 1)) as string) : raw;
      i = j + 1;
      if (expectKey) {
        key = s;
        expectKey = false;
      } else emit(s);
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(body);
      const raw = m ? m[0] : body[i]!;
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
