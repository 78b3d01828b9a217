/** The labelled corpus: documents rendered into txt/csv/json/md/html/docx/xlsx/pdf files, ground truth located in their extracted text, and precision/recall scoring of findings against it. */
import { errors } from '../../core/errors.js';
import { makeDocx, makePdf, makeXlsx } from '../extract/testing.js';
import type { EntityType, RecognizerResult } from '../types.js';
import { cryptoPayments, envConfig, hrExport, patientLetters, payments, supportEmail, type CorpusDoc, type Labelled, type Segment } from './documents.js';
import { Rng } from './values.js';

export { LABELLING_POLICY, type CorpusDoc, type Labelled } from './documents.js';

export type CorpusFormat = 'txt' | 'csv' | 'json' | 'md' | 'html' | 'docx' | 'xlsx' | 'pdf';

/** One file of the corpus: its bytes, and its labelled entities in document order. */
export interface CorpusFile {
  name: string;
  format: CorpusFormat;
  data: Uint8Array;
  entities: Labelled[];
}

/** A labelled entity located in a file's extracted text (UTF-16 offsets, as the analyzer's). */
export interface TruthSpan {
  type: EntityType;
  start: number;
  end: number;
}

export interface CorpusOptions {
  seed: number;
  /** Rows or items per document (default 40): HR rows, payments, crypto rows; a quarter as many tickets and letters. */
  size?: number;
  /** Formats to render (default all); binary formats need the extractor to be read back. */
  formats?: readonly CorpusFormat[];
}

/** Which formats each document is rendered to: tables as sheets and data files, prose as documents. */
const RENDERINGS: Record<string, readonly CorpusFormat[]> = {
  'hr-export': ['csv', 'xlsx', 'json', 'html'],
  payments: ['csv', 'xlsx', 'md'],
  service: ['txt', 'json', 'md'],
  'support-thread': ['txt', 'html', 'docx', 'pdf'],
  'clinic-letters': ['txt', 'docx', 'pdf', 'md'],
  'crypto-payments': ['csv', 'txt', 'json', 'html'],
};

const segText = (s: Segment): string => (typeof s === 'string' ? s : s.value);
const cellText = (c: readonly Segment[]): string => c.map(segText).join('');
const labels = (segs: readonly Segment[]): Labelled[] => segs.filter((s): s is Labelled => typeof s !== 'string');

function docEntities(doc: CorpusDoc): Labelled[] {
  return doc.kind === 'table' ? doc.rows.flatMap((r) => r.flatMap(labels)) : doc.paragraphs.flatMap(labels);
}

const htmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const csvCell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const mdCell = (s: string): string => s.replace(/\|/g, '\\|');
const enc = new TextEncoder();

function render(doc: CorpusDoc, format: CorpusFormat): Uint8Array {
  if (doc.kind === 'table') {
    const rows = doc.rows.map((r) => r.map(cellText));
    switch (format) {
      case 'csv':
        return enc.encode([doc.header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n');
      case 'xlsx':
        return makeXlsx([{ name: doc.title.slice(0, 31), rows: [doc.header, ...rows] }]);
      case 'json':
        return enc.encode(JSON.stringify(rows.map((r) => Object.fromEntries(doc.header.map((h, i) => [h, r[i]!]))), null, 2));
      case 'md':
        return enc.encode(`# ${doc.title}\n\n| ${doc.header.join(' | ')} |\n|${doc.header.map(() => '---').join('|')}|\n${rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`).join('\n')}\n`);
      case 'html':
        return enc.encode(`<!doctype html><html><head><meta charset="utf-8"><title>${htmlEscape(doc.title)}</title></head><body><h1>${htmlEscape(doc.title)}</h1><table>\n<tr>${doc.header.map((h) => `<th>${htmlEscape(h)}</th>`).join('')}</tr>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${htmlEscape(c)}</td>`).join('')}</tr>`).join('\n')}\n</table></body></html>\n`);
      case 'txt':
        return enc.encode(`${doc.title}\n\n${[doc.header, ...rows].map((r) => r.join('  ')).join('\n')}\n`);
      default:
        break;
    }
  } else {
    const paras = doc.paragraphs.map(cellText);
    switch (format) {
      case 'txt':
        return enc.encode(`${paras.join('\n\n')}\n`);
      case 'md':
        // A config file goes in a fenced block, as a README quotes it; letters as paragraphs.
        return enc.encode(doc.name === 'service' ? `# ${doc.title}\n\n\`\`\`sh\n${paras.join('\n')}\n\`\`\`\n` : `# ${doc.title}\n\n${paras.join('\n\n')}\n`);
      case 'json':
        return enc.encode(JSON.stringify({ file: doc.title, content: paras.join('\n') }, null, 2));
      case 'html':
        return enc.encode(`<!doctype html><html><head><meta charset="utf-8"><title>${htmlEscape(doc.title)}</title></head><body>\n${paras.map((p) => `<p>${htmlEscape(p).replace(/\n/g, '<br>')}</p>`).join('\n')}\n</body></html>\n`);
      case 'docx':
        return makeDocx(paras);
      case 'pdf':
        return makePdf(doc.paragraphs.flatMap((p) => [...wrap(p, PDF_LINE_CHARS), '']));
      default:
        break;
    }
  }
  throw errors.internal({ problem: `the corpus has no ${format} rendering for a ${doc.kind} document` });
}

/** Characters per PDF line: a Letter page in 10-point Helvetica holds about a hundred, and text beyond the page is not extracted. */
const PDF_LINE_CHARS = 90;

/** A paragraph's lines, wrapped at spaces of its plain text only, so no labelled entity is split across lines. */
function wrap(paragraph: readonly Segment[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const put = (token: string) => {
    if (line.length > 0 && line.length + token.trimEnd().length > width) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += token;
  };
  for (const seg of paragraph) {
    if (typeof seg !== 'string') {
      put(seg.value);
      continue;
    }
    seg.split('\n').forEach((hard, i) => {
      if (i > 0) {
        lines.push(line.trimEnd());
        line = '';
      }
      for (const word of hard.split(/(?<= )/)) if (word) put(word);
    });
  }
  if (line) lines.push(line.trimEnd());
  return lines;
}

/** The corpus's documents for one seed (deterministic: same seed, same documents). */
export function corpusDocuments(seed: number, size = 40): CorpusDoc[] {
  const rng = new Rng(seed);
  const small = Math.max(2, Math.round(size / 4));
  return [hrExport(rng, size), payments(rng, size), envConfig(rng, Math.max(5, small)), supportEmail(rng, small), patientLetters(rng, small), cryptoPayments(rng, size)];
}

/** The corpus's files for one seed: every document in each of its formats (filtered by `formats`). */
export function generateCorpus(opts: CorpusOptions): CorpusFile[] {
  const files: CorpusFile[] = [];
  for (const doc of corpusDocuments(opts.seed, opts.size)) {
    for (const format of RENDERINGS[doc.name] ?? []) {
      if (opts.formats && !opts.formats.includes(format)) continue;
      files.push({ name: `${doc.name}-${opts.seed}.${format}`, format, data: render(doc, format), entities: docEntities(doc) });
    }
  }
  return files;
}

/**
 * Locates a file's labelled entities in its extracted text, in document order (every format keeps it), each
 * searched for after the previous one. Entities the extraction lost or changed come back in `missing`.
 */
export function locateTruth(text: string, entities: readonly Labelled[]): { spans: TruthSpan[]; missing: Labelled[] } {
  const spans: TruthSpan[] = [];
  const missing: Labelled[] = [];
  let cursor = 0;
  for (const e of entities) {
    let at = text.indexOf(e.value, cursor);
    let end = at + e.value.length;
    if (at < 0 && /\s/.test(e.value)) {
      // Extractors may turn a line break inside a value into a space (JSON, CSV cells) or wrap it (PDF).
      const re = new RegExp(e.value.split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'), 'g');
      re.lastIndex = cursor;
      const m = re.exec(text);
      if (m) {
        at = m.index;
        end = at + m[0].length;
      }
    }
    if (at < 0) {
      missing.push(e);
      continue;
    }
    spans.push({ type: e.type, start: at, end });
    cursor = end;
  }
  return { spans, missing };
}

/** True/false positives and false negatives of one entity type. */
export interface TypeScore {
  tp: number;
  fp: number;
  fn: number;
}

/** A finding's fate, for listing the misses: a false positive or a missed truth span. */
export interface Miss {
  kind: 'fp' | 'fn';
  type: EntityType;
  start: number;
  end: number;
  recognizer?: string;
}

/**
 * Scores findings against truth: a finding is a true positive when a truth span of the same type overlaps it
 * (each truth span matched once); other findings are false positives; unmatched truth spans, false negatives.
 */
export function scoreFindings(truth: readonly TruthSpan[], findings: readonly RecognizerResult[], into: Map<EntityType, TypeScore> = new Map(), misses?: Miss[]): Map<EntityType, TypeScore> {
  const get = (t: EntityType): TypeScore => {
    let s = into.get(t);
    if (!s) into.set(t, (s = { tp: 0, fp: 0, fn: 0 }));
    return s;
  };
  const used = new Array<boolean>(truth.length).fill(false);
  for (const f of findings) {
    let matched = -1;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      if (!used[i] && t.type === f.type && t.start < f.end && f.start < t.end) {
        matched = i;
        break;
      }
    }
    if (matched >= 0) {
      used[matched] = true;
      get(f.type).tp++;
    } else {
      get(f.type).fp++;
      misses?.push({ kind: 'fp', type: f.type, start: f.start, end: f.end, recognizer: f.explanation.recognizer });
    }
  }
  truth.forEach((t, i) => {
    if (used[i]) return;
    get(t.type).fn++;
    misses?.push({ kind: 'fn', type: t.type, start: t.start, end: t.end });
  });
  return into;
}

/** Precision, recall and F1 of a score (NaN where undefined: nothing found, or nothing to find). */
export function metrics(s: TypeScore): { precision: number; recall: number; f1: number } {
  const precision = s.tp + s.fp === 0 ? Number.NaN : s.tp / (s.tp + s.fp);
  const recall = s.tp + s.fn === 0 ? Number.NaN : s.tp / (s.tp + s.fn);
  const f1 = Number.isNaN(precision) || Number.isNaN(recall) || precision + recall === 0 ? Number.NaN : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/** The types with a checksum or a fixed validated shape, held to the issue's target (≥ 0.95 precision, ≥ 0.90 recall). */
export const CHECKSUM_TYPES: readonly EntityType[] = ['CREDIT_CARD', 'IBAN_CODE', 'ABA_ROUTING_NUMBER', 'UK_NHS', 'CRYPTO', 'SECRET_GITHUB_TOKEN'];
export const TARGET = { precision: 0.95, recall: 0.9 } as const;
