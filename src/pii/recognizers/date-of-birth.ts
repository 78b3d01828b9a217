/** Dates of birth: a date right after a birth keyword in one of seven languages; other dates (log timestamps, invoices) are not personal data and are not reported. */
import { lineCells, lineSeparator } from '../table.js';
import type { Recognizer, RecognizerResult } from '../types.js';

/** Birth keywords per language; the recognizer searches for these, so a date needs one before it. */
export const DOB_WORDS: Readonly<Record<string, readonly string[]>> = {
  en: ['date of birth', 'birth date', 'birthdate', 'birthday', 'dob', 'd.o.b', 'born', 'born on'],
  de: ['geburtsdatum', 'geburtstag', 'geboren', 'geboren am', 'geb.'],
  fr: ['date de naissance', 'né le', 'née le', 'né', 'née'],
  es: ['fecha de nacimiento', 'nacido', 'nacida', 'nacido el', 'f. nac'],
  it: ['data di nascita', 'nato il', 'nata il', 'nato', 'nata'],
  nl: ['geboortedatum', 'geboren op', 'geb.'],
  pt: ['data de nascimento', 'nascido em', 'nascida em', 'nascido', 'nascida'],
};

/**
 * The keywords that label a date of birth (a form field, a column): only after one of these is a month and year
 * alone (`DOB: 05/1985`) taken. After a verb (`born`, `nato`, `né`) a month and year is prose about anything:
 * `our startup was born March 2020`, `NATO (March 2024)`; a full date after it still counts.
 */
const DOB_LABELS: ReadonlySet<string> = new Set([
  'date of birth', 'birth date', 'birthdate', 'dob', 'd.o.b', 'geburtsdatum', 'date de naissance', 'fecha de nacimiento',
  'f. nac', 'data di nascita', 'geboortedatum', 'data de nascimento',
]);
const isLabel = (keyword: string): boolean => DOB_LABELS.has(keyword.toLowerCase().replace(/_/g, ' '));

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One alternation per language set, longest first so `born on` wins over `born`. Literal words only: linear. */
function keywordRegex(languages: readonly string[]): RegExp {
  const words = [...new Set(languages.flatMap((l) => DOB_WORDS[l] ?? []))].sort((a, b) => b.length - a.length);
  // `date_of_birth`, a column or key name, is the phrase too.
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map((w) => escape(w).replace(/ /g, '[ _]')).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
}

const MONTHS = new Map<string, number>();
[
  'january february march april may june july august september october november december',
  'januar februar märz april mai juni juli august september oktober november dezember',
  'janvier février mars avril mai juin juillet août septembre octobre novembre décembre',
  'enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre',
  'gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre',
  'januari februari maart april mei juni juli augustus september oktober november december',
  'janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro',
].forEach((line) =>
  line.split(' ').forEach((m, i) => {
    MONTHS.set(m, i + 1);
    if (m.length > 3) MONTHS.set(m.slice(0, 3), i + 1);
  }),
);

const NUMERIC = /(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)|(\d{1,2})([-/.])(\d{1,2})\6(\d{4}|\d{2})(?!\d)/y;
const DAY_MONTH_YEAR = /(\d{1,2})(?:st|nd|rd|th|er|º)?\.?\s{1,3}(?:de\s{1,3})?(\p{L}{3,10})\.?,?\s{1,3}(?:de\s{1,3})?(\d{4})(?!\d)/uy;
/** `05-May-1985`, `5/MAY/85` (Oracle's DD-MON-YY, forms and EHR exports): one separator, used twice. */
const DAY_MONTH_YEAR_JOINED = /(\d{1,2})([-/])(\p{L}{3,10})\.?\2(\d{4}|\d{2})(?!\d)/uy;
/**
 * A time after a numeric date (`1985-03-12T00:00:00Z`, `1985-03-12 08:30`): database and JSON exports store a birth
 * date as a timestamp, and the span is the cell's whole value. The groups are fixed-width: linear.
 */
const TIME_TAIL = /[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?(?![\d:])/y;
/** A month and a four-digit year (`05/1985`, `May 1985`, `MAY-1985`): a partial date of birth, still personal data (HIPAA keeps only the year). */
const MONTH_YEAR = /(\d{1,2})[-/.](\d{4})(?!\d)|(\p{L}{3,10})\.?(?:[-/]|\s{1,3})(\d{4})(?!\d)/uy;
const MONTH_DAY_YEAR = /(\p{L}{3,10})\.?\s{1,3}(\d{1,2})(?:st|nd|rd|th)?,?\s{1,3}(\d{4})(?!\d)/uy;
/** What may sit between the keyword and the date: `:`, `=`, a dash, a bracketed format hint. */
const GAP = /[\s:=\-–,;|"'()]{0,6}(?:\([dmyjat./-]{6,12}\)[\s:]{0,3})?/iy;

const plausibleDate = (y: number, m: number, d: number) => y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31;

/** The end of a time right after a numeric date ending at `end`, or `end`. */
function withTime(text: string, end: number): number {
  TIME_TAIL.lastIndex = end;
  return TIME_TAIL.test(text) ? TIME_TAIL.lastIndex : end;
}

const yearOf = (y: string): number => (y.length === 2 ? 1900 + +y : +y);

/** The end of a date starting at `i`, or undefined. */
function dateAt(text: string, i: number, monthYear: boolean): { end: number; pattern: string } | undefined {
  NUMERIC.lastIndex = i;
  let m = NUMERIC.exec(text);
  if (m) {
    if (m[1]) return plausibleDate(+m[1], +m[3]!, +m[4]!) ? { end: withTime(text, i + m[0].length), pattern: 'iso' } : undefined;
    const a = +m[5]!;
    const b = +m[7]!;
    const y = yearOf(m[8]!);
    return plausibleDate(y, b, a) || plausibleDate(y, a, b) ? { end: withTime(text, i + m[0].length), pattern: 'numeric' } : undefined;
  }
  DAY_MONTH_YEAR.lastIndex = i;
  m = DAY_MONTH_YEAR.exec(text);
  if (m && MONTHS.has(m[2]!.toLowerCase()) && plausibleDate(+m[3]!, MONTHS.get(m[2]!.toLowerCase())!, +m[1]!)) return { end: i + m[0].length, pattern: 'day-month-year' };
  DAY_MONTH_YEAR_JOINED.lastIndex = i;
  m = DAY_MONTH_YEAR_JOINED.exec(text);
  if (m && MONTHS.has(m[3]!.toLowerCase()) && plausibleDate(yearOf(m[4]!), MONTHS.get(m[3]!.toLowerCase())!, +m[1]!)) return { end: i + m[0].length, pattern: 'day-month-year' };
  MONTH_DAY_YEAR.lastIndex = i;
  m = MONTH_DAY_YEAR.exec(text);
  if (m && MONTHS.has(m[1]!.toLowerCase()) && plausibleDate(+m[3]!, MONTHS.get(m[1]!.toLowerCase())!, +m[2]!)) return { end: i + m[0].length, pattern: 'month-day-year' };
  if (!monthYear) return undefined;
  MONTH_YEAR.lastIndex = i;
  m = MONTH_YEAR.exec(text);
  if (m && (m[1] ? plausibleDate(+m[2]!, +m[1], 1) : MONTHS.has(m[3]!.toLowerCase()) && plausibleDate(+m[4]!, 1, 1))) return { end: i + m[0].length, pattern: 'month-year' };
  return undefined;
}

const MAX_LABEL_CHARS = 48;

interface HeaderLine {
  ls: number;
  le: number;
  sep: number;
  head: number[];
}

/** The line around `ks` as a possible header (cells split once per line, however many keywords it holds). */
function headerLine(text: string, ks: number, last: HeaderLine | undefined): HeaderLine {
  if (last && ks >= last.ls && ks <= last.le) return last;
  const ls = text.lastIndexOf('\n', ks - 1) + 1;
  let le = text.indexOf('\n', ks);
  if (le === -1) le = text.length;
  let sep = lineSeparator(text, ls, le);
  // Only a block's first line is a header: a keyword in every row must not rescan the rows below each time.
  if (sep && ls > 0 && lineSeparator(text, text.lastIndexOf('\n', ls - 2) + 1, ls - 1) === sep) sep = 0;
  return { ls, le, sep, head: sep ? lineCells(text, ls, le, sep) : [] };
}

/**
 * When the keyword at [ks, ke) is a table's column header (a short cell of a tab, `|` or comma line), the
 * dates filling that column's cells in the rows below. A row with fewer cells than the header (sheet
 * extraction drops empty cells) is searched over the columns its cell may have shifted from.
 */
function columnDates(text: string, line: HeaderLine, ks: number, ke: number, keyword: string, out: RecognizerResult[]): void {
  const { le, sep, head } = line;
  if (!sep) return;
  let col = -1;
  for (let c = 0; c < head.length; c += 2) if (head[c]! <= ks && ke <= head[c + 1]! && head[c + 1]! - head[c]! <= MAX_LABEL_CHARS) col = c / 2;
  if (col < 0) return;
  const width = head.length / 2;
  for (let rs = le + 1; rs < text.length; ) {
    let re = text.indexOf('\n', rs);
    if (re === -1) re = text.length;
    if (lineSeparator(text, rs, re) !== sep) break;
    const cells = lineCells(text, rs, re, sep);
    const n = cells.length / 2;
    // The header's own column first, then the ones a shorter row may have shifted it into.
    for (let c = Math.min(col, n - 1); c >= Math.max(0, col - (width - n)); c--) {
      const cs = cells[2 * c]!;
      const date = cs < cells[2 * c + 1]! ? dateAt(text, cs, isLabel(keyword)) : undefined;
      if (date && date.end === cells[2 * c + 1]) {
        out.push({ type: 'DATE_TIME', start: cs, end: date.end, score: 0.85, explanation: { recognizer: 'date-of-birth', pattern: date.pattern, validator: 'column-header', context: [keyword], baseScore: 0.5 } });
        break;
      }
    }
    rs = re + 1;
  }
}

const cache = new Map<string, RegExp>();

export const dateOfBirthRecognizer: Recognizer = {
  id: 'date-of-birth',
  examples: ['Date of birth: 12/03/1985', 'Geburtsdatum: 12.03.1985'],
  entities: ['DATE_TIME'],
  context: DOB_WORDS,
  recognize(text, ctx) {
    const key = ctx.languages.join(',');
    let re = cache.get(key);
    if (!re) cache.set(key, (re = keywordRegex(ctx.languages)));
    const out: RecognizerResult[] = [];
    let line: HeaderLine | undefined;
    re.lastIndex = 0;
    for (let k = re.exec(text); k; k = re.exec(text)) {
      GAP.lastIndex = k.index + k[0].length;
      GAP.exec(text);
      const start = GAP.lastIndex;
      const date = dateAt(text, start, isLabel(k[0]));
      if (!date) {
        line = headerLine(text, k.index, line);
        columnDates(text, line, k.index, k.index + k[0].length, k[0].toLowerCase(), out);
        continue;
      }
      // The keyword is the context: the finding carries it, so the analyzer adds nothing more.
      out.push({ type: 'DATE_TIME', start, end: date.end, score: 0.85, explanation: { recognizer: 'date-of-birth', pattern: date.pattern, context: [k[0].toLowerCase()], baseScore: 0.5 } });
      re.lastIndex = date.end;
    }
    return out;
  },
};
