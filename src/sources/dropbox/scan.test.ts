import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../core/index.js';
import { dropboxContentHash, startFakeDropbox, type FakeDropbox, type TeamEvent } from '../../fakes/dropbox/server.js';
import { silentLogger } from '../../log.js';
import { FileScanner } from '../../pii/scanner.js';
import { piiSettingsSchema } from '../../pii/settings.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { dropboxConfigSchema } from './config.js';
import { createDropboxSource } from './source.js';

const TOKEN = 'sl.u.AFakeTeamAuditToken-0123456789';
const SECRET = 'fake-app-secret-9f8e7d';
const NOW = Date.parse('2024-05-07T00:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-dropbox-scan-'));
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BOB = { '.tag': 'team_member', account_id: 'dbid:AAB0002x2Kq9mZp7Yw3VtLr0sNc4uEiF0002', display_name: 'Bob Nguyen', email: 'bob.nguyen@example.com', team_member_id: 'dbmid:AAC0002Hh5Tr8WqLx1Pz6Nk3Yb0Vm7Sd0002' };
const FILE_ID = 'id:a4ayc_80_OEAAAAAAAAAac';
// Stripe's published test cards in an HR export's shape.
const CSV = 'employee,card,salary\nAda,4111111111111111,98000\nGrace,5555555555554444,105000\nLinus,378282246310005,87000\n';

function teamEvent(type: string, at: string, category = 'file_operations'): TeamEvent {
  return {
    timestamp: at,
    event_category: { '.tag': category },
    actor: { '.tag': 'user', user: BOB },
    origin: { geo_location: { city: 'London', region: 'England', country: 'GB', ip_address: '203.0.113.45' }, access_method: { '.tag': 'end_user', end_user: { '.tag': 'web', session_id: 'dbwsid:1182003405538127' } } },
    involve_non_team_member: false,
    context: BOB,
    participants: [],
    assets: [{ '.tag': 'file', path: { contextual: '/HR/reviews/salaries-2024.csv', namespace_relative: { ns_id: '1912345680', relative_path: '/reviews/salaries-2024.csv', is_shared_namespace: true } }, display_name: 'salaries-2024.csv', file_id: FILE_ID }],
    event_type: { '.tag': type, description: type },
    details: { '.tag': `${type}_details` },
  } as unknown as TeamEvent;
}

async function rig(events: TeamEvent[]) {
  const fake: FakeDropbox = await startFakeDropbox({
    events,
    accessToken: TOKEN,
    appSecret: SECRET,
    files: [{ id: FILE_ID, name: 'salaries-2024.csv', path: '/HR/reviews/salaries-2024.csv', owner: BOB.email, content: CSV }],
  });
  open.push(fake);
  const path = join(tmp, `db-${open.length}.sqlite`);
  const store: Store = await openStore({ dialect: 'sqlite', path, now: () => NOW });
  open.push(store);
  const scanner = new FileScanner({ inventory: store, settings: piiSettingsSchema.parse({ enabled: true }), logger: silentLogger, now: () => NOW });
  const run = () =>
    new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now: () => NOW }).ingest(
      createDropboxSource('dbx', dropboxConfigSchema.parse({ access_token: TOKEN, app_secret: SECRET, base_url: fake.url, page_size: 25 }), {
        now: () => NOW, once: true, logger: silentLogger, sleep: async () => undefined, random: () => 0.5, scanner,
      }),
      {},
    );
  return { fake, store, scanner, path, run };
}

describe('dropbox source with the PII scanner', () => {
  it('downloads a file added then shared once, as the acting member, and emits one classified event with counts only', async () => {
    const r = await rig([teamEvent('file_add', '2024-05-06T10:00:00Z'), teamEvent('shared_link_create', '2024-05-06T10:05:40Z', 'sharing')]);
    await r.run();
    const events = (await r.store.queryEvents({ provider: 'dropbox' })).filter((e) => e.event.action === 'file_classified');
    expect(events).toHaveLength(1);
    expect(events[0]!).toMatchObject({ event: { dataset: 'dropbox.pii' }, file: { id: FILE_ID, name: 'salaries-2024.csv', pii: { CREDIT_CARD: 3 } } });
    const stored = await r.store.getFile(`dropbox:${FILE_ID}`);
    expect(stored!.classification!.contentHash).toBe(`dropbox:${dropboxContentHash(Buffer.from(CSV))}`);
    const downloads = r.fake.requests.filter((q) => q.path === '/2/files/download');
    expect(downloads).toEqual([expect.objectContaining({ status: 200, selectUser: BOB.team_member_id })]);
    // The revision get_metadata hashed, not whatever the id holds by the time of the download.
    expect((downloads[0]!.body as { path?: string }).path).toMatch(/^rev:[0-9a-f]+$/);
    const db = readFileSync(r.path);
    for (const n of ['4111111111111111', '5555555555554444', '378282246310005']) expect(db.includes(Buffer.from(n))).toBe(false);

    // An edit that leaves the content as it was: get_metadata's content_hash matches, nothing is downloaded.
    r.fake.addEvents([teamEvent('file_edit', '2024-05-06T11:00:00Z')]);
    await r.run();
    expect(r.fake.requests.filter((q) => q.path === '/2/files/download')).toHaveLength(1);
    expect(r.scanner.stats).toMatchObject({ classified: 1, cached: 1 });
  });
});
