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

// Words are runs of letters (any script) and digits; the flag `u` makes \p{L} work.
const WORD = /[\p{L}\p{N}]+/gu;

function tokens(s: string): string[] {
  return s.toLowerCase().match(WORD) ?? [];
}

/**
 * The context words of `m` found within `window` words before `start` or half as many after `end`, in the order
 * met, each once. Cost is bounded by the window, not by the text.
 */
export function findContext(text: string, start: number, end: number, m: ContextMatcher, window: number): string[] {
  if (m.empty || window <= 0) return [];
  const span = window * MAX_CHARS_PER_WORD;
  const beforeText = text.slice(Math.max(0, start - span), start);
  const afterText = text.slice(end, Math.min(text.length, end + Math.ceil(span / 2)));
  const before = tokens(beforeText).slice(-window);
  // Context mostly precedes a value ("SSN: …"); after it only a short label fits ("… (SSN)"), and a
  // longer reach would lend the next line's label to this value.
  const after = tokens(afterText).slice(0, Math.floor(window / 2));
  const found: string[] = [];
  const add = (w: string) => {
    if (!found.includes(w)) found.push(w);
  };
  for (const t of [...before, ...after]) {
    if (m.words.has(t)) add(t);
    else if (t.length > 5 && t.endsWith('s') && m.words.has(t.slice(0, -1))) add(t.slice(0, -1));
    else if (t.length > 5) {
      for (const s of m.stems) if (t.includes(s)) {
        add(s);
        break;
      }
    }
  }
  if (m.phrases.length) {
    const b = before.join(' ');
    const a = after.join(' ');
    for (const p of m.phrases) if (b.includes(p) || a.includes(p)) add(p);
  }
  return found;
}

/** Presidio's enhancement: a supported span gains 0.35 (at least 0.4 with context), capped at 1. */
export const CONTEXT_BOOST = 0.35;
export const MIN_SCORE_WITH_CONTEXT = 0.4;
export const boosted = (score: number): number => Math.min(1, Math.max(score + CONTEXT_BOOST, MIN_SCORE_WITH_CONTEXT));
