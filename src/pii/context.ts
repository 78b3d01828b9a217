import { isWordChar } from './scan.js';

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
  return { words, stems: [...stems], phrases: [...phrases], empty: words.size === 0 && phrases.size === 0 };
}

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
  const before = wordsBefore(text, start, window, span);
  // Context mostly precedes a value ("SSN: …"); after it only a short label fits ("… (SSN)"), and a
  // longer reach would lend the next line's label to this value.
  const after = wordsAfter(text, end, Math.floor(window / 2), Math.ceil(span / 2));
  const found: string[] = [];
  for (let i = 0; i < before.length + after.length; i++) {
    const t = i < before.length ? before[i]! : after[i - before.length]!;
    const w = matchWord(t, m);
    if (w !== undefined && !found.includes(w)) found.push(w);
  }
  if (m.phrases.length) {
    const b = before.join(' ');
    const a = after.join(' ');
    for (const p of m.phrases) if ((b.includes(p) || a.includes(p)) && !found.includes(p)) found.push(p);
  }
  return found;
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

/** The context word `t` stands for: itself, its singular (`cards`), or a word it compounds (`kreditkartennummer`); words with digits (ids, hex) match only exactly. */
function matchWord(t: string, m: ContextMatcher): string | undefined {
  if (m.words.has(t)) return t;
  if (t.length <= 5 || t.length >= 40 || /\d/.test(t)) return undefined;
  if (t.endsWith('s') && m.words.has(t.slice(0, -1))) return t.slice(0, -1);
  for (const s of m.stems) if (t.includes(s)) return s;
  return undefined;
}

/** Presidio's enhancement: a supported span gains 0.35 (at least 0.4 with context), capped at 1. */
export const CONTEXT_BOOST = 0.35;
export const MIN_SCORE_WITH_CONTEXT = 0.4;
export const boosted = (score: number): number => Math.min(1, Math.max(score + CONTEXT_BOOST, MIN_SCORE_WITH_CONTEXT));
