import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../pii/index.js';
import type { RecognizerResult } from '../pii/types.js';
import { codePointOffsets, findingLines, parseEntities } from './scan.js';

describe('codePointOffsets', () => {
  it('counts a surrogate pair as one code point, as Python and Presidio do', () => {
    const text = 'a😀b𝄞c';
    // UTF-16 indexes: a0 😀1-2 b3 𝄞4-5 c6
    const m = codePointOffsets(text, [0, 1, 3, 4, 6, 7]);
    expect([...m.entries()]).toEqual([
      [0, 0],
      [1, 1],
      [3, 2],
      [4, 3],
      [6, 4],
      [7, 5],
    ]);
    for (const [unit, cp] of m) expect(Array.from(text).slice(0, cp).join('')).toBe(text.slice(0, unit));
  });

  it('gives the same offsets for text without astral characters', () => {
    const m = codePointOffsets('Réunion — é', [0, 5, 11]);
    expect([...m.values()]).toEqual([0, 5, 11]);
  });
});

describe('findingLines', () => {
  it('masks the value, rounds the score and converts the offsets', () => {
    const text = '🙂 card 4111 1111 1111 1111';
    const start = text.indexOf('4111');
    const f: RecognizerResult = { type: 'CREDIT_CARD', start, end: start + 19, score: 0.8567, explanation: { recognizer: 'credit-card', pattern: 'visa-16', validator: 'luhn', baseScore: 0.5, context: ['card'] } };
    const [line] = findingLines('x.txt', text, [f]);
    expect(line).toEqual({ file: 'x.txt', type: 'CREDIT_CARD', start: start - 1, end: start + 18, score: 0.86, masked: '************1111', reason: 'credit-card/visa-16, luhn valid, context: card' });
    expect(JSON.stringify(line)).not.toContain('4111 1111');
  });
});

describe('parseEntities', () => {
  const analyzer = createAnalyzer();
  it('accepts known names in any case, with spaces', () => {
    expect(parseEntities('credit_card, US_SSN', analyzer)).toEqual({ entities: ['CREDIT_CARD', 'US_SSN'] });
  });
  it('names the unknown ones and lists the known', () => {
    const r = parseEntities('CREDIT_CARD,SOCIAL,PASSPORT', analyzer);
    expect('error' in r && r.error).toMatch(/^error: --entities: unknown entity types "SOCIAL", "PASSPORT" \(known: ABA_ROUTING_NUMBER, CREDIT_CARD, .*US_SSN\)$/);
    expect('error' in parseEntities(' , ', analyzer)).toBe(true);
  });
});
