import { describe, expect, it } from 'vitest';
import { SaaswatchError } from '../core/errors.js';
import { createAnalyzer, describeReason, resolveOverlaps } from './analyzer.js';
import { unsafePatternReason } from './config.js';
import { abaRoutingRecognizer } from './recognizers/bank.js';
import { creditCardRecognizer } from './recognizers/credit-card.js';
import { usPassportRecognizer, usSsnRecognizer } from './recognizers/us.js';
import type { RecognizerResult } from './types.js';

const pick = (text: string, fs: RecognizerResult[]) => fs.map((f) => ({ type: f.type, value: text.slice(f.start, f.end), score: Number(f.score.toFixed(2)) }));

describe('createAnalyzer', () => {
  it('raises a score by 0.35 for a context word before the span, capped at 1, and records the word', () => {
    const a = createAnalyzer({}, { recognizers: [usSsnRecognizer] });
    const text = 'ref 536228726 was filed. Later, Social Security: 536228726';
    const [plain, withContext] = a.analyze(text);
    expect(plain!.score).toBe(0.3);
    expect(plain!.explanation.context).toBeUndefined();
    expect(withContext!.score).toBeCloseTo(0.65);
    expect(withContext!.explanation).toMatchObject({ baseScore: 0.3, context: ['social', 'social security'] });
    expect(a.analyze('SSN 536-22-8726')[0]!.score).toBe(1);
  });

  it('reads context words in the configured languages only, compounds included', () => {
    const text = 'Firmenkreditkarte 4111111111111111';
    expect(createAnalyzer({ languages: ['de'] }, { recognizers: [creditCardRecognizer] }).analyze(text)[0]!.explanation.context).toEqual(['kreditkarte']);
    expect(createAnalyzer({ languages: ['fr'] }, { recognizers: [creditCardRecognizer] }).analyze(text)[0]!.explanation.context).toBeUndefined();
  });

  it("counts a table column's header cell as context, rows below it, in tab, markdown and comma tables and ragged sheet rows", () => {
    const a = createAnalyzer({}, { recognizers: [abaRoutingRecognizer] });
    const filler = Array.from({ length: 8 }, (_, i) => `Vendor ${i}\t\t1446.28\tINV-2026-59836${i}`).join('\n');
    const tsv = `payee\trouting_number\tamount\tinvoice\n${filler}\nAcme Ltd\t021000021\t1446.28\tINV-2026-598361\n`;
    expect(pick(tsv, a.analyze(tsv, { minScore: 0.5 }))).toEqual([{ type: 'ABA_ROUTING_NUMBER', value: '021000021', score: 0.65 }]);
    const md = `| payee | routing_number | amount |\n|---|---|---|\n| Acme |  | 10.00 |\n| Acme | 021000021 | 12.00 |\n`;
    expect(pick(md, a.analyze(md, { minScore: 0.5 })).map((f) => f.value)).toEqual(['021000021']);
    const csv = 'payee,iban,routing_number,amount\nAcme,,,1.00\nAcme,,021000021,12.00\n';
    expect(pick(csv, a.analyze(csv, { minScore: 0.5 })).map((f) => f.value)).toEqual(['021000021']);
    // Sheet extraction drops empty cells: the number sits under `iban` but may have shifted from `routing_number`.
    const sheet = 'Supplier payments\npayee\tiban\tbic\trouting_number\tamount\nAcme\t021000021\t12.00\n';
    expect(pick(sheet, a.analyze(sheet, { minScore: 0.5 })).map((f) => f.value)).toEqual(['021000021']);
  });

  it('lends no header to a value under an unrelated column or to prose', () => {
    const a = createAnalyzer({}, { recognizers: [abaRoutingRecognizer] });
    for (const text of ['payee\tinvoice\tamount\nAcme\t021000021\t12.00\n', 'Routing numbers are listed below.\n\nThe batch total was 021000021 cents.\n']) {
      expect(a.analyze(text, { minScore: 0.5 }), text).toEqual([]);
    }
  });

  it('looks only N words back (context_window)', () => {
    const text = 'passport one two three four five six 912803456';
    const near = createAnalyzer({ context_window: 7 }, { recognizers: [usPassportRecognizer] }).analyze(text);
    const far = createAnalyzer({ context_window: 5 }, { recognizers: [usPassportRecognizer] }).analyze(text);
    expect(near[0]!.score).toBeCloseTo(0.5);
    expect(far[0]!.score).toBeCloseTo(0.15);
  });

  it('never reports an allowed value, however it is written', () => {
    const a = createAnalyzer({ allow: ['4111-1111-1111-1111'] });
    expect(pick('card 4111 1111 1111 1111 and 5555555555554444', a.analyze('card 4111 1111 1111 1111 and 5555555555554444')).map((f) => f.value)).toEqual(['5555555555554444']);
  });

  it('always reports denied values as their type, whole words only', () => {
    const a = createAnalyzer({ deny: [{ type: 'PROJECT_CODE', values: ['BLUEBIRD-7'] }] });
    const text = 'Project BLUEBIRD-7 is not BLUEBIRD-71.';
    expect(pick(text, a.analyze(text))).toEqual([{ type: 'PROJECT_CODE', value: 'BLUEBIRD-7', score: 1 }]);
    expect(a.entities).toContain('PROJECT_CODE');
  });

  it('runs custom regex recognizers from config, with their own context words', () => {
    const a = createAnalyzer({ custom: [{ name: 'employee-id', type: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}', score: 0.4, context: ['badge'] }] });
    const text = 'EMP-004211 was issued; badge EMP-004212';
    expect(pick(text, a.analyze(text, { entities: ['EMPLOYEE_ID'] }))).toEqual([
      { type: 'EMPLOYEE_ID', value: 'EMP-004211', score: 0.4 },
      { type: 'EMPLOYEE_ID', value: 'EMP-004212', score: 0.75 },
    ]);
    expect(describeReason(a.analyze(text)[1]!.explanation)).toBe('custom:employee-id/employee-id, context: badge');
  });

  it('refuses an unsafe custom pattern with CONFIG_INVALID naming the field', () => {
    const bad = () => createAnalyzer({ custom: [{ name: 'x', type: 'X_ID', pattern: '(a)\\1', score: 0.5 }] });
    expect(bad).toThrow(SaaswatchError);
    expect(bad).toThrow(/^pii\.analyzer\.custom\.0\.pattern: "\(a\)\\\\1" is not a pattern RE2 accepts \(invalid escape sequence: `\\1`\)/);
    try {
      bad();
    } catch (err) {
      expect((err as SaaswatchError).code).toBe('CONFIG_INVALID');
    }
    expect(() => createAnalyzer({ languages: ['xx' as 'en'] })).toThrow(/pii\.analyzer\.languages\.0/);
    expect(() => createAnalyzer({ contextWindow: 3 } as never)).toThrow(/unknown key "contextWindow".*context_window/);
  });

  it('filters by entity type and minimum score', () => {
    const a = createAnalyzer();
    const text = 'order 666123456; SSN 536-22-8726, card 4111111111111111, passport 912803456';
    expect(a.analyze(text, { entities: ['US_SSN'] }).map((f) => f.type)).toEqual(['US_SSN']);
    // The passport number reaches 0.5 beside its word; a nine-digit order number (0.15 as a passport; area 666 is no SSN) does not.
    expect(a.analyze(text, { minScore: 0.5 }).map((f) => f.type)).toEqual(['US_SSN', 'CREDIT_CARD', 'US_PASSPORT']);
    expect(a.analyze(text, { minScore: 0.6 }).map((f) => f.type)).toEqual(['US_SSN', 'CREDIT_CARD']);
  });

  it('finds the full set in one text, sorted, no overlaps, offsets in range', () => {
    const a = createAnalyzer();
    const text = 'Jane: jane.roe@example.com, +44 20 7946 0958, IBAN GB82 WEST 1234 5698 7654 32, NHS 943 476 5919, NINO AB123456C, from 192.0.2.44, DOB 1985-03-12.';
    const found = a.analyze(text, { minScore: 0.5 });
    expect(found.map((f) => f.type)).toEqual(expect.arrayContaining(['EMAIL_ADDRESS', 'PHONE_NUMBER', 'IBAN_CODE', 'UK_NHS', 'UK_NINO', 'IP_ADDRESS', 'DATE_TIME']));
    for (let i = 1; i < found.length; i++) expect(found[i]!.start).toBeGreaterThanOrEqual(found[i - 1]!.end);
  });
});

describe('resolveOverlaps', () => {
  const r = (type: string, start: number, end: number, score: number): RecognizerResult => ({ type, start, end, score, explanation: { recognizer: type, baseScore: score } });
  it('keeps the higher score, then the longer span, and what no longer overlaps a winner', () => {
    const out = resolveOverlaps([r('A', 0, 10, 0.5), r('B', 5, 15, 0.9), r('C', 12, 20, 0.4), r('D', 16, 18, 0.3), r('E', 30, 40, 0.5), r('F', 30, 45, 0.5)]);
    expect(out.map((x) => x.type)).toEqual(['B', 'D', 'F']);
  });
});

describe('describeReason', () => {
  it('says recognizer/pattern, validator and context words, never the value', () => {
    expect(describeReason({ recognizer: 'credit-card', pattern: 'visa-16', validator: 'luhn', context: ['card'], baseScore: 0.8 })).toBe('credit-card/visa-16, luhn valid, context: card');
    expect(describeReason({ recognizer: 'deny-list', baseScore: 1 })).toBe('deny-list');
  });
});

describe('unsafePatternReason', () => {
  it.each([
    ['(\\w)\\1', /not a pattern RE2 accepts .*backreferences/],
    ['a(?=b)', /not a pattern RE2 accepts/],
    ['a(?<!b)', /not a pattern RE2 accepts/],
    ['[', /not a pattern RE2 accepts/],
    ['a*', /matches the empty string/],
    ['x'.repeat(501), /longer than 500/],
  ])('refuses %s', (p, why) => expect(unsafePatternReason(p)).toMatch(why));
  it.each(['[A-Z]+-[0-9]+', 'EMP-[0-9]{6}', '\\b[A-Z]{3}-\\d{4}\\b', '(?:ACME|INIT)-[0-9]{4,8}', 'X(?:-[0-9]{2}){3}'])('accepts %s', (p) => expect(unsafePatternReason(p)).toBeUndefined());

  // Each of these takes seconds to minutes on a backtracking engine over the input beside it.
  it.each([
    ['(a+)+$', 'a'.repeat(5_000) + '!'],
    ['(?:a|aa){1,40}b', 'a'.repeat(5_000)],
    ['\\d+(?:\\d+)x', '1'.repeat(50_000)],
    ['\\d+\\s?\\d+x', '1'.repeat(50_000)],
    ['\\d+x', '1'.repeat(200_000)],
  ])('runs %s in linear time', (pattern, text) => {
    const a = createAnalyzer({ custom: [{ name: 'slow', type: 'SLOW_ID', pattern, score: 0.9 }] }, { recognizers: [] });
    const t0 = performance.now();
    expect(a.analyze(text)).toEqual([]);
    // Linear work here is milliseconds; backtracking is seconds to minutes.
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe('context from keys and plurals: a key naming an id, count or name of a thing, or a count of short words, is no label', () => {
  const a = createAnalyzer();
  const types = (text: string, type: string) => a.analyze(text, { minScore: 0.5 }).filter((f) => f.type === type).map((f) => text.slice(f.start, f.end));
  it.each([
    ['INFO sip call_id=7034449921 duration=31s status=200', 'PHONE_NUMBER'],
    ['INFO handled 2 calls in 7034449921 ns', 'PHONE_NUMBER'],
    ['merged cells B2:C4 value 7034449921', 'PHONE_NUMBER'],
    ['cell_count=7034449921', 'PHONE_NUMBER'],
    ['wire_id=110000000 amount=5000', 'ABA_ROUTING_NUMBER'],
    ['wires: 110000000', 'ABA_ROUTING_NUMBER'],
    ['tin_number 912701234', 'US_ITIN'],
    ['sheet_name: Paris', 'LOCATION'],
  ])('%j: no %s', (text, type) => {
    expect(types(text, type)).toEqual([]);
  });
  it.each([
    ['client_ip=203.0.113.7', 'IP_ADDRESS', '203.0.113.7'],
    ['src_ip 198.51.100.2', 'IP_ADDRESS', '198.51.100.2'],
    ['IPs: 192.0.2.10', 'IP_ADDRESS', '192.0.2.10'],
    ['phone_number=7034449921', 'PHONE_NUMBER', '7034449921'],
    ['user_call: 7034449921', 'PHONE_NUMBER', '7034449921'],
  ])('%j: the near case still lifts %s', (text, type, value) => {
    const f = a.analyze(text).find((x) => x.type === type);
    expect(f && text.slice(f.start, f.end)).toBe(value);
    expect(f!.explanation.context?.length).toBeGreaterThan(0);
    expect(f!.score).toBeGreaterThan(f!.explanation.baseScore);
  });
});
