/** DetectorState clauses: keyed JSON state that round-trips and survives a reopen. */
import { expect } from 'vitest';
import { clause, type Clause } from './suite.js';

export const detectorStateClauses: Clause[] = [
  clause('DetectorState', 'MUST give back what was put as JSON gives it back, the last put winning', async ({ store }) => {
    expect(await store.getState('user:a')).toBeUndefined();
    const value = { mean: 1.5, hours: [1, 2, 3], nested: { ok: true, text: 'ünïcødé ✓' }, gone: undefined };
    await store.putState('user:a', value);
    expect(await store.getState('user:a')).toEqual(JSON.parse(JSON.stringify(value)));
    await store.putState('user:a', 42);
    expect(await store.getState('user:a')).toBe(42);
    await store.putState('user:b', 'text');
    expect(await store.getState('user:b')).toBe('text');
    expect(await store.getState('user:a')).toBe(42);
  }),

  clause('DetectorState', 'MUST treat putting undefined as deleting the key', async ({ store }) => {
    await store.putState('user:a', { v: 1 });
    await store.putState('user:a', undefined);
    expect(await store.getState('user:a')).toBeUndefined();
    // Deleting what is not there is no error.
    await store.putState('never', undefined);
    expect(await store.getState('never')).toBeUndefined();
  }),

  clause('DetectorState', 'MUST keep state across a reopen of the database', async ({ store, open }) => {
    await store.putState('brute-force#windows', { v: 1, segs: [[1, 3]] });
    const again = await open();
    try {
      expect(await again.getState('brute-force#windows')).toEqual({ v: 1, segs: [[1, 3]] });
    } finally {
      await again.close();
    }
  }),
];
