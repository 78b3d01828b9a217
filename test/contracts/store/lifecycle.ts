/** StoreLifecycle clauses: migrations that can run any number of times. */
import { expect } from 'vitest';
import { LATEST_VERSION } from '../../../src/storage/index.js';
import { event } from './fixtures.js';
import { clause, type Clause } from './suite.js';

export const lifecycleClauses: Clause[] = [
  clause('StoreLifecycle', 'MUST migrate idempotently: running again, or opening again, keeps schema and data', async ({ store, open }) => {
    await store.commitBatch({ source: 'src', events: [event(1)], cursor: 'c1' });
    expect(await store.migrate()).toBe(LATEST_VERSION);
    expect(await store.migrate()).toBe(LATEST_VERSION);
    const again = await open();
    try {
      expect(again.dialect).toBe(store.dialect);
      expect(await again.migrate()).toBe(LATEST_VERSION);
      expect(await again.countEvents()).toBe(1);
      expect(await again.getCursor('src')).toBe('c1');
    } finally {
      await again.close();
    }
  }),
];
