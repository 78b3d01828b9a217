import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent, Store } from '../../core/index.js';
import { sensitivityRank } from '../../core/pii.js';
import { uniqueQualifier, type Activity, type DriveFile } from '../../fakes/google/index.js';
import { silentLogger } from '../../log.js';
import { FileScanner } from '../../pii/scanner.js';
import { piiSettingsSchema } from '../../pii/settings.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import type { GoogleWorkspaceConfigInput } from './config.js';
import { createGoogleWorkspaceSource } from './source.js';
import { googleTestBed } from './testing.js';

const ORG = 'example.com';
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const bed = googleTestBed('gw-scan', { subject: `admin@${ORG}`, now: () => T0 });
const MINUTE = 60_000;
// Published test card numbers (Visa, Mastercard, Amex, Discover): a finance team's export shape.
const CARDS = ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '4012888888881881'];
const SHEET_CSV = `Customer,Card number,Expiry\n${CARDS.map((c, i) => `Customer ${i + 1},${c},0${i + 1}/29`).join('\n')}\n`;
const MEMO = Buffer.from('Quarterly memo: revenue grew 4% on the prior quarter. No action needed.\n');

const owner = { id: 'p-owner', type: 'user' as const, role: 'owner' as const, emailAddress: `finance@${ORG}` };
const FILES: DriveFile[] = [
  {
    id: '1SheetCards',
    name: 'Card export Q3',
    mimeType: 'application/vnd.google-apps.spreadsheet',
    owners: [{ emailAddress: `finance@${ORG}` }],
    permissions: [owner, { id: 'anyoneWithLink', type: 'anyone', role: 'reader', allowFileDiscovery: false }],
    modifiedTime: '2026-03-02T08:40:00.000Z',
    // Two sheets (the fake's form feed): more cards on the second, which a CSV export would miss.
    content: `${SHEET_CSV}\fCustomer,Card number\nCustomer 6,5105105105105100\nCustomer 7,4000056655665556\n`,
  },
  { id: '1MemoTxt', name: 'memo.txt', mimeType: 'text/plain', owners: [{ emailAddress: `finance@${ORG}` }], permissions: [owner], modifiedTime: '2026-03-02T08:41:00.000Z', content: MEMO },
  { id: '1Folder', name: 'Finance', mimeType: 'application/vnd.google-apps.folder', owners: [{ emailAddress: `finance@${ORG}` }], permissions: [owner] },
];

function driveActivity(name: string, docId: string, ms: number, extra: Array<{ name: string; value: string }> = []): Activity {
  return {
    kind: 'admin#reports#activity',
    id: { time: new Date(ms).toISOString(), uniqueQualifier: uniqueQualifier(), applicationName: 'drive', customerId: 'C0abc' },
    actor: { email: `finance@${ORG}`, profileId: '1', callerType: 'USER' },
    ipAddress: '198.51.100.7',
    ownerDomain: ORG,
    events: [{ type: 'access', name, parameters: [{ name: 'doc_id', value: docId }, { name: 'doc_title', value: docId }, ...extra] }],
  };
}

function config(over: Partial<GoogleWorkspaceConfigInput> = {}) {
  return bed.config({
    applications: ['drive'],
    backfill: '2h',
    window: '6h',
    ...over,
  });
}

async function run(s: Store, scanner: FileScanner, cfg = config()) {
  const source = createGoogleWorkspaceSource('gw', cfg, { once: true, now: () => T0, files: s, scanner, backoff: { initialMs: 1, maxMs: 5 }, sleep: async () => undefined });
  const pipeline = new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now: () => T0 });
  return pipeline.ingest(source, { signal: new AbortController().signal });
}

const classified = async (s: Store): Promise<SecurityEvent[]> => (await s.queryEvents({ provider: 'google-workspace' })).filter((e) => e.event.action === 'file_classified');

describe('google-workspace source with the PII scanner', () => {
  it('scans files named by Drive create, edit and sharing events once each: Sheets exported as xlsx with every sheet, others downloaded, unchanged content not read again', async () => {
    const fake = await bed.start({
      files: FILES,
      activities: [
        driveActivity('create', '1SheetCards', T0 - 30 * MINUTE),
        driveActivity('edit', '1SheetCards', T0 - 20 * MINUTE),
        driveActivity('change_document_visibility', '1SheetCards', T0 - 10 * MINUTE, [{ name: 'visibility', value: 'people_with_link' }]),
        driveActivity('upload', '1MemoTxt', T0 - 15 * MINUTE),
        driveActivity('create', '1Folder', T0 - 15 * MINUTE),
        driveActivity('view', '1MemoTxt', T0 - 5 * MINUTE),
      ],
    });
    const s = await bed.store(undefined, 'scan-1.db');
    const dbPath = join(bed.dir, 'scan-1.db');
    const scanner = new FileScanner({ inventory: s, settings: piiSettingsSchema.parse({ enabled: true }), logger: silentLogger, now: () => T0 });
    await run(s, scanner);
    const events = await classified(s);
    expect(events.map((e) => e.file!.id).sort()).toEqual(['1MemoTxt', '1SheetCards']);
    const sheet = events.find((e) => e.file!.id === '1SheetCards')!;
    expect(sheet.event.dataset).toBe('google-workspace.pii');
    expect(sheet.file!.pii).toMatchObject({ CREDIT_CARD: 7 });
    expect(sensitivityRank(sheet.file!.sensitivity!)).toBeGreaterThanOrEqual(sensitivityRank('medium'));
    expect(events.find((e) => e.file!.id === '1MemoTxt')!.file!.sensitivity).toBe('none');
    const stored = await s.getFile('google-drive:1SheetCards');
    expect(stored!.classification).toMatchObject({ sensitivity: sheet.file!.sensitivity, entities: { counts: { CREDIT_CARD: 7 } } });
    expect(stored!.classification!.contentHash).toMatch(/^sha256:/);
    expect((await s.getFile('google-drive:1MemoTxt'))!.classification!.contentHash).toBe(`sha256:${createHash('sha256').update(MEMO).digest('hex')}`);
    const exports = fake.requests.filter((r) => r.path.endsWith('/export'));
    expect(exports.map((r) => r.query.mimeType)).toEqual(['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
    expect(fake.requests.filter((r) => r.query.alt === 'media').map((r) => r.path)).toEqual(['/drive/v3/files/1MemoTxt']);
    // The raw numbers are nowhere in the database file: counts and masked samples only.
    const db = readFileSync(dbPath);
    for (const c of CARDS) expect(db.includes(Buffer.from(c))).toBe(false);

    // The same events read again (settle) and the same content: nothing is downloaded, no new event.
    fake.addActivities([driveActivity('edit', '1MemoTxt', T0 - 2 * MINUTE)]);
    await run(s, scanner);
    expect(fake.requests.filter((r) => r.query.alt === 'media')).toHaveLength(1);
    expect(await classified(s)).toHaveLength(2);
    // The Sheet has no vendor hash: it is exported again, and its export's hash says it is unchanged.
    expect(scanner.stats).toMatchObject({ classified: 2, cached: 2 });
  });

  it('stops a download or export past pii.max_file_bytes (exports have no size to check first) and stores it as too large', async () => {
    const fake = await bed.start({ files: FILES, activities: [driveActivity('edit', '1SheetCards', T0 - 20 * MINUTE)] });
    const s = await bed.store();
    const scanner = new FileScanner({ inventory: s, settings: piiSettingsSchema.parse({ enabled: true, max_file_bytes: 256 }), logger: silentLogger, now: () => T0 });
    await run(s, scanner);
    const c = (await s.getFile('google-drive:1SheetCards'))!.classification!;
    expect(c).toMatchObject({ sensitivity: 'none', error: { code: 'INPUT_TOO_LARGE' } });
    // Refused by its Content-Length, before the body was read (not measured after buffering it).
    expect(c.error!.message).toContain('the download is over the limit of 256 bytes');
    expect(scanner.stats).toMatchObject({ unreadable: 1, classified: 0 });
  });

  it('scans what the inventory finds new or changed, and Drive changes, only when their content is new', async () => {
    const fake = await bed.start({ files: FILES });
    const s = await bed.store();
    const scanner = new FileScanner({ inventory: s, settings: piiSettingsSchema.parse({ enabled: true }), logger: silentLogger, now: () => T0 });
    await run(s, scanner, config({ drive: { inventory: true, changes: true } }));
    expect((await s.getFile('google-drive:1SheetCards'))!.classification!.entities.counts.CREDIT_CARD).toBe(7);
    expect((await s.getFile('google-drive:1MemoTxt'))!.classification!.sensitivity).toBe('none');
    expect((await s.getFile('google-drive:1Folder'))!.classification).toBeUndefined();
    // Drive's own digests of the content are not kept in the record: only the scan's hash is.
    expect(Object.keys((await s.getFile('google-drive:1MemoTxt'))!.data)).not.toEqual(expect.arrayContaining(['sha256Checksum']));
    expect(Object.keys((await s.getFile('google-drive:1MemoTxt'))!.data)).not.toEqual(expect.arrayContaining(['md5Checksum']));
    // A change brings the file's new bytes: the new hash is scanned, and its event is emitted in the changes' pass.
    const secret = Buffer.from('Customer card on file: 4111 1111 1111 1111, exp 04/28\n');
    await fake.addChange({ fileId: '1MemoTxt', file: { ...FILES[1]!, modifiedTime: '2026-03-02T08:58:00.000Z', content: secret } });
    await run(s, scanner, config({ drive: { inventory: true, changes: true } }));
    const memo = (await classified(s)).filter((e) => e.file!.id === '1MemoTxt');
    expect(memo.at(-1)!.file!.pii).toMatchObject({ CREDIT_CARD: 1 });
    expect((await s.getFile('google-drive:1MemoTxt'))!.classification!.entities.counts.CREDIT_CARD).toBe(1);
  });
});
