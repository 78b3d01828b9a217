/** Recognizer for person and place names through the `compromise` NLP library: English-centric, slow, and scored low. */
import nlp from 'compromise';
import type { Recognizer, RecognizerResult } from '../types.js';

/** Limits on how much text the name recognizer reads: compromise parses ~15–30 kB/s, far below the patterns. */
export interface NameRecognizerOptions {
  /** Characters of one text looked at for names (default 200,000); the rest is skipped, names there go unreported. */
  maxChars?: number;
  /** Characters handed to compromise at once (default 4,000): its cost grows faster than linearly with a document. */
  batchChars?: number;
}

interface CompromiseTerm {
  text: string;
  offset?: { start: number; length: number };
  tags?: Set<string>;
}

// Column separators glued to a word ("Johnson,123-45-6789") make compromise read one term; a same-length
// newline keeps offsets and splits the cells.
const CELL_SEPARATOR = /[,;|\t](?! )/g;
/** A line worth parsing has a capitalised word; lines of numbers, hashes and lower-case code are skipped. */
const CAPITALISED = /\p{Lu}\p{Ll}/u;

function* batches(text: string, maxChars: number, batchChars: number): Generator<{ offset: number; chunk: string }> {
  const limit = Math.min(text.length, maxChars);
  let start = 0;
  while (start < limit) {
    let end = Math.min(limit, start + batchChars);
    if (end < limit) {
      // Cut at a line break so a name is not split; a single line longer than a batch is cut at a space.
      const nl = text.lastIndexOf('\n', end);
      const sp = text.lastIndexOf(' ', end);
      if (nl > start) end = nl + 1;
      else if (sp > start) end = sp + 1;
    }
    yield { offset: start, chunk: text.slice(start, end) };
    start = end;
  }
}

function spans(doc: { docs: CompromiseTerm[][] }, honorific: boolean): Array<{ start: number; end: number; terms: number }> {
  const out: Array<{ start: number; end: number; terms: number }> = [];
  for (const terms of doc.docs) {
    // "Dr. Sarah O'Connor" is reported as the name alone, as Presidio's spaCy model does.
    const kept = honorific ? terms.filter((t) => !t.tags?.has('Honorific')) : terms;
    const first = kept[0];
    const last = kept[kept.length - 1];
    if (!first?.offset || !last?.offset) continue;
    out.push({ start: first.offset.start, end: last.offset.start + last.offset.length, terms: kept.length });
  }
  return out;
}

/**
 * PERSON and LOCATION through compromise's English lexicon and tagger. Precision is modest (capitalised nouns,
 * headers, product names) and non-English names are found only when they look English, so scores are low:
 * a full name 0.6, a single word 0.4, a place 0.45 — context words ("Dear", "patient", "address") lift them.
 */
export function createNameRecognizer(opts: NameRecognizerOptions = {}): Recognizer {
  const maxChars = opts.maxChars ?? 200_000;
  const batchChars = opts.batchChars ?? 4_000;
  return {
    id: 'names',
    examples: ['Dear Dr. Sarah O\'Connor,\nI met John Smith in Manchester last week.'],
    entities: ['PERSON', 'LOCATION'],
    context: {
      en: ['name', 'dear', 'mr', 'mrs', 'ms', 'dr', 'patient', 'employee', 'contact', 'address', 'city', 'born', 'lives'],
      de: ['name', 'herr', 'frau', 'sehr geehrte', 'adresse', 'stadt', 'wohnort'],
      fr: ['nom', 'monsieur', 'madame', 'adresse', 'ville'],
      es: ['nombre', 'señor', 'señora', 'dirección', 'ciudad'],
      it: ['nome', 'signor', 'signora', 'indirizzo', 'città'],
      nl: ['naam', 'heer', 'mevrouw', 'adres', 'stad'],
      pt: ['nome', 'senhor', 'senhora', 'endereço', 'cidade'],
    },
    recognize(text) {
      const out: RecognizerResult[] = [];
      for (const { offset, chunk } of batches(text, maxChars, batchChars)) {
        if (!CAPITALISED.test(chunk)) continue;
        const doc = nlp(chunk.replace(CELL_SEPARATOR, '\n'));
        doc.compute('offset');
        for (const s of spans(doc.people() as unknown as { docs: CompromiseTerm[][] }, true)) {
          const score = s.terms >= 2 ? 0.6 : 0.4;
          out.push({ type: 'PERSON', start: offset + s.start, end: offset + s.end, score, explanation: { recognizer: 'names', pattern: s.terms >= 2 ? 'full-name' : 'single-name', validator: 'compromise', baseScore: score } });
        }
        for (const s of spans(doc.places() as unknown as { docs: CompromiseTerm[][] }, false)) {
          out.push({ type: 'LOCATION', start: offset + s.start, end: offset + s.end, score: 0.45, explanation: { recognizer: 'names', pattern: 'place', validator: 'compromise', baseScore: 0.45 } });
        }
      }
      return out;
    },
  };
}

/** The name recognizer with its default limits. */
export const nameRecognizer: Recognizer = createNameRecognizer();
