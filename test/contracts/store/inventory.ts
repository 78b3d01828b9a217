/** Inventory clauses: files upserted by key, and their content classifications. */
import { expect } from 'vitest';
import type { FileClassification } from '../../../src/core/pii.js';
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

  clause('Inventory', 'MUST keep a file\'s classification apart from its listing: setClassification adds the file or replaces its scan, upsertFile leaves the scan as it is', async ({ store }) => {
    const scan: FileClassification = {
      sensitivity: 'high',
      entities: { counts: { CREDIT_CARD: 12, EMAIL_ADDRESS: 3 }, samples: { CREDIT_CARD: ['************4242'], EMAIL_ADDRESS: ['a***@example.com'] } },
      contentHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      scannedAt: '2026-03-02T08:59:00.000Z',
    };
    await store.setClassification({ key: 'google-drive:1Bx', provider: 'google-drive', fileId: '1Bx', name: 'cards.csv', owner: 'a@x.io' }, scan);
    expect(await store.getFile('google-drive:1Bx')).toEqual({
      key: 'google-drive:1Bx', provider: 'google-drive', fileId: '1Bx', name: 'cards.csv', owner: 'a@x.io', data: {}, deleted: false, updatedAt: isoNow, classification: scan,
    });
    await store.upsertFile({ key: 'google-drive:1Bx', provider: 'google-drive', fileId: '1Bx', name: 'cards (1).csv', visibility: 'public', data: { listedAt: isoNow }, deleted: false });
    expect(await store.getFile('google-drive:1Bx')).toMatchObject({ name: 'cards (1).csv', visibility: 'public', data: { listedAt: isoNow }, classification: scan });
    const rescan: FileClassification = { ...scan, sensitivity: 'none', entities: { counts: {}, samples: {} }, contentHash: 'md5:d41d8cd98f00b204e9800998ecf8427e' };
    await store.setClassification({ key: 'google-drive:1Bx', provider: 'google-drive', fileId: '1Bx', name: 'ignored.csv' }, rescan);
    expect(await store.getFile('google-drive:1Bx')).toMatchObject({ name: 'cards (1).csv', visibility: 'public', classification: rescan });
  }),

  clause('Inventory', 'MUST find a classification by content hash across files, and list files scanned at a sensitivity level and above', async ({ store }) => {
    const c = (sensitivity: FileClassification['sensitivity'], hash: string): FileClassification => ({
      sensitivity, entities: { counts: sensitivity === 'none' ? {} : { US_SSN: 1 }, samples: {} }, contentHash: hash, scannedAt: '2026-03-02T08:00:00.000Z',
    });
    const f = (id: string) => ({ key: `dropbox:id:${id}`, provider: 'dropbox', fileId: `id:${id}` });
    await store.setClassification(f('a'), c('critical', 'dropbox:aa'));
    await store.setClassification(f('b'), c('medium', 'dropbox:bb'));
    await store.setClassification(f('c'), c('low', 'dropbox:cc'));
    await store.setClassification(f('d'), c('none', 'dropbox:dd'));
    await store.upsertFile({ ...f('e'), data: {}, deleted: false });
    await store.upsertFile({ ...f('b'), data: {}, deleted: true });
    expect(await store.findClassification('dropbox:cc')).toEqual(c('low', 'dropbox:cc'));
    expect(await store.findClassification('dropbox:zz')).toBeUndefined();
    const keys = async (q: Parameters<typeof store.listFiles>[0]) => (await store.listFiles(q)).map((x) => x.key);
    expect(await keys({ sensitivity: 'medium' })).toEqual(['dropbox:id:a']);
    expect(await keys({ sensitivity: 'medium', deleted: true })).toEqual(['dropbox:id:a', 'dropbox:id:b']);
    expect(await keys({ sensitivity: 'none' })).toEqual(['dropbox:id:a', 'dropbox:id:c', 'dropbox:id:d']);
    expect(await keys({})).toEqual(['dropbox:id:a', 'dropbox:id:c', 'dropbox:id:d', 'dropbox:id:e']);
  }),
];
