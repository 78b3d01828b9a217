import { describe, expect, it } from 'vitest';
import { extractText } from '../extract/index.js';
import { BUILTIN_RECOGNIZERS, createAnalyzer, type EntityType } from '../index.js';
import { nameRecognizer } from '../recognizers/names.js';
import { CHECKSUM_TYPES, corpusDocuments, generateCorpus, locateTruth, metrics, scoreFindings, TARGET, type TypeScore } from './index.js';
import * as v from './values.js';

// Independent validators, written from the standards, to prove the generators make what they claim.
const luhnOk = (s: string): boolean => {
  const d = s.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
    sum += x;
  }
  return sum % 10 === 0;
};
const ibanOk = (s: string): boolean => {
  const c = s.replace(/ /g, '');
  const digits = (c.slice(4) + c.slice(0, 4)).replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
  return BigInt(digits) % 97n === 1n;
};
const abaOk = (s: string): boolean => [...s].reduce((a, d, i) => a + Number(d) * [3, 7, 1][i % 3]!, 0) % 10 === 0;
const nhsOk = (s: string): boolean => {
  const d = s.replace(/ /g, '');
  const check = 11 - ([...d.slice(0, 9)].reduce((a, x, i) => a + Number(x) * (10 - i), 0) % 11);
  return (check === 11 ? 0 : check) === Number(d[9]);
};

describe('corpus values', () => {
  const rng = new v.Rng(2026);
  it('makes valid checksummed values and near misses that fail the same checks', () => {
    for (let i = 0; i < 200; i++) {
      expect(luhnOk(v.cardNumber(rng))).toBe(true);
      expect(luhnOk(v.cardNumberBadLuhn(rng))).toBe(false);
      expect(ibanOk(v.iban(rng))).toBe(true);
      expect(ibanOk(v.ibanBadCheck(rng))).toBe(false);
      expect(abaOk(v.abaRouting(rng))).toBe(true);
      expect(abaOk(v.abaRoutingBad(rng))).toBe(false);
      expect(nhsOk(v.nhsNumber(rng))).toBe(true);
      expect(nhsOk(v.nhsNumberBad(rng))).toBe(false);
      expect(v.ssn(rng)).toMatch(/^(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/);
      expect(v.ssnInvalid(rng)).toMatch(/^(?:000|666|9\d\d)-\d{2}-\d{4}$|^\d{3}-00-\d{4}$|^\d{3}-\d{2}-0000$/);
    }
  });

  it('is deterministic per seed', () => {
    const a = generateCorpus({ seed: 11, size: 6, formats: ['csv', 'txt'] });
    const b = generateCorpus({ seed: 11, size: 6, formats: ['csv', 'txt'] });
    const c = generateCorpus({ seed: 12, size: 6, formats: ['csv', 'txt'] });
    expect(a.map((f) => Buffer.from(f.data).toString('base64'))).toEqual(b.map((f) => Buffer.from(f.data).toString('base64')));
    expect(a.map((f) => Buffer.from(f.data).toString('base64'))).not.toEqual(c.map((f) => Buffer.from(f.data).toString('base64')));
  });

  it('covers each document kind, with entities of the kinds the issue names', () => {
    const docs = corpusDocuments(3, 8);
    expect(docs.map((d) => d.name)).toEqual(['hr-export', 'payments', 'service', 'support-thread', 'clinic-letters', 'crypto-payments']);
    const types = new Set(generateCorpus({ seed: 3, size: 8, formats: ['txt', 'csv'] }).flatMap((f) => f.entities.map((e) => e.type)));
    for (const t of [...CHECKSUM_TYPES, 'US_SSN', 'UK_NINO', 'EMAIL_ADDRESS', 'PHONE_NUMBER', 'PERSON', 'SECRET_AWS_ACCESS_KEY', 'SECRET_PRIVATE_KEY']) expect(types).toContain(t);
  });
});

describe('ground truth', () => {
  it.each([5, 23])('slices the extracted text of every format to the labelled values (seed %i)', async (seed) => {
    const files = generateCorpus({ seed, size: 6 });
    expect(new Set(files.map((f) => f.format))).toEqual(new Set(['txt', 'csv', 'json', 'md', 'html', 'docx', 'xlsx', 'pdf']));
    for (const file of files) {
      const { text } = await extractText(file.data, { name: file.name });
      const { spans, missing } = locateTruth(text, file.entities);
      expect(missing, file.name).toEqual([]);
      expect(spans).toHaveLength(file.entities.length);
      spans.forEach((s, i) => {
        // Extractors may make a line break inside a value (a PEM block) a space: compare modulo whitespace.
        expect(text.slice(s.start, s.end).replace(/\s+/g, ' ')).toBe(file.entities[i]!.value.replace(/\s+/g, ' '));
        expect(s.type).toBe(file.entities[i]!.type);
      });
    }
  });

  it('scores overlap of the same type as a hit, everything else as a miss', () => {
    const truth = [
      { type: 'CREDIT_CARD', start: 10, end: 26 },
      { type: 'US_SSN', start: 40, end: 51 },
    ];
    const f = (type: EntityType, start: number, end: number) => ({ type, start, end, score: 0.9, explanation: { recognizer: 't', baseScore: 0.9 } });
    const s = scoreFindings(truth, [f('CREDIT_CARD', 12, 26), f('CREDIT_CARD', 12, 26), f('US_SSN', 60, 71), f('PHONE_NUMBER', 40, 51)]);
    expect(Object.fromEntries(s)).toEqual({ CREDIT_CARD: { tp: 1, fp: 1, fn: 0 }, US_SSN: { tp: 0, fp: 1, fn: 1 }, PHONE_NUMBER: { tp: 0, fp: 1, fn: 0 } });
    expect(metrics({ tp: 9, fp: 1, fn: 3 })).toEqual({ precision: 0.9, recall: 0.75, f1: (2 * 0.9 * 0.75) / 1.65 });
  });
});

describe('the acceptance line on a small corpus', () => {
  // Names are left out: slow, and not what this line is about.
  const analyzer = createAnalyzer({}, { recognizers: BUILTIN_RECOGNIZERS.filter((r) => r !== nameRecognizer) });

  const scoresFor = async (seed: number): Promise<Map<EntityType, TypeScore>> => {
    const scores = new Map<EntityType, TypeScore>();
    for (const file of generateCorpus({ seed, size: 16 })) {
      const { text } = await extractText(file.data, { name: file.name });
      scoreFindings(locateTruth(text, file.entities).spans, analyzer.analyze(text, { minScore: 0.5 }), scores);
    }
    return scores;
  };
  const cases = [7, 42].flatMap((seed) => CHECKSUM_TYPES.map((type) => [seed, type] as const));
  const cache = new Map<number, Promise<Map<EntityType, TypeScore>>>();

  // Shortfalls measured and handed to the recognizer's owner (/work/i18/notes-b.md); skipped, so the run shows them.
  const KNOWN_SHORTFALLS: Partial<Record<EntityType, string>> = {};
  // A checksum type the analyzer does not know yet shows as skipped, never as passed.
  for (const [seed, type] of cases) {
    it.skipIf(!analyzer.entities.includes(type) || KNOWN_SHORTFALLS[type] !== undefined)(`seed ${seed}: ${type} reaches ≥ 0.95 precision and ≥ 0.90 recall`, async () => {
      if (!cache.has(seed)) cache.set(seed, scoresFor(seed));
      const s = (await cache.get(seed)!).get(type);
      expect(s, `${type} has labelled entities`).toBeDefined();
      const m = metrics(s!);
      expect(s!.tp + s!.fn).toBeGreaterThan(0);
      expect(m.precision, `${type} precision (tp ${s!.tp}, fp ${s!.fp})`).toBeGreaterThanOrEqual(TARGET.precision);
      expect(m.recall, `${type} recall (tp ${s!.tp}, fn ${s!.fn})`).toBeGreaterThanOrEqual(TARGET.recall);
    });
  }
});
