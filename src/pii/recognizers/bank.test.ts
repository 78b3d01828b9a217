import { createAnalyzer } from '../analyzer.js';
import { describe, expect, it } from 'vitest';
import { spots, values } from '../testing.js';
import { abaRoutingRecognizer, abaValid, IBAN_LENGTHS, ibanRecognizer, ibanValid, swiftRecognizer } from './bank.js';

// The example IBANs of the SWIFT IBAN registry / ECBS tables, one per country.
const IBANS = [
  'DE89370400440532013000',
  'GB82WEST12345698765432',
  'FR1420041010050500013M02606',
  'NL91ABNA0417164300',
  'BE68539007547034',
  'ES9121000418450200051332',
  'IT60X0542811101000000123456',
  'CH9300762011623852957',
  'AT611904300234573201',
  'PL61109010140000071219812874',
  'PT50000201231234567890154',
  'NO9386011117947',
];

const grouped = (iban: string) => iban.replace(/(.{4})(?=.)/g, '$1 ');

describe('IBAN recognizer', () => {
  it.each(IBANS)('finds %s compact and in groups of four (mod 97, country length)', (iban) => {
    expect(ibanValid(iban)).toBe(true);
    expect(IBAN_LENGTHS[iban.slice(0, 2)]).toBe(iban.length);
    expect(values(ibanRecognizer, `Pay to ${iban}.`)).toEqual([iban]);
    expect(values(ibanRecognizer, `IBAN: ${grouped(iban)}, thanks`)).toEqual([grouped(iban)]);
  });

  it('rejects a changed digit, a wrong length, an unknown country and inconsistent grouping', () => {
    const text = ['DE89370400440532013001', 'DE8937040044053201300', 'XX89370400440532013000', 'DE89 3704 0044 053201 3000', 'de89370400440532013000'].join(' ; ');
    expect(values(ibanRecognizer, text)).toEqual([]);
  });

  it('reads groups separated by dashes as by spaces, one separator throughout', () => {
    expect(values(ibanRecognizer, 'IBAN DE89-3704-0044-0532-0130-00, or AL47-2121-1009-0000-0002-3569-8741.')).toEqual(['DE89-3704-0044-0532-0130-00', 'AL47-2121-1009-0000-0002-3569-8741']);
    expect(values(ibanRecognizer, 'DE89-3704 0044-0532-0130-00 DE89 3704-0044 0532 0130 00 DE89/3704/0044/0532/0130/00 DE89--3704-0044-0532-0130-00')).toEqual([]);
    // Dash-joined groups that go on past the country's length are a longer id, not an IBAN inside one.
    expect(values(ibanRecognizer, 'ticket GB82-WEST-1234-5698-7654-32-0001 and GB82-WEST-1234-5698-7654-32.')).toEqual(['GB82-WEST-1234-5698-7654-32']);
  });

  it('stops at the country length when more groups follow', () => {
    expect(values(ibanRecognizer, 'DE89 3704 0044 0532 0130 00 1234 ok')).toEqual(['DE89 3704 0044 0532 0130 00']);
  });
});

describe('SWIFT/BIC recognizer', () => {
  it('finds BICs with a valid country code; known banks score higher than unknown ones', () => {
    expect(spots(swiftRecognizer, 'BIC DEUTDEFF, or HBUKGB4B, or COBADEFFXXX').map((s) => [s.value, s.score])).toEqual([
      ['DEUTDEFF', 0.5],
      ['HBUKGB4B', 0.3],
      ['COBADEFFXXX', 0.5],
    ]);
  });

  it('keeps capitalised English words out unless a BIC label sits right before them', () => {
    expect(values(swiftRecognizer, 'ABSOLUTE BUSINESS TRAINING CUSTOMER STANDARD')).toEqual([]);
    expect(values(swiftRecognizer, 'SWIFT code: ABSOLUTE')).toEqual(['ABSOLUTE']);
  });

  it('rejects an invalid country code and a branch starting with X other than XXX', () => {
    expect(values(swiftRecognizer, 'BIC DEUTQQFF and BIC DEUTDEFFX12')).toEqual([]);
  });
});

describe('ABA routing number recognizer', () => {
  it.each(['011000015', '021000021', '026009593', '122105155'])('finds %s (3-7-1 checksum, Fed range) at a low score', (n) => {
    expect(abaValid(n)).toBe(true);
    expect(spots(abaRoutingRecognizer, `routing ${n}`)).toEqual([{ type: 'ABA_ROUTING_NUMBER', value: n, score: 0.3, pattern: 'nine-digits' }]);
  });

  it('finds the 4-4-1 dashed print layout, a finding beside "routing", checksum and Fed range still required', () => {
    // Chase (322271627) and Wells Fargo (071101307) as Presidio's tests write them.
    expect(spots(abaRoutingRecognizer, 'routing 3222-7162-7 or 0711-0130-7')).toEqual([
      { type: 'ABA_ROUTING_NUMBER', value: '3222-7162-7', score: 0.4, pattern: 'dashed-4-4-1' },
      { type: 'ABA_ROUTING_NUMBER', value: '0711-0130-7', score: 0.4, pattern: 'dashed-4-4-1' },
    ]);
    // Order ids are written the same way: one that passes the checksum is no finding without the word.
    const analyzer = createAnalyzer({}, { recognizers: [abaRoutingRecognizer] });
    expect(analyzer.analyze('order no 0210-0002-1 shipped', { minScore: 0.5 })).toEqual([]);
    expect(analyzer.analyze('wire to routing 0210-0002-1', { minScore: 0.5 }).map((f) => f.type)).toEqual(['ABA_ROUTING_NUMBER']);
    // Checksum fails; prefix 42 unassigned; a longer dash-joined id; another grouping.
    expect(values(abaRoutingRecognizer, '3222-7162-8 4210-4211-1 3222-7162-7-01 x3222-7162-7 322-27162-7 3222 7162 7')).toEqual([]);
  });

  it('rejects a failed checksum and a prefix outside the Fed ranges', () => {
    // 011000016: checksum fails; 131000010: prefix 13 is unassigned.
    expect(values(abaRoutingRecognizer, '011000016 131000010 4011000015')).toEqual([]);
  });
});
