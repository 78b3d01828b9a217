import { describe, expect, it } from 'vitest';
import { Secret } from '../core/secret.js';
import { keyedHash, mask, maskFinding, redact } from './anonymize.js';

describe('anonymizers', () => {
  it('redacts to the type', () => expect(redact('4111 1111 1111 1111', 'CREDIT_CARD')).toBe('<CREDIT_CARD>'));

  it('masks keeping the last 4 letters and digits, separators dropped', () => {
    expect(mask('4111 1111 1111 1111')).toBe('************1111');
    expect(mask('536-22-8726')).toBe('*****8726');
    expect(mask('GB82 WEST 1234 5698 7654 32')).toBe('************5432');
  });

  it('never shows more than half of a short value, nor more than 12 mask characters', () => {
    expect(mask('12345')).toBe('***45');
    expect(mask('ab')).toBe('*b');
    expect(mask('x'.repeat(2000) + 'WXYZ')).toBe('************WXYZ');
  });

  it('masks names, places, dates, emails and URLs whole', () => {
    const text = 'Mail jane.roe@example.com or card 4111111111111111';
    expect(maskFinding(text, { type: 'EMAIL_ADDRESS', start: 5, end: 25 })).toBe('*'.repeat(12));
    expect(maskFinding(text, { type: 'CREDIT_CARD', start: 34, end: 50 })).toBe('************1111');
  });

  it('hashes with a key, prefixed by the type, the same whatever the layout', () => {
    const key = new Secret('test-key-not-for-production');
    const a = keyedHash('4111 1111 1111 1111', key, 'CREDIT_CARD');
    expect(a).toMatch(/^CREDIT_CARD:[0-9a-f]{64}$/);
    expect(keyedHash('4111-1111-1111-1111', key, 'CREDIT_CARD')).toBe(a);
    expect(keyedHash('4111-1111-1111-1111', Buffer.from('another key'), 'CREDIT_CARD')).not.toBe(a);
    expect(a).not.toContain('4111');
  });
});
