import { afterEach, describe, expect, it } from 'vitest';
import type { FileClassification, FileRecord, SecurityEvent, Store } from '../core/index.js';
import { normalizeActivity } from '../sources/google-workspace/normalize.js';
import { normalizeTeamEvent } from '../sources/dropbox/normalize.js';
import { openStore } from '../storage/index.js';
import { createEnrichers } from './index.js';
import { FileSensitivityMap, fileKeyOfEvent, preloadFileSensitivity } from './file-sensitivity.js';
import { makeEvent } from './testing.js';

const DRIVE_ID = '1Xq7bM3kT9vLpR2sWcY8nHdF0aEzGuJiK';

/** A Reports `change_document_visibility` as Drive logs a link share (Admin SDK Reports drive events). */
function driveVisibility(docId: string): SecurityEvent {
  const activity = {
    kind: 'admin#reports#activity',
    id: { time: '2026-03-02T14:05:00.000Z', uniqueQualifier: '-4406283021637288170', applicationName: 'drive', customerId: 'C03az79cb' },
    actor: { email: 'dana.kim@example.com', profileId: '114209417862253581903' },
    ipAddress: '203.0.113.24',
    events: [
      {
        type: 'acl_change',
        name: 'change_document_visibility',
        parameters: [
          { name: 'doc_id', value: docId },
          { name: 'doc_type', value: 'spreadsheet' },
          { name: 'doc_title', value: 'Q1 card settlements' },
          { name: 'old_value', multiValue: ['private'] },
          { name: 'new_value', multiValue: ['people_with_link'] },
          { name: 'visibility', value: 'people_with_link' },
        ],
      },
    ],
  };
  return normalizeActivity(activity as never, { source: 'google', application: 'drive', ingested: '2026-03-02T14:06:00.000Z' }).events[0]!;
}

/** What the scanner emits for a classified file (API.md): counts and level on the event, the masked classification as raw. */
function classified(provider: string, fileId: string, sensitivity: FileClassification['sensitivity'], counts: Record<string, number>): SecurityEvent {
  const raw: FileClassification = { sensitivity, entities: { counts, samples: { CREDIT_CARD: ['************0366'] } }, contentHash: 'md5:5d41402abc4b2a76b9719d911017c592', scannedAt: '2026-03-02T14:10:00.000Z' };
  return makeEvent({ file: { id: fileId, name: 'Q1 card settlements', sensitivity, pii: counts }, raw, event: { id: `c-${fileId}-${sensitivity}`, kind: 'event', category: ['file'], action: 'file_classified', outcome: 'success', provider, dataset: `${provider}.pii`, ingested: '2026-03-02T14:10:00.000Z' } });
}

describe('fileKeyOfEvent', () => {
  it('names Drive files as the Google inventory keys them, Dropbox files with their id: prefix', () => {
    expect(fileKeyOfEvent(driveVisibility(DRIVE_ID))).toBe(`google-drive:${DRIVE_ID}`);
    const r = normalizeTeamEvent(
      {
        timestamp: '2026-03-02T14:05:00Z',
        event_category: { '.tag': 'sharing' },
        actor: { '.tag': 'user', user: { '.tag': 'team_member', account_id: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc', display_name: 'Dana Kim', email: 'dana.kim@example.com', team_member_id: 'dbmid:AAFdgehTzw7WlXhZJsbGCLePe8RvQGYDr-I' } },
        assets: [{ '.tag': 'file', path: { contextual: '/Finance/cards.xlsx', namespace_relative: { ns_id: '1234567890', relative_path: '/cards.xlsx', is_shared_namespace: true } }, display_name: 'cards.xlsx', file_id: 'id:a4ayc_80_OEAAAAAAAAAXw' }],
        event_type: { '.tag': 'shared_link_create', description: 'Created shared link' },
        details: { '.tag': 'shared_link_create_details' },
      },
      '2026-03-02T14:06:00.000Z',
    );
    expect(r.ok && fileKeyOfEvent(r.event)).toBe('dropbox:id:a4ayc_80_OEAAAAAAAAAXw');
    expect(fileKeyOfEvent(makeEvent())).toBeUndefined();
  });
});

describe('FileSensitivityMap', () => {
  it('stamps the last scan on a later share of the same file, and a rescan replaces it', () => {
    const map = new FileSensitivityMap();
    map.enrich(classified('google-workspace', DRIVE_ID, 'high', { CREDIT_CARD: 120, US_SSN: 3 }));
    const share = driveVisibility(DRIVE_ID);
    map.enrich(share);
    expect(share.file).toMatchObject({ id: DRIVE_ID, sensitivity: 'high', pii: { CREDIT_CARD: 120, US_SSN: 3 } });
    // Cleaned out: the rescan found nothing, so the next share carries no level.
    map.enrich(classified('google-workspace', DRIVE_ID, 'none', {}));
    const again = driveVisibility(DRIVE_ID);
    map.enrich(again);
    expect(again.file?.sensitivity).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('leaves other files, other providers and events without a file alone', () => {
    const map = new FileSensitivityMap();
    map.enrich(classified('dropbox', DRIVE_ID, 'critical', { SECRET_AWS_ACCESS_KEY: 1 }));
    const share = driveVisibility(DRIVE_ID);
    map.enrich(share);
    expect(share.file?.sensitivity).toBeUndefined();
    const login = makeEvent();
    map.enrich(login);
    expect(login.file).toBeUndefined();
  });

  it('forgets the least recently touched file beyond its bound', () => {
    const map = new FileSensitivityMap({ maxFiles: 2 });
    map.set('google-drive:a', 'medium', { EMAIL_ADDRESS: 40 });
    map.set('google-drive:b', 'high', { CREDIT_CARD: 2 });
    map.get('google-drive:a');
    map.set('google-drive:c', 'low', { PHONE_NUMBER: 1 });
    expect(map.get('google-drive:b')).toBeUndefined();
    expect(map.get('google-drive:a')?.sensitivity).toBe('medium');
    expect(map.size).toBe(2);
  });
});

describe('preloadFileSensitivity', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  const record = (i: number, classification?: FileClassification): Omit<FileRecord, 'updatedAt'> => ({
    key: `google-drive:f${String(i).padStart(5, '0')}`,
    provider: 'google-drive',
    fileId: `f${String(i).padStart(5, '0')}`,
    name: `export-${i}.csv`,
    visibility: 'private',
    data: {},
    deleted: false,
    ...(classification ? { classification } : {}),
  });

  it('pages through the inventory and keeps only classified files of low or above', async () => {
    store = await openStore({ dialect: 'sqlite', path: ':memory:' });
    const high: FileClassification = { sensitivity: 'high', entities: { counts: { CREDIT_CARD: 12 }, samples: {} }, contentHash: 'md5:0cc175b9c0f1b6a831c399e269772661', scannedAt: '2026-03-01T09:00:00.000Z' };
    const none: FileClassification = { ...high, sensitivity: 'none', entities: { counts: {}, samples: {} } };
    // Over two pages, so the afterKey walk is exercised.
    for (let i = 0; i < 1_500; i++) await store.upsertFile(record(i, i % 500 === 7 ? high : i % 3 === 0 ? none : undefined));
    const map = new FileSensitivityMap();
    const n = await preloadFileSensitivity(store, map);
    // Without the store's sensitivity filter the classification may not round-trip yet; what comes back is what counts.
    const stored = (await store.listFiles({ limit: 5_000 })).filter((f) => f.classification?.sensitivity === 'high');
    expect(n).toBe(stored.length);
    for (const f of stored) expect(map.get(f.key)).toEqual({ sensitivity: 'high', counts: { CREDIT_CARD: 12 } });
  });

  it('walks pages by afterKey and filters in code what a store without the sensitivity filter returns', async () => {
    const high: FileClassification = { sensitivity: 'high', entities: { counts: { CREDIT_CARD: 12 }, samples: {} }, contentHash: 'md5:0cc175b9c0f1b6a831c399e269772661', scannedAt: '2026-03-01T09:00:00.000Z' };
    const all = Array.from({ length: 2_345 }, (_, i) => ({ ...record(i, i % 400 === 5 ? high : undefined), updatedAt: '2026-03-01T09:00:00.000Z' }));
    const asked: Array<string | undefined> = [];
    const listFiles = async (q: { afterKey?: string; limit?: number; sensitivity?: string } = {}) => {
      expect(q.sensitivity).toBe('low');
      asked.push(q.afterKey);
      return all.filter((f) => q.afterKey === undefined || f.key > q.afterKey).slice(0, q.limit ?? 100);
    };
    const map = new FileSensitivityMap();
    expect(await preloadFileSensitivity({ listFiles }, map)).toBe(6);
    expect(asked).toEqual([undefined, 'google-drive:f00999', 'google-drive:f01999']);
    expect(map.get('google-drive:f00405')).toEqual({ sensitivity: 'high', counts: { CREDIT_CARD: 12 } });
    expect(map.get('google-drive:f00406')).toBeUndefined();
  });

  it('createEnrichers puts the file enricher last and preloads it from the given inventory', async () => {
    const listFiles = async () => [{ key: `google-drive:${DRIVE_ID}`, provider: 'google-drive', fileId: DRIVE_ID, data: {}, updatedAt: '2026-03-01T09:00:00.000Z', deleted: false, classification: { sensitivity: 'medium' as const, entities: { counts: { EMAIL_ADDRESS: 80 }, samples: {} }, contentHash: 'md5:x', scannedAt: '2026-03-01T09:00:00.000Z' } }];
    const enrichers = await createEnrichers({ geoip: false, asn: false, userAgent: false, files: { listFiles } });
    const share = driveVisibility(DRIVE_ID);
    for (const enrich of enrichers) enrich(share);
    expect(share.file).toMatchObject({ sensitivity: 'medium', pii: { EMAIL_ADDRESS: 80 } });
    const off = await createEnrichers({ geoip: false, asn: false, userAgent: false, fileSensitivity: false, files: { listFiles } });
    const plain = driveVisibility(DRIVE_ID);
    for (const enrich of off) enrich(plain);
    expect(plain.file?.sensitivity).toBeUndefined();
  });
});
