import { C_DIGIT, C_NON_ASCII, C_UNDERSCORE, C_WORD, charClass, isWordChar } from './scan.js';

/** Context words near a span (Presidio's context enhancer, without lemmas): which of a recognizer's words occur within N words of it. */

/** Compiled context words of one recognizer for the configured languages. */
export interface ContextMatcher {
  /** Single words, lower case. */
  words: ReadonlySet<string>;
  /** Words of 5+ letters also matched inside a longer word (German and Dutch compounds: `kreditkartennummer`). */
  stems: readonly string[];
  /** Multi-word phrases, lower case, single-spaced (`date of birth`). */
  phrases: readonly string[];
  empty: boolean;
  /** A cheap test over char codes that rules out a match before any word is sliced (see mayMatch). */
  quick: QuickTest;
}

/**
 * What a window's ASCII words must show for the matcher to possibly find something: a hash of a whole word (or
 * of it less a plural `s`), a stem's first two letters anywhere in a long word, or a phrase's second word's first
 * letters at a word's start (a phrase found in the joined words has its second word starting some word).
 * Hash collisions only send a window to the exact search; a word with a non-ASCII letter always goes there.
 */
interface QuickTest {
  hashes: ReadonlySet<number>;
  /** HASH_FILTER bits of the hashes: one byte read rules out most words before a Set lookup. */
  hashFilter: Uint8Array;
  /** Per (length < MAX_LEN_FIRST, lower-case first letter): whether a word has them; longWords: whether one is longer. */
  lenFirst: Uint8Array;
  longWords: boolean;
  /** Flags by the keys of phrasesByFirst and phrasesByPair, read before the maps. */
  phraseFirst: Uint8Array;
  phrasePair: Uint8Array;
  /** ASCII stems by their first two letters (`(a << 7) | b`). */
  stemsByPair: ReadonlyMap<number, readonly string[]>;
  stemPairs: Uint8Array;
  /** ASCII phrases by their second word's first letter (one-letter second word) or first two letters: [first word, second word]. */
  phrasesByFirst: ReadonlyMap<number, readonly (readonly [string, string])[]>;
  phrasesByPair: ReadonlyMap<number, readonly (readonly [string, string])[]>;
}

const HASH_FILTER = 4095;
const MAX_LEN_FIRST = 64;

const hashOf = (w: string): number => {
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (Math.imul(h, 31) + w.charCodeAt(i)) | 0;
  return h;
};

const isAsciiWordText = (w: string): boolean => {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c >= 128 || !isWordChar(c)) return false;
  }
  return true;
};

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function quickTest(words: ReadonlySet<string>, stems: ReadonlySet<string>, phrases: ReadonlySet<string>): QuickTest {
  const stemsByPair = new Map<number, string[]>();
  const stemPairs = new Uint8Array(128 * 128);
  const phrasesByFirst = new Map<number, (readonly [string, string])[]>();
  const phrasesByPair = new Map<number, (readonly [string, string])[]>();
  // A stem or phrase with a non-ASCII letter can only match a word holding one, which takes the exact path
  // anyway; a phrase with any other non-word character (`f. nac`) never matches words joined by spaces.
  for (const st of stems) {
    if (!isAsciiWordText(st)) continue;
    const k = (st.charCodeAt(0) << 7) | st.charCodeAt(1);
    stemPairs[k] = 1;
    push(stemsByPair, k, st);
  }
  for (const p of phrases) {
    const parts = p.split(' ');
    if (!parts.every(isAsciiWordText)) continue;
    const first = parts[0]!;
    const second = parts[1]!;
    if (second.length === 1) push(phrasesByFirst, second.charCodeAt(0), [first, second] as const);
    else push(phrasesByPair, (second.charCodeAt(0) << 7) | second.charCodeAt(1), [first, second] as const);
  }
  const hashes = new Set([...words].map(hashOf));
  const hashFilter = new Uint8Array(HASH_FILTER + 1);
  for (const h of hashes) hashFilter[h & HASH_FILTER] = 1;
  const phraseFirst = new Uint8Array(128);
  for (const k of phrasesByFirst.keys()) phraseFirst[k] = 1;
  const phrasePair = new Uint8Array(128 * 128);
  for (const k of phrasesByPair.keys()) phrasePair[k] = 1;
  const lenFirst = new Uint8Array(MAX_LEN_FIRST * 128);
  let longWords = false;
  for (const w of words) {
    const c0 = w.charCodeAt(0);
    // A non-ASCII first letter is never compared here: such a word only matches one that takes the exact search.
    if (w.length >= MAX_LEN_FIRST) longWords = true;
    else if (c0 < 128) lenFirst[w.length * 128 + c0] = 1;
  }
  return { hashes, hashFilter, lenFirst, longWords, phraseFirst, phrasePair, stemsByPair, stemPairs, phrasesByFirst, phrasesByPair };
}

const lowerAscii = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

/** Whether text[at, at + w.length) is `w` (lower case ASCII) ignoring ASCII case. */
function equalsAt(text: string, at: number, w: string): boolean {
  if (at < 0 || at + w.length > text.length) return false;
  for (let i = 0; i < w.length; i++) if (lowerAscii(text.charCodeAt(at + i)) !== w.charCodeAt(i)) return false;
  return true;
}

/**
 * Whether the word before `s` ends with `w`: past non-word characters, or, for a part of a key (`inKey`), past the
 * `_` that joins it to the part before (`ip_address` holds the phrase `ip address`).
 */
function previousWordEndsWith(text: string, s: number, w: string, inKey: boolean): boolean {
  let pe = s;
  if (inKey) while (pe > 0 && text.charCodeAt(pe - 1) === 95) pe--;
  else while (pe > 0 && !isWordChar(text.charCodeAt(pe - 1))) pe--;
  if (pe === s) return false;
  for (let i = pe - w.length; i < pe; i++) if (i < 0 || !isWordChar(text.charCodeAt(i))) return false;
  return equalsAt(text, pe - w.length, w);
}

/** Whether a phrase of `list` has its second word starting the word or key part [s, e) and its first word ending the one before. */
function phraseInList(text: string, s: number, e: number, list: readonly (readonly [string, string])[] | undefined, inKey: boolean): boolean {
  if (!list) return false;
  for (const [first, second] of list) if (second.length <= e - s && equalsAt(text, s, second) && previousWordEndsWith(text, s, first, inKey)) return true;
  return false;
}

/** Whether a phrase's second word may start the word or key part [s, e) of ASCII characters: looked up by its first letter or two. */
function phraseMayStart(text: string, s: number, e: number, q: QuickTest, inKey: boolean): boolean {
  // Every code unit is ASCII here, so c0 and the pair index the flag tables.
  const c0 = lowerAscii(text.charCodeAt(s));
  if (q.phraseFirst[c0] && phraseInList(text, s, e, q.phrasesByFirst.get(c0), inKey)) return true;
  if (e - s < 2) return false;
  const pair = (c0 << 7) | lowerAscii(text.charCodeAt(s + 1));
  return q.phrasePair[pair] === 1 && phraseInList(text, s, e, q.phrasesByPair.get(pair), inKey);
}

/** The context words of `byLanguage` for `languages` (a language missing from the map adds nothing). */
export function compileContext(byLanguage: Readonly<Record<string, readonly string[]>> | undefined, languages: readonly string[], extra: readonly string[] = []): ContextMatcher {
  const words = new Set<string>();
  const stems = new Set<string>();
  const phrases = new Set<string>();
  const all = [...languages.flatMap((l) => byLanguage?.[l] ?? []), ...extra];
  for (const raw of all) {
    const w = raw.toLowerCase().trim().replace(/\s+/g, ' ');
    if (!w) continue;
    if (w.includes(' ')) phrases.add(w);
    else {
      words.add(w);
      if (w.length >= 5) stems.add(w);
    }
  }
  return { words, stems: [...stems], phrases: [...phrases], empty: words.size === 0 && phrases.size === 0, quick: quickTest(words, stems, phrases) };
}

/**
 * Last parts of a key that make it an attribute of the thing its other parts name, not a label of that thing:
 * `call_id`, `wire_id`, `tin_number`, `cell_count`, `sheet_name`. Such a key lends no context word from its parts
 * (a phrase it spells, `phone_number` for `phone number`, still counts).
 */
const ATTRIBUTE_PARTS: ReadonlySet<string> = new Set(['id', 'ids', 'uuid', 'guid', 'key', 'count', 'cnt', 'num', 'number', 'no', 'nr', 'name', 'names', 'type', 'size', 'len', 'length', 'idx', 'index', 'ms', 'ns', 'us']);

/** At most this many characters either side are read: N words of normal prose fit in it, a huge token cannot make the lookup slow. */
const MAX_CHARS_PER_WORD = 24;

/** The last `count` words (letters and digits) ending before `to`, nearest last; reads at most `limit` characters. */
function wordsBefore(text: string, to: number, count: number, limit: number): string[] {
  const out: string[] = [];
  const stop = Math.max(0, to - limit);
  let i = to;
  while (out.length < count && i > stop) {
    while (i > stop && !isWordChar(text.charCodeAt(i - 1))) i--;
    const e = i;
    while (i > stop && isWordChar(text.charCodeAt(i - 1))) i--;
    if (e > i) out.unshift(text.slice(i, e).toLowerCase());
  }
  return out;
}

/** The first `count` words starting at `from`; reads at most `limit` characters. */
function wordsAfter(text: string, from: number, count: number, limit: number): string[] {
  const out: string[] = [];
  const stop = Math.min(text.length, from + limit);
  let i = from;
  while (out.length < count && i < stop) {
    while (i < stop && !isWordChar(text.charCodeAt(i))) i++;
    const s = i;
    while (i < stop && isWordChar(text.charCodeAt(i))) i++;
    if (i > s) out.push(text.slice(s, i).toLowerCase());
  }
  return out;
}

/**
 * The context words of `m` found within `window` words before `start` or half as many after `end`, in the order
 * met, each once. Cost is bounded by the window, not by the text.
 */
export function findContext(text: string, start: number, end: number, m: ContextMatcher, window: number): string[] {
  if (m.empty || window <= 0) return [];
  const span = window * MAX_CHARS_PER_WORD;
  // Most findings have no context word near them: rule that out on char codes before slicing any word.
  if (!mayMatchBefore(text, start, window, span, m.quick) && !mayMatchAfter(text, end, Math.floor(window / 2), Math.ceil(span / 2), m.quick)) return [];
  return searchContext(text, start, end, m, window);
}

/** findContext without the quick test: every word of the window sliced and compared (exported for the test that holds the two equal). */
export function searchContext(text: string, start: number, end: number, m: ContextMatcher, window: number): string[] {
  if (m.empty || window <= 0) return [];
  const span = window * MAX_CHARS_PER_WORD;
  const before = wordsBefore(text, start, window, span);
  // Context mostly precedes a value ("SSN: …"); after it only a short label fits ("… (SSN)"), and a
  // longer reach would lend the next line's label to this value.
  const after = wordsAfter(text, end, Math.floor(window / 2), Math.ceil(span / 2));
  const found: string[] = [];
  for (let i = 0; i < before.length + after.length; i++) {
    const t = i < before.length ? before[i]! : after[i - before.length]!;
    const w = matchWord(t, m);
    if (w !== undefined && !found.includes(w)) found.push(w);
    // A key's last part names what its value is (`client_ip`, `src_ip`); earlier parts only qualify it, and a key
    // ending in an id, count or name (`call_id`, `cell_count`, `sheet_name`) holds an identifier of that thing.
    const u = t.lastIndexOf('_');
    if (u >= 0 && u < t.length - 1) {
      const last = t.slice(u + 1);
      const pw = ATTRIBUTE_PARTS.has(last) ? undefined : matchWord(last, m);
      if (pw !== undefined && !found.includes(pw)) found.push(pw);
    }
  }
  if (m.phrases.length) {
    // `ip_address` and `date_of_birth` hold their phrases.
    const b = before.join(' ').replace(/_+/g, ' ');
    const a = after.join(' ').replace(/_+/g, ' ');
    for (const p of m.phrases) if ((b.includes(p) || a.includes(p)) && !found.includes(p)) found.push(p);
  }
  return found;
}

/**
 * Whether the word [s, e) could be, or hold, something `q` stands for (false means searchContext finds nothing in it
 * and no phrase has its second word here); true for any word with a non-ASCII character. `flags` is the OR of its
 * characters' charClass, gathered by the walk that found the word, so its characters are not read again to learn them.
 * A key with `_` is read as the exact search reads it: the whole word, a phrase starting any part, and its last part.
 */
function mayMatchWord(text: string, s: number, e: number, q: QuickTest, flags: number): boolean {
  if (flags & C_NON_ASCII) return true;
  if (mayMatchToken(text, s, e, q, (flags & C_DIGIT) !== 0, true)) return true;
  if (!(flags & C_UNDERSCORE)) return false;
  let last = -1;
  for (let k = s + 1; k < e; k++) {
    if (text.charCodeAt(k) === 95 || text.charCodeAt(k - 1) !== 95) continue;
    last = k;
    if (phraseMayStart(text, k, e, q, true)) return true;
  }
  if (last < 0 || text.charCodeAt(e - 1) === 95) return false;
  let digit = false;
  for (let k = last; k < e && !digit; k++) digit = (charClass(text.charCodeAt(k)) & C_DIGIT) !== 0;
  return mayMatchToken(text, last, e, q, digit, false);
}

/** The quick test of one word or key part [s, e) of ASCII characters; `phrases`: whether to try a phrase's second word here. */
function mayMatchToken(text: string, s: number, e: number, q: QuickTest, digit: boolean, phrases: boolean): boolean {
  const len = e - s;
  if (phrases && phraseMayStart(text, s, e, q, false)) return true;
  // Every code unit is ASCII here, so c0 indexes the flag tables.
  const c0 = lowerAscii(text.charCodeAt(s));
  // A word can equal a context word only if one has its length and first letter; stems and plurals need 6-39 letters.
  const exact = len < MAX_LEN_FIRST ? q.lenFirst[len * 128 + c0] === 1 : q.longWords;
  const inner = len > 5 && len < 40 && !digit;
  if (!exact && !inner) return false;
  let h = 0;
  let prefix = 0;
  let stemAt = -1;
  let prev = 0;
  for (let k = s; k < e; k++) {
    const c = lowerAscii(text.charCodeAt(k));
    if (stemAt < 0 && k > s && q.stemPairs[(prev << 7) | c]) stemAt = k - 1;
    prefix = h;
    h = (Math.imul(h, 31) + c) | 0;
    prev = c;
  }
  if (exact && q.hashFilter[h & HASH_FILTER] && q.hashes.has(h)) return true;
  if (!inner) return false;
  if (prev === 115 && q.hashFilter[prefix & HASH_FILTER] && q.hashes.has(prefix)) return true;
  // A stem anywhere in the word: each place its first two letters occur, compared in full.
  for (let k = stemAt; k >= 0 && k < e - 1; k++) {
    const pair = (lowerAscii(text.charCodeAt(k)) << 7) | lowerAscii(text.charCodeAt(k + 1));
    if (!q.stemPairs[pair]) continue;
    for (const st of q.stemsByPair.get(pair)!) if (k + st.length <= e && equalsAt(text, k, st)) return true;
  }
  return false;
}

/** mayMatchWord over the words wordsBefore would read, cut where it cuts them. */
function mayMatchBefore(text: string, to: number, count: number, limit: number, q: QuickTest): boolean {
  const stop = Math.max(0, to - limit);
  let i = to;
  let n = 0;
  while (n < count && i > stop) {
    while (i > stop && !isWordChar(text.charCodeAt(i - 1))) i--;
    const e = i;
    let flags = 0;
    for (let k: number; i > stop && (k = charClass(text.charCodeAt(i - 1))) & C_WORD; i--) flags |= k;
    if (e > i) {
      n++;
      if (mayMatchWord(text, i, e, q, flags)) return true;
    }
  }
  return false;
}

/** mayMatchWord over the words wordsAfter would read. */
function mayMatchAfter(text: string, from: number, count: number, limit: number, q: QuickTest): boolean {
  const stop = Math.min(text.length, from + limit);
  let i = from;
  let n = 0;
  while (n < count && i < stop) {
    while (i < stop && !isWordChar(text.charCodeAt(i))) i++;
    const s = i;
    let flags = 0;
    for (let k: number; i < stop && (k = charClass(text.charCodeAt(i))) & C_WORD; i++) flags |= k;
    if (i > s) {
      n++;
      if (mayMatchWord(text, s, i, q, flags)) return true;
    }
  }
  return false;
}

/** The context words of `m` among table header cells (each cell's lower-cased words), in the order met, each once. */
export function matchHeaderCells(cells: readonly (readonly string[])[], m: ContextMatcher): string[] {
  const found: string[] = [];
  if (m.empty) return found;
  for (const cell of cells) {
    for (const t of cell) {
      const w = matchWord(t, m);
      if (w !== undefined && !found.includes(w)) found.push(w);
    }
    if (m.phrases.length && cell.length > 1) {
      const joined = cell.join(' ');
      for (const p of m.phrases) if (joined.includes(p) && !found.includes(p)) found.push(p);
    }
  }
  return found;
}

/**
 * The context word `t` stands for: itself, its singular (`cards`, `IPs`: Presidio compares lemmas), or a word it
 * compounds (`kreditkartennummer`); words with digits (ids, hex) match only exactly.
 */
function matchWord(t: string, m: ContextMatcher): string | undefined {
  if (m.words.has(t)) return t;
  // A plural of a word of four letters or fewer counts only when the list holds it (`ips`, `cards`): short
  // context words are often everyday ones whose plurals count things (`2 calls`, `merged cells`, `wires`).
  if (t.length <= 5 || t.length >= 40 || /\d/.test(t)) return undefined;
  if (t.endsWith('s') && m.words.has(t.slice(0, -1))) return t.slice(0, -1);
  for (const s of m.stems) if (t.includes(s)) return s;
  return undefined;
}

/** Presidio's enhancement: a supported span gains 0.35 (at least 0.4 with context), capped at 1. */
export const CONTEXT_BOOST = 0.35;
export const MIN_SCORE_WITH_CONTEXT = 0.4;
export const boosted = (score: number): number => Math.min(1, Math.max(score + CONTEXT_BOOST, MIN_SCORE_WITH_CONTEXT));
