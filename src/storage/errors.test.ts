/** Error mapping and payload truncation: the small pure pieces the contract suite only reaches indirectly. */
import { describe, expect, it } from 'vitest';
import { SaaswatchError } from '../core/errors.js';
import { toStorageError } from './errors.js';
import { truncateUtf8 } from './sql-store.js';

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('toStorageError', () => {
  it.each([
    ['ECONNREFUSED', 'STORAGE_UNAVAILABLE', true],
    ['SQLITE_BUSY', 'STORAGE_UNAVAILABLE', true],
    ['57P01', 'STORAGE_UNAVAILABLE', true], // admin shutdown
    ['40P01', 'STORAGE_UNAVAILABLE', true], // deadlock
    ['28P01', 'STORAGE_UNAVAILABLE', false], // bad password: retrying will not help
    ['23505', 'STORAGE', false], // unique violation
    ['SQLITE_CONSTRAINT_NOTNULL', 'STORAGE', false],
  ])('%s → %s (retryable %s)', (code, expected, retryable) => {
    const err = toStorageError(withCode(code), 'op');
    expect(err).toMatchObject({ code: expected, retryable, details: { op: 'op', driverCode: code } });
  });

  it('treats a dropped pg connection (no code) as retryable', () => {
    expect(toStorageError(new Error('Connection terminated unexpectedly'), 'q')).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: true });
  });

  it('finds the code inside an AggregateError from a multi-address connect', () => {
    const agg = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '');
    expect(toStorageError(agg, 'open')).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: true });
  });

  it('passes a SaaswatchError through unchanged', () => {
    const original = new SaaswatchError('TIMESTAMP_INVALID', 'bad');
    expect(toStorageError(original, 'x')).toBe(original);
  });
});

describe('truncateUtf8', () => {
  it('keeps short text whole', () => {
    expect(truncateUtf8('abc', 3)).toEqual({ text: 'abc', bytes: 3, truncated: false });
  });

  it('never splits a multi-byte character', () => {
    const s = 'a😀😀'; // 1 + 4 + 4 bytes
    for (let max = 1; max < 9; max++) {
      const r = truncateUtf8(s, max);
      expect(r.truncated).toBe(true);
      expect(r.bytes).toBe(9);
      expect(s.startsWith(r.text)).toBe(true);
      expect(Buffer.byteLength(r.text)).toBe(max < 5 ? 1 : 5);
    }
  });
});
