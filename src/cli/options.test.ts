import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { intOption } from './options.js';

describe('intOption', () => {
  const limit = intOption(1, 100_000);

  it('takes whole numbers within the range, at both ends', () => {
    expect(limit('1')).toBe(1);
    expect(limit('100000')).toBe(100_000);
    expect(limit(' 42 ')).toBe(42);
    expect(intOption(0, 10)('0')).toBe(0);
  });

  it('refuses anything else, saying the range', () => {
    for (const bad of ['abc', '', '-5', '0', '100001', '2.5', '1e3', '0x10', '12abc', '99999999999999999999']) {
      expect(() => limit(bad), bad).toThrow(InvalidArgumentError);
      expect(() => limit(bad), bad).toThrow('expected a whole number from 1 to 100,000.');
    }
  });
});
