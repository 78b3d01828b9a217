import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from './analyzer.js';
import { BUILTIN_RECOGNIZERS } from './recognizers/index.js';
import type { RecognizerResult } from './types.js';

// Name recognition (compromise) reads a bounded prefix by design and is far slower per byte: it is not a pattern.
const patterns = createAnalyzer({ custom: [{ name: 'ticket', type: 'TICKET_ID', pattern: '[A-Z]{2,5}-[0-9]{1,6}', score: 0.5, context: ['ticket'] }] }, {
  recognizers: BUILTIN_RECOGNIZERS.filter((r) => !r.entities.includes('PERSON')),
});

/** Pieces that drive backtracking or quadratic scans in naive recognizers: long runs, separator floods, half-made entities. */
const PIECES = [
  '1', '4111', ' ', '-', '.', '/', '(', ')', '+', '@', ':', '::', 'a', 'A', 'DE89', 'GB82 ', 'www.', 'http://', 'https://x.', '0', '9',
  '4111 1111 1111 1111', '536-22-8726', 'x@y.com', '192.0.2.1', '2001:db8::1', 'DOB ', 'born ', 'BIC ', 'SSN ', '\n', '\t', 'é', '😀',
];

function assertWellFormed(text: string, found: RecognizerResult[]): void {
  for (let i = 0; i < found.length; i++) {
    const f = found[i]!;
    expect(f.start).toBeGreaterThanOrEqual(0);
    expect(f.end).toBeLessThanOrEqual(text.length);
    expect(f.start).toBeLessThan(f.end);
    expect(f.score).toBeGreaterThanOrEqual(0);
    expect(f.score).toBeLessThanOrEqual(1);
    if (i > 0) expect(f.start).toBeGreaterThanOrEqual(found[i - 1]!.end);
  }
}

/** Generous on purpose: a catastrophic pattern on 200 kB takes minutes, a linear one well under a second. */
const BOUND_MS = 5000;

describe('analyzer under adversarial input', () => {
  it('handles ≥ 200 kB of generated adversarial text in bounded time, findings in range and never overlapping', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 40 }), fc.array(fc.constantFrom(...PIECES), { maxLength: 20 }), (unit, tail) => {
        const u = unit.join('');
        const text = u.repeat(Math.ceil(200_000 / u.length)) + tail.join('');
        const t = performance.now();
        const found = patterns.analyze(text);
        expect(performance.now() - t).toBeLessThan(BOUND_MS);
        assertWellFormed(text, found);
      }),
      { numRuns: 12, seed: 18 },
    );
  });

  it.each([
    ['a long digit run', '9'.repeat(300_000)],
    ['digits and spaces', '1 '.repeat(150_000)],
    ['repeated separators', '4-'.repeat(100_000) + '-'.repeat(100_000)],
    ["an '@' flood", '@'.repeat(100_000) + 'a@'.repeat(60_000)],
    ['a long word then punctuation', 'a'.repeat(100_000) + '!' + 'a.'.repeat(60_000) + '@'],
    ['colon floods', ':'.repeat(100_000) + 'a:'.repeat(60_000) + '1:'.repeat(60_000)],
    ['capitals and digits', 'AB12'.repeat(60_000) + 'ABCDEFGH'.repeat(20_000)],
    ['URL floods', 'http://'.repeat(30_000) + 'www.'.repeat(30_000) + 'x'.repeat(50_000)],
    ['brackets and pluses', '+('.repeat(60_000) + '(1) '.repeat(40_000)],
    ['birth keywords', 'DOB '.repeat(40_000) + 'born 12 '.repeat(20_000)],
    ['birth dates with month names and times', 'born 5-May-'.repeat(8_000) + 'DOB 1985-03-12T10:'.repeat(6_000) + 'dob May '.repeat(8_000)],
    ['IPv6 zone and prefix floods', '2001:db8::1%'.repeat(10_000) + 'fe80::1%eth0/'.repeat(8_000) + '10.0.0.0/'.repeat(10_000)],
    ['percent-encoded and hostname zones', 'fe80::1%20'.repeat(10_000) + 'fe80::1%25'.repeat(8_000) + '2001:db8::1%2C'.repeat(8_000) + 'fe80::1%eth0.a'.repeat(8_000)],
    ["a '_' flood and '_' keys around findings", '_'.repeat(400_000) + ' 10.0.0.1 ' + '_'.repeat(400_000) + ' call_id_ip_'.repeat(30_000) + '203.0.113.7 ' + 'a_'.repeat(100_000)],
    ["non-ASCII letters around '@'", 'é'.repeat(100_000) + '@' + 'ü.'.repeat(60_000) + 'josé@'.repeat(20_000)],
    ['a long table under birth and routing headers', 'dob\trouting\tdob\n' + '1985-03-12\t021000021\tborn\n'.repeat(8_000)],
    ['a long markdown table of numbers', '| routing | x |\n|---|---|\n' + '| 021000021 | 4111 1111 1111 1111 |\n'.repeat(6_000)],
  ])('%s', (_name, text) => {
    const t = performance.now();
    const found = patterns.analyze(text);
    expect(performance.now() - t).toBeLessThan(BOUND_MS);
    assertWellFormed(text, found);
  });
});
