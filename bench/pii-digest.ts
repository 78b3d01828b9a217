/**
 * A digest of every finding (type, offsets, score, explanation; never a value) of the PII analyzer over the bench
 * texts, the labelled corpus and a seeded fuzz of number layouts, so a speed change can be shown to leave findings
 * identical: run before and after, compare the hashes. PII_DIGEST_OUT=<dir> also writes the lines per set for diffing.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../src/detection/random.js';
import { generateCorpus } from '../src/pii/corpus/index.js';
import { extractText } from '../src/pii/extract/index.js';
import { createAnalyzer } from '../src/pii/analyzer.js';
import { BUILTIN_RECOGNIZERS } from '../src/pii/recognizers/index.js';
import type { RecognizerResult } from '../src/pii/types.js';
import { corpus, customerCsv, WORDS } from './pii-data.js';

const OUT = process.env.PII_DIGEST_OUT;
const MB = Number(process.env.PII_DIGEST_MB ?? 4);

const line = (f: RecognizerResult): string => {
  const e = f.explanation;
  return `${f.type} ${f.start} ${f.end} ${f.score.toFixed(6)} ${e.recognizer}/${e.pattern ?? ''}/${e.validator ?? ''}/${(e.context ?? []).join('+')}/${e.baseScore}`;
};

function digest(name: string, lines: string[]): void {
  const h = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  console.log(`${name.padEnd(34)} ${String(lines.length).padStart(8)} findings  ${h}`);
  if (OUT) {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, `${name}.txt`), lines.join('\n') + '\n');
  }
}

/** Number layouts phone, card, id and date recognizers disagree about, with and without nearby labels. */
function numberFuzz(size: number, seed: number): string {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
  const labels = ['phone', 'Tel.', 'call', 'mobile:', 'fax', 'Telefon', 'téléphone', 'order', 'invoice no', 'NHS number', 'SKU', 'ref', 'account', 'ssn', 'card', 'IBAN', 'ip', 'date of birth', 'geboren am', 'password:', 'token=', ''];
  const seps = [' ', '-', '.', '/', ' - ', ') ', '(', ''];
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const groups = 1 + int(6);
    let s = int(4) === 0 ? '+' + ['1', '44', '49', '33', '34', '39', '31', '91', '55', '61', '7', '86'][int(12)]! + ' ' : int(6) === 0 ? '(' : int(10) === 0 ? '0' : '';
    for (let g = 0; g < groups; g++) {
      if (g > 0) s += seps[int(seps.length)]!;
      s += digits(1 + int(int(3) === 0 ? 12 : 5));
    }
    const label = labels[int(labels.length)]!;
    const before = Array.from({ length: int(4) }, () => WORDS[int(WORDS.length)]!).join(' ');
    const after = int(3) === 0 ? ` ${WORDS[int(WORDS.length)]!}` : int(4) === 0 ? 'x' : '';
    const end = ['.', ',', '\n', ' ', ';', '\t'][int(6)]!;
    const chunk = `${before} ${label} ${s}${after}${end}`;
    parts.push(chunk);
    len += chunk.length;
  }
  return parts.join('');
}

const names = new Set(['PERSON', 'LOCATION']);
const patternSet = BUILTIN_RECOGNIZERS.filter((r) => !r.entities.some((e) => names.has(e)));
const patterns = createAnalyzer({}, { recognizers: patternSet });
const full = createAnalyzer();

const bench = corpus(MB * 1_000_000, 18);
digest('bench-corpus-min0.5', patterns.analyze(bench, { minScore: 0.5 }).map(line));
digest('bench-corpus-min0', patterns.analyze(bench, { minScore: 0 }).map(line));
digest('bench-csv-min0.5', patterns.analyze(customerCsv(3000, 18), { minScore: 0.5 }).map(line));
const fuzz = numberFuzz(2_000_000, 7);
digest('number-fuzz-min0', patterns.analyze(fuzz, { minScore: 0 }).map(line));
digest('number-fuzz-min0.5', patterns.analyze(fuzz, { minScore: 0.5 }).map(line));
digest('number-fuzz-full-de', createAnalyzer({ languages: ['de', 'en'] }, { recognizers: patternSet }).analyze(fuzz.slice(0, 500_000), { minScore: 0 }).map(line));

const labelled: string[] = [];
const labelledHalf: string[] = [];
for (const seed of [1, 2, 3, 4, 5]) {
  for (const file of generateCorpus({ seed, size: 60 })) {
    const { text } = await extractText(file.data, { name: file.name });
    labelled.push(`# ${file.name}`, ...full.analyze(text, { minScore: 0 }).map(line));
    labelledHalf.push(`# ${file.name}`, ...full.analyze(text, { minScore: 0.4 }).map(line));
  }
}
digest('labelled-corpus-min0', labelled);
digest('labelled-corpus-min0.4', labelledHalf);
