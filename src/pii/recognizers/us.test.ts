import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../analyzer.js';
import { spots, values } from '../testing.js';
import { itinValid, ssnValid, usItinRecognizer, usPassportRecognizer, usSsnRecognizer } from './us.js';

describe('US SSN recognizer', () => {
  it('scores dashed numbers high, spaced lower, bare lowest (context must lift them)', () => {
    expect(spots(usSsnRecognizer, 'SSN 536-22-8726; 536 22 8726; 536228726').map((s) => [s.value, s.score])).toEqual([
      ['536-22-8726', 0.85],
      ['536 22 8726', 0.6],
      ['536228726', 0.3],
    ]);
  });

  it('excludes the areas, groups and serials SSA never issues, and the famous fakes', () => {
    for (const n of ['000-12-3456', '666-12-3456', '912-34-5678', '987-65-4320', '536-00-8726', '536-22-0000', '078-05-1120', '219-09-9999', '123-45-6789']) {
      expect(ssnValid(n.replace(/-/g, '')), n).toBe(false);
    }
    expect(values(usSsnRecognizer, 'SSN 000-12-3456 666-12-3456 078-05-1120 123-45-6789 536-00-8726 536-22-0000')).toEqual([]);
  });

  it('ignores phone-ish and longer dash-joined numbers, and numbers glued to words', () => {
    expect(values(usSsnRecognizer, 'call 415-555-2671, ref 536-22-8726-01, id536228726, v2-536-22-8726x')).toEqual([]);
  });
});

describe('US ITIN recognizer', () => {
  it('finds 9xx numbers with the IRS group ranges', () => {
    expect(values(usItinRecognizer, 'ITIN 912-70-1234 and 999-88-1234 and 900-50-0001')).toEqual(['912-70-1234', '999-88-1234', '900-50-0001']);
  });
  it('rejects groups outside 50-65, 70-88, 90-92, 94-99 and non-9 areas', () => {
    for (const n of ['912491234', '912661234', '912891234', '912931234', '812701234']) expect(itinValid(n), n).toBe(false);
    expect(values(usItinRecognizer, '912-49-1234 912-93-1234 812-70-1234')).toEqual([]);
  });
});

describe('US passport recognizer', () => {
  it('reports nine digits and a letter with eight digits at very low scores (context-dependent)', () => {
    expect(spots(usPassportRecognizer, 'passport 912803456 or A12345678').map((s) => [s.value, s.score])).toEqual([
      ['912803456', 0.15],
      ['A12345678', 0.2],
    ]);
  });
  it('reaches the default floor beside "passport" only, not beside a boarding pass or a passed test', () => {
    const analyzer = createAnalyzer({}, { recognizers: [usPassportRecognizer] });
    expect(analyzer.analyze('passport: 912803456', { minScore: 0.5 }).map((f) => f.type)).toEqual(['US_PASSPORT']);
    expect(analyzer.analyze('boarding pass 123456789; Tests: 912803456 pass, 3 fail; bus pass no 912803456', { minScore: 0.5 })).toEqual([]);
  });
  it('ignores a letter and eight digits inside a longer word', () => {
    expect(values(usPassportRecognizer, 'XA12345678 A12345678B')).toEqual([]);
  });
});
