/** One linear pass over a text for the number-shaped runs most recognizers start from, shared by them within one analysis. */

/**
 * A run is a maximal sequence of digit groups joined by short separators (`4111 1111`, `123-45-6789`,
 * `+1 (415) 555-2671`, `192.168.0.1`); a lone group of fewer than SHORT_RUN digits is listed only when a word is glued to its left. Recognizers pick windows of consecutive groups from it and
 * validate them in code, so no recognizer needs its own regex over the whole text.
 * Stored as flat typed arrays: one analysis of a 30 MB text yields millions of groups, and an object
 * per group would cost more than the scan itself.
 */
export interface NumericRuns {
  /** Number of runs. */
  count: number;
  /** Per run: index of its first group and one past its last. */
  runFirst: Int32Array;
  runEnd: Int32Array;
  /** Per run: RUN_* flags. */
  runFlags: Uint8Array;
  /** Per group: span of its digits. */
  gStart: Int32Array;
  gEnd: Int32Array;
  /** Per group: char code of the one-character separator before it, SEP_MIXED for a longer one, 0 for a run's first group. */
  gSep: Int32Array;
  /** Number of long words: maximal runs of word characters (isWordChar) of LONG_WORD or more, in text order. */
  longCount: number;
  /** Per long word: its span. Tokens (keys, addresses) live in these, so their patterns need not read the rest. */
  longStart: Int32Array;
  longEnd: Int32Array;
}

/** A run of one group with fewer digits than this, not glued to a word on its left, is not listed (see scanNumericRuns). */
export const SHORT_RUN = 6;

/** The shortest word listed in NumericRuns' long words. */
export const LONG_WORD = 20;

/** A letter, digit or underscore sits right before the run: its first group is glued to a word. */
export const RUN_LEFT_WORD = 1;
/** A letter, digit or underscore sits right after the run. */
export const RUN_RIGHT_WORD = 2;
/** Exactly one letter sits right before the run, with no word character before it (`A12345678`). */
export const RUN_LEFT_ONE_LETTER = 4;

/** The separator before a group was a bracket or two or three characters, e.g. `) ` in `(415) 555`. */
export const SEP_MIXED = -1;

const SPACE = 32;
const DASH = 45;
const DOT = 46;
const SLASH = 47;
const LPAREN = 40;
const RPAREN = 41;

/** Character classes by UTF-16 code unit: one table lookup per character is what keeps the scan near memory speed. */
export const C_DIGIT = 1;
const C_UPPER = 2;
const C_LOWER = 4;
export const C_WORD = 8;
/** A word character that is not ASCII: context matching sends such words to its exact search. */
export const C_NON_ASCII = 16;
/** `_`, which joins the parts of a key (`client_ip`): context matching sends such words to its exact search too. */
export const C_UNDERSCORE = 32;
const CLASS = new Uint8Array(65536);
for (let c = 0; c < 65536; c++) {
  let k = 0;
  if (c >= 48 && c <= 57) k = C_DIGIT | C_WORD;
  else if (c >= 65 && c <= 90) k = C_UPPER | C_WORD;
  else if (c >= 97 && c <= 122) k = C_LOWER | C_WORD;
  else if (c === 95) k = C_WORD | C_UNDERSCORE;
  // Non-ASCII letters (Latin-1 and beyond, minus × and ÷, up to general punctuation) glue a token to a word too.
  else if (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c < 0x2000) k = C_WORD | C_NON_ASCII;
  CLASS[c] = k;
}

/** The C_* flags of a UTF-16 code unit: a walk over words reads a word's digits and non-ASCII letters with the same lookup that finds its end. */
export const charClass = (c: number): number => CLASS[c]!;

export const isDigit = (c: number): boolean => (CLASS[c]! & C_DIGIT) !== 0;
export const isUpper = (c: number): boolean => (CLASS[c]! & C_UPPER) !== 0;
export const isLower = (c: number): boolean => (CLASS[c]! & C_LOWER) !== 0;
/** An ASCII letter. */
export const isLetter = (c: number): boolean => (CLASS[c]! & (C_UPPER | C_LOWER)) !== 0;
/** ASCII letters and digits, `_`, and any non-ASCII letter-ish code unit: what glues a token to a word. */
export const isWordChar = (c: number): boolean => (CLASS[c]! & C_WORD) !== 0;
const isSingleSep = (c: number): boolean => c === SPACE || c === DASH || c === DOT || c === SLASH;
const isMixedSepChar = (c: number): boolean => c === SPACE || c === DASH || c === DOT || c === LPAREN || c === RPAREN;

function grow(a: Int32Array<ArrayBufferLike>, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/** A spare buffer for code units, lent to the next analysis; zeroed when one ends, so no text outlives it. */
let unitsBuffer: Buffer | undefined;
/** Past this many bytes a text's buffer is let go after its analysis rather than kept. */
const MAX_SPARE_BYTES = 1 << 24;
/** The current analysis's text and its code units, so every loop of one analysis shares one copy. */
let unitsOf: { text: string; units: Uint16Array } | undefined;

/** Copies `text`'s UTF-16 code units into `buf` (or a new buffer when it is too small). */
function copyUnits(text: string, buf: Buffer | undefined): { buf: Buffer; units: Uint16Array } {
  const bytes = text.length * 2;
  // allocUnsafeSlow: never a slice of Node's shared pool, so the buffer can be kept and zeroed whole.
  if (!buf || buf.length < bytes) buf = Buffer.allocUnsafeSlow(Math.max(bytes, 1024));
  buf.write(text, 0, 'utf16le');
  return { buf, units: new Uint16Array(buf.buffer, buf.byteOffset, text.length) };
}

/** Scans `text` once; O(n) with no allocation per character. `reuse` lends the arrays of an earlier scan that is no longer read. */
export function scanNumericRuns(text: string, reuse?: NumericRuns): NumericRuns {
  // The text's UTF-16 code units as a typed array: V8 reads one about three times as fast as `charCodeAt` in a
  // per-character loop (~950 vs ~310 MB/s on this project's CI machine), and the copy runs at memory speed.
  // Within an analysis the copy is shared (withSharedScan); outside one it is this scan's own, zeroed when it ends.
  const shared = unitsOf?.text === text ? unitsOf.units : undefined;
  const t = shared ?? copyUnits(text, undefined).units;
  let runFirst: Int32Array<ArrayBufferLike> = reuse?.runFirst ?? new Int32Array(1024);
  let runEnd: Int32Array<ArrayBufferLike> = reuse?.runEnd ?? new Int32Array(1024);
  let runFlags: Uint8Array<ArrayBufferLike> = reuse?.runFlags ?? new Uint8Array(1024);
  let gStart: Int32Array<ArrayBufferLike> = reuse?.gStart ?? new Int32Array(4096);
  let gEnd: Int32Array<ArrayBufferLike> = reuse?.gEnd ?? new Int32Array(4096);
  let gSep: Int32Array<ArrayBufferLike> = reuse?.gSep ?? new Int32Array(4096);
  let longStart: Int32Array<ArrayBufferLike> = reuse?.longStart ?? new Int32Array(256);
  let longEnd: Int32Array<ArrayBufferLike> = reuse?.longEnd ?? new Int32Array(256);
  let runCap = runFirst.length;
  let gCap = gStart.length;
  let longCap = longStart.length;
  let longs = 0;
  const addLong = (s: number, e: number) => {
    if (longs === longCap) {
      longCap *= 2;
      longStart = grow(longStart, longCap);
      longEnd = grow(longEnd, longCap);
    }
    longStart[longs] = s;
    longEnd[longs] = e;
    longs++;
  };
  let runs = 0;
  let groups = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = t[i]!;
    const k = CLASS[c]!;
    // The outer loop meets word characters only where a word starts: the word of the run's first group starts here.
    let wordStart = i;
    // Two letters not both capitals led into the run (`tw987654a`): only a NINO reads that, one group of six digits.
    let lowerLead = false;
    if (!(k & C_DIGIT)) {
      if (!(k & C_WORD)) {
        i++;
        continue;
      }
      // A word leads into a run only when one capital or two letters start it right before a digit (IBAN
      // `DE89…`, NINO `AB123456C` or `ab123456c`, passport `A12345678`); any other word (hex, UUIDs, prose) is skipped whole.
      const c1 = i + 1 < n ? t[i + 1]! : 0;
      if (isUpper(c) && isDigit(c1)) i += 1;
      // The third character first: in prose it is a letter, so most words leave after one lookup.
      else if (i + 2 < n && isDigit(t[i + 2]!) && k & (C_UPPER | C_LOWER) && CLASS[c1]! & (C_UPPER | C_LOWER)) {
        lowerLead = !(k & C_UPPER && CLASS[c1]! & C_UPPER);
        i += 2;
      } else {
        i++;
        while (i < n && CLASS[t[i]!]! & C_WORD) i++;
        if (i - wordStart >= LONG_WORD) addLong(wordStart, i);
        continue;
      }
    }
    if (runs === runCap) {
      runCap *= 2;
      runFirst = grow(runFirst, runCap);
      runEnd = grow(runEnd, runCap);
      const f = new Uint8Array(runCap);
      f.set(runFlags);
      runFlags = f;
    }
    let flags = 0;
    if (i > 0 && isWordChar(t[i - 1]!)) {
      flags |= RUN_LEFT_WORD;
      if ((i === 1 || !isWordChar(t[i - 2]!)) && (isUpper(t[i - 1]!) || isLower(t[i - 1]!))) flags |= RUN_LEFT_ONE_LETTER;
    }
    runFirst[runs] = groups;
    let sep = 0;
    for (;;) {
      if (groups === gCap) {
        gCap *= 2;
        gStart = grow(gStart, gCap);
        gEnd = grow(gEnd, gCap);
        gSep = grow(gSep, gCap);
      }
      gStart[groups] = i;
      gSep[groups] = sep;
      while (i < n && CLASS[t[i]!]! & C_DIGIT) i++;
      gEnd[groups] = i;
      groups++;
      // A word that ends with this group's digits (one glued on the right is listed below, once skipped).
      if (i - wordStart >= LONG_WORD && !(i < n && CLASS[t[i]!]! & C_WORD)) addLong(wordStart, i);
      // After lowercase letters the run is one group: the numbers that follow run on their own, as if the word had been skipped.
      if (lowerLead) break;
      // A separator joins the next group only when a digit follows it directly.
      if (i + 1 < n && isSingleSep(t[i]!) && isDigit(t[i + 1]!)) {
        sep = t[i]!;
        i += 1;
        wordStart = i;
        continue;
      }
      let k = i;
      while (k < n && k - i < 3 && isMixedSepChar(t[k]!)) k++;
      // Two or three of ` -.()`, or a lone bracket: `(415) 555`, `+44 (0)20`.
      if (k > i && k < n && isDigit(t[k]!) && (k - i >= 2 || t[i]! === LPAREN || t[i]! === RPAREN)) {
        sep = SEP_MIXED;
        i = k;
        wordStart = i;
        continue;
      }
      break;
    }
    runEnd[runs] = groups;
    if (i < n && isWordChar(t[i]!)) {
      flags |= RUN_RIGHT_WORD;
      // The rest of the word holds nothing a recognizer reads from runs.
      const glued = gEnd[groups - 1]!;
      while (i < n && isWordChar(t[i]!)) i++;
      if (i - wordStart >= LONG_WORD) addLong(wordStart, i);
      // One group glued to a word on the right (`3f2a`, `123456C`) is kept only when letters precede it
      // too, with two digits or more (an IBAN's check digits, a NINO, a passport), or when it has SHORT_RUN
      // digits or more and one ASCII letter ends the word (a NINO's `123456C` after `AB `).
      const len = glued - gStart[groups - 1]!;
      const oneLetter = i - glued === 1 && (CLASS[t[glued]!]! & (C_UPPER | C_LOWER)) !== 0;
      if (groups - runFirst[runs]! === 1 && (!(flags & RUN_LEFT_WORD) || len < 2) && !(len >= SHORT_RUN && oneLetter)) {
        groups = runFirst[runs]!;
        continue;
      }
    }
    // One short group with no capital glued on its left (`12`, `2024`, `status 200`, `md5`) starts nothing a recognizer
    // reads (each needs several groups, SHORT_RUN digits or more, or a capital before): not listed, so no
    // recognizer's loop over the runs visits the many numbers of logs and prose.
    if (groups - runFirst[runs]! === 1 && (!(flags & RUN_LEFT_WORD) || lowerLead) && gEnd[groups - 1]! - gStart[groups - 1]! < SHORT_RUN) {
      groups = runFirst[runs]!;
      continue;
    }
    runFlags[runs] = flags;
    runs++;
  }
  if (!shared) t.fill(0);
  return { count: runs, runFirst, runEnd, runFlags, gStart, gEnd, gSep, longCount: longs, longStart, longEnd };
}

let cached: { text: string; runs: NumericRuns } | undefined;

/**
 * The runs of `text`: computed once per analysis when the analyzer opened a shared scan
 * (`withSharedScan`), else afresh. Nothing is cached outside an analysis, so no text outlives it.
 */
export function numericRuns(text: string): NumericRuns {
  if (cached && cached.text === text) return cached.runs;
  return scanNumericRuns(text);
}

/**
 * The arrays of the last shared scan, lent to the next one: offsets only, never text. Growing fresh arrays for
 * each analysis cost more than the scan itself; past this many groups they are let go rather than kept.
 */
let spare: NumericRuns | undefined;
const MAX_SPARE_GROUPS = 1 << 20;

/** The runs of `text` when an analysis has computed them already, else undefined: for a recognizer that has a cheaper way than a scan of its own when called alone. */
export function sharedRuns(text: string): NumericRuns | undefined {
  return cached && cached.text === text ? cached.runs : undefined;
}

/**
 * The analysis under way on `text`, as an object that lives exactly as long as it: the key for what
 * recognizers derive from its runs (the runs themselves are reused by the next analysis), so nothing
 * read from one text outlives its analysis.
 */
export function sharedAnalysis(text: string): object | undefined {
  return cached && cached.text === text ? cached : undefined;
}

/** Runs `fn` with the runs of `text` computed once for every recognizer it calls; forgets them after. */
export function withSharedScan<T>(text: string, fn: () => T): T {
  const outer = cached;
  const outerUnits = unitsOf;
  const lent = spare;
  spare = undefined;
  // Lent to this analysis alone: a nested one (a recognizer analysing a slice) gets a buffer of its own.
  const { buf, units } = copyUnits(text, unitsBuffer);
  unitsBuffer = undefined;
  let runs: NumericRuns | undefined;
  try {
    unitsOf = { text, units };
    runs = scanNumericRuns(text, lent);
    cached = { text, runs };
    return fn();
  } finally {
    cached = outer;
    unitsOf = outerUnits;
    if (runs && runs.gStart.length <= MAX_SPARE_GROUPS) spare = runs;
    buf.fill(0, 0, text.length * 2);
    if (buf.length <= MAX_SPARE_BYTES) unitsBuffer = buf;
  }
}

/** The digits of groups [first, last] of a run, as a string (validators need them; only short windows are built). */
export function windowDigits(text: string, r: NumericRuns, first: number, last: number): string {
  let s = '';
  for (let g = first; g <= last; g++) s += text.slice(r.gStart[g], r.gEnd[g]);
  return s;
}

/** Total digit count of groups [first, last]. */
export function windowLength(r: NumericRuns, first: number, last: number): number {
  let len = 0;
  for (let g = first; g <= last; g++) len += r.gEnd[g]! - r.gStart[g]!;
  return len;
}

/** Whether groups (first, last] all follow the same single-character separator, and which (0 for one group). */
export function uniformSep(r: NumericRuns, first: number, last: number): number {
  if (first === last) return 0;
  const s = r.gSep[first + 1]!;
  if (s === SEP_MIXED) return SEP_MIXED;
  for (let g = first + 2; g <= last; g++) if (r.gSep[g] !== s) return SEP_MIXED;
  return s;
}

/**
 * Whether a window of groups [first, last] of run `run` stands alone: not glued to a word, and not
 * one piece of a longer `-`/`.`/`/`-joined identifier (`123-45-6789-01` holds no SSN). A space-joined
 * neighbour is allowed: prose puts numbers side by side.
 */
export function windowStandsAlone(r: NumericRuns, run: number, first: number, last: number): boolean {
  const flags = r.runFlags[run]!;
  if (first === r.runFirst[run] && flags & RUN_LEFT_WORD) return false;
  if (last === r.runEnd[run]! - 1 && flags & RUN_RIGHT_WORD) return false;
  if (first > r.runFirst[run]!) {
    const s = r.gSep[first]!;
    if (s !== SPACE) return false;
  }
  if (last < r.runEnd[run]! - 1) {
    const s = r.gSep[last + 1]!;
    if (s !== SPACE) return false;
  }
  return true;
}

/**
 * Whether `start` continues an IBAN-shaped token: single-space-separated groups of capitals and digits
 * going back to a `CC00` head (`ES45 3701 …`). Its digits belong to the account number, valid or not,
 * never to a card or phone number. Reads at most eight groups back.
 */
export function followsIbanHead(text: string, start: number): boolean {
  let i = start;
  for (let k = 0; k < 8 && i > 1 && text.charCodeAt(i - 1) === 32; k++) {
    const e = i - 1;
    let j = e;
    while (j > 0 && e - j < 6 && (isDigit(text.charCodeAt(j - 1)) || isUpper(text.charCodeAt(j - 1)))) j--;
    if (j === e || (j > 0 && isWordChar(text.charCodeAt(j - 1)))) return false;
    if (e - j === 4 && isUpper(text.charCodeAt(j)) && isUpper(text.charCodeAt(j + 1)) && isDigit(text.charCodeAt(j + 2)) && isDigit(text.charCodeAt(j + 3))) return true;
    i = j;
  }
  return false;
}
