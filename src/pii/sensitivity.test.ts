import { describe, expect, it } from 'vitest';
import { createAnalyzer } from './analyzer.js';
import { classify, summarize } from './sensitivity.js';

const counts = (c: Record<string, number>) => ({ counts: c, samples: {} });

describe('summarize', () => {
  it('counts per type and keeps at most 3 distinct masked samples, never a raw value', () => {
    const text = 'Cards: 4111111111111111, 4111111111111111, 5555555555554444, 378282246310005, 6011111111111117. SSN 536-22-8726.';
    const s = summarize(text, createAnalyzer().analyze(text), { minScore: 0.5 });
    expect(s.counts).toEqual({ CREDIT_CARD: 5, US_SSN: 1 });
    expect(s.samples.CREDIT_CARD).toEqual(['************1111', '************4444', '***********0005']);
    expect(s.samples.US_SSN).toEqual(['*****8726']);
    expect(JSON.stringify(s)).not.toMatch(/\d{5}/);
  });
});

describe('classify', () => {
  it.each([
    [{}, 'none'],
    [{ URL: 40, IP_ADDRESS: 12 }, 'low'],
    [{ EMAIL_ADDRESS: 3 }, 'low'],
    [{ EMAIL_ADDRESS: 10 }, 'medium'],
    [{ CREDIT_CARD: 1 }, 'medium'],
    [{ CREDIT_CARD: 1, PERSON: 1 }, 'high'],
    [{ US_SSN: 10 }, 'high'],
    [{ SECRET_JWT: 1 }, 'high'],
    [{ SECRET_AWS_ACCESS_KEY: 1 }, 'critical'],
    [{ CREDIT_CARD: 120 }, 'critical'],
  ] as const)('%j → %s', (c, level) => expect(classify(counts(c))).toBe(level));
});
