import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../analyzer.js';
import { spots, values } from '../testing.js';
import { nhsValid, ninoPrefixValid, ukNhsRecognizer, ukNinoRecognizer } from './uk.js';

describe('UK NHS number recognizer', () => {
  // 943 476 5919 is the NHS Data Dictionary's worked example of the modulus 11 check.
  it('finds mod-11-valid numbers, grouped 3-3-4 or bare', () => {
    expect(nhsValid('9434765919')).toBe(true);
    expect(spots(ukNhsRecognizer, 'NHS number 943 476 5919, also 943-476-5919 and 4010232137').map((s) => [s.value, s.score])).toEqual([
      ['943 476 5919', 0.5],
      ['943-476-5919', 0.5],
      ['4010232137', 0.3],
    ]);
  });
  it('rejects a failed check digit, a check digit of 10, and one digit repeated', () => {
    // 9434765918: the worked example with its check digit changed.
    expect(nhsValid('9434765918')).toBe(false);
    expect(nhsValid('1111111111')).toBe(false);
    expect(values(ukNhsRecognizer, '943 476 5918, 9434765918, 943 4765 919')).toEqual([]);
  });
});

describe('UK National Insurance number recognizer', () => {
  it('finds valid prefixes with six digits and a suffix A-D, compact or spaced as HMRC prints them', () => {
    expect(values(ukNinoRecognizer, 'NI AB123456C, or AB 12 34 56 C, or ce 12 34 56 d.')).toEqual(['AB123456C', 'AB 12 34 56 C', 'ce 12 34 56 d']);
  });
  it('finds lowercase compact numbers and the suffix glued to compact digits after a spaced prefix', () => {
    expect(values(ukNinoRecognizer, 'tw987654a, ce 12 34 56 d, PR 123612C, Ce123456D')).toEqual(['tw987654a', 'ce 12 34 56 d', 'PR 123612C', 'Ce123456D']);
    // A third letter before, a digit or letter after, a short digit group.
    expect(values(ukNinoRecognizer, 'xtw987654a, tw987654ab, PR 123612CD, PR 12361C, tw98765a')).toEqual([]);
  });
  it('scores lower case (a file name, a CSS class, a word before six digits) as a hint its label makes a finding', () => {
    expect(spots(ukNinoRecognizer, 'AB123456C tw987654a').map((s) => [s.value, s.score])).toEqual([
      ['AB123456C', 0.7],
      ['tw987654a', 0.3],
    ]);
    const analyzer = createAnalyzer({}, { recognizers: [ukNinoRecognizer] });
    expect(analyzer.analyze('file ab123456c.png, class="jk123456a", we 123456a', { minScore: 0.5 })).toEqual([]);
    expect(analyzer.analyze('NINO: tw987654a', { minScore: 0.5 }).map((f) => f.type)).toEqual(['UK_NINO']);
  });

  it("rejects HMRC's excluded letters and prefixes and a suffix beyond D", () => {
    // QQ 12 34 56 C is HMRC's own placeholder: Q is never a first letter.
    for (const p of ['QQ', 'DA', 'FA', 'IA', 'UA', 'VA', 'AO', 'AD', 'BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']) expect(ninoPrefixValid(p), p).toBe(false);
    expect(values(ukNinoRecognizer, 'QQ 12 34 56 C, GB123456A, AB123456E, AB1234567C, XAB123456C')).toEqual([]);
  });
});
