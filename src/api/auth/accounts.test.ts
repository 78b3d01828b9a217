import { afterEach, expect, it } from 'vitest';
import type { Store } from '../../core/store.js';
import { openStore } from '../../storage/index.js';
import { changeAccount, removeAccount } from './accounts.js';
import { T0 } from './testing.js';

let store: Store;
afterEach(async () => store?.close());

it('keeps an enabled admin when the only two are demoted at once: one change passes, the other is CONFLICT', async () => {
  store = await openStore({ dialect: 'sqlite', path: ':memory:', now: () => T0 });
  await store.addAccount({ email: 'a@x.io', role: 'admin' });
  await store.addAccount({ email: 'b@x.io', role: 'admin' });
  const raced = await Promise.allSettled([changeAccount(store, 'a@x.io', { disabled: true }, 'web:b@x.io'), changeAccount(store, 'b@x.io', { role: 'viewer' }, 'web:a@x.io')]);
  expect(raced.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(raced.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
  const left = (await store.listAccounts()).filter((x) => x.role === 'admin' && !x.disabled);
  expect(left).toHaveLength(1);
  await expect(removeAccount(store, left[0]!.email, 'cli:root')).rejects.toMatchObject({ code: 'CONFLICT' });
  await expect(changeAccount(store, 'nobody@x.io', { role: 'viewer' }, 'cli:root')).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
