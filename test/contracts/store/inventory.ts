/** Inventory clauses: files upserted by key. */
import { expect } from 'vitest';
import { isoNow } from './fixtures.js';
import { clause, type Clause } from './suite.js';

export const inventoryClauses: Clause[] = [
  clause('Inventory', 'MUST upsert files by key, the latest record replacing every field and stamped with the store clock', async ({ store }) => {
    expect(await store.getFile('dropbox:1')).toBeUndefined();
    const file = {
      key: 'dropbox:1', provider: 'dropbox', fileId: '1', name: 'plan.pdf', owner: 'a@x.io', visibility: 'public',
      data: { links: ['https://x/1'] }, deleted: false,
    };
    await store.upsertFile(file);
    expect(await store.getFile('dropbox:1')).toEqual({ ...file, updatedAt: isoNow });
    await store.upsertFile({ key: 'dropbox:1', provider: 'dropbox', fileId: '1', data: {}, deleted: true });
    const f = await store.getFile('dropbox:1');
    expect(f).toMatchObject({ deleted: true, data: {}, updatedAt: isoNow });
    expect(f!.name).toBeUndefined();
    expect(f!.owner).toBeUndefined();
    expect(await store.getFile('dropbox:2')).toBeUndefined();
  }),
];
