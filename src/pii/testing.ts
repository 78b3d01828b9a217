/** Test helpers for the analyzer: a recognizer's findings as (type, text, score) triples, with the shared scan open as the analyzer has it. */
import type { Recognizer } from './types.js';
import { withSharedScan } from './scan.js';
import { CONTEXT_LANGUAGES } from './config.js';

export interface Spot {
  type: string;
  value: string;
  score: number;
  pattern?: string;
}

/** What `r` finds in `text` (before context enhancement), in order. */
export function spots(r: Recognizer, text: string, languages: readonly string[] = CONTEXT_LANGUAGES): Spot[] {
  return withSharedScan(text, () => r.recognize(text, { languages }))
    .sort((a, b) => a.start - b.start)
    .map((f) => ({ type: f.type, value: text.slice(f.start, f.end), score: f.score, ...(f.explanation.pattern ? { pattern: f.explanation.pattern } : {}) }));
}

/** Just the matched values. */
export const values = (r: Recognizer, text: string): string[] => spots(r, text).map((s) => s.value);
