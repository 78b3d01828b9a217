/** openStore's failures and the in-memory SQLite store; the Store contract itself runs in test/contracts/store. */
import { describe, expect, it } from 'vitest';
import { SaaswatchError } from '../core/errors.js';
import type { SecurityEvent } from '../core/event.js';
import { openStore } from './index.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const clock = (): number => T0;

const event: SecurityEvent = {
  '@timestamp': new Date(T0).toISOString(),
  event: { id: 'evt-1', kind: 'event', category: ['authentication'], action: 'login', outcome: 'success', provider: 'json-logs', dataset: 'auth-logs', ingested: new Date(T0).toISOString() },
  user: { email: 'a@example.com' },
  raw: {},
};

describe('openStore failures', () => {
  it('reports an unreachable PostgreSQL as retryable STORAGE_UNAVAILABLE', async () => {
    const err = await openStore({ dialect: 'postgres', url: 'postgres://nobody:x@127.0.0.1:1/none' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: true });
  });

  it('rejects an unsafe schema name as CONFIG_INVALID', async () => {
    await expect(openStore({ dialect: 'postgres', url: 'postgres://x@127.0.0.1:1/x', schema: 'a"; drop' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('opens an in-memory SQLite store', async () => {
    const s = await openStore({ dialect: 'sqlite', path: ':memory:', now: clock });
    try {
      expect(await s.commitBatch({ source: 's', events: [event], cursor: 'c' })).toEqual({ inserted: 1, duplicates: 0 });
      expect(await s.getCursor('s')).toBe('c');
      expect(await s.queryEvents()).toEqual([event]);
    } finally {
      await s.close();
    }
  });
});
