import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FileRecord, Store } from '../../core/index.js';
import { uniqueQualifier, type Activity, type ActivityParameter, type DriveFile, type DrivePermission } from '../../fakes/google/index.js';
import { silentLogger } from '../../log.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import type { GoogleWorkspaceConfigInput } from './config.js';
import { classifySharing, fromReportsVisibility } from './inventory.js';
import { createGoogleWorkspaceSource, googleWorkspacePlugin, type GoogleWorkspaceSourceOptions } from './source.js';
import { googleTestBed } from './testing.js';

const ORG = 'example.com';
/** The present of every run unless a test moves its own clock: a Monday morning. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const bed = googleTestBed('gw-inv', { subject: `admin@${ORG}`, now: () => T0 });
const MINUTE = 60_000;

function config(over: Partial<GoogleWorkspaceConfigInput> = {}) {
  return bed.config({
    applications: ['drive'],
    backfill: '2h',
    window: '6h',
    ...over,
    drive: { inventory: true, ...over.drive },
  });
}

const newStore = (now?: () => number): Promise<Store> => bed.store(now);

const owner = (email: string): DrivePermission => ({ id: `o-${email}`, type: 'user', role: 'owner', emailAddress: email });
const user = (email: string, role: DrivePermission['role'] = 'reader'): DrivePermission => ({ id: `u-${email}`, type: 'user', role, emailAddress: email });

/** The five kinds of sharing, one per residue of i mod 5, so the expected visibility is known without the classifier. */
const KINDS = ['private', 'anyone_with_link', 'external', 'domain', 'domain'] as const;
function fileNo(i: number): DriveFile {
  const mail = `user${i % 40}@${ORG}`;
  const perms: DrivePermission[] = [owner(mail)];
  if (i % 5 === 1) perms.push({ id: 'anyoneWithLink', type: 'anyone', role: 'reader', allowFileDiscovery: false });
  if (i % 5 === 2) perms.push(user(`partner${i}@Partner.Example.ORG`));
  if (i % 5 === 3) perms.push({ id: 'dom', type: 'domain', role: 'reader', domain: ORG, allowFileDiscovery: false });
  if (i % 5 === 4) perms.push(user(`colleague@${ORG}`, 'writer'));
  return {
    id: `file${String(i).padStart(5, '0')}`,
    name: `Doc ${i}`,
    mimeType: 'application/vnd.google-apps.document',
    owners: [{ emailAddress: mail }],
    permissions: perms,
    modifiedTime: '2024-05-06T08:00:00.000Z',
    size: String(1000 + i),
  };
}

/** A Reports drive activity about one document. */
function driveActivity(name: string, docId: string, ms: number, extra: ActivityParameter[] = []): Activity {
  return {
    kind: 'admin#reports#activity',
    id: { time: new Date(ms).toISOString(), uniqueQualifier: uniqueQualifier(), applicationName: 'drive', customerId: 'C0abc' },
    actor: { email: `user1@${ORG}`, profileId: '1', callerType: 'USER' },
    ipAddress: '198.51.100.7',
    ownerDomain: ORG,
    events: [{ type: 'access', name, parameters: [{ name: 'doc_id', value: docId }, { name: 'doc_title', value: `Title of ${docId}` }, ...extra] }],
  };
}

/** Runs the source through the real pipeline at `opts.now` (default T0); `delays` records every wait it asked for. */
async function run(s: Store, cfg = config(), opts: Partial<GoogleWorkspaceSourceOptions> & { signal?: AbortSignal } = {}) {
  const delays: number[] = [];
  const { signal, ...rest } = opts;
  const now = opts.now ?? (() => T0);
  const source = createGoogleWorkspaceSource('gw', cfg, {
    once: true,
    now,
    files: s,
    backoff: { initialMs: 1, maxMs: 5 },
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...rest,
  });
  const pipeline = new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now });
  const stats = await pipeline.ingest(source, { signal: signal ?? new AbortController().signal });
  return { stats, delays };
}

const getFile = async (s: Store, id: string): Promise<FileRecord | undefined> => s.getFile(`google-drive:${id}`);

describe('classifying Drive permissions', () => {
  it('ranks anyone-on-the-web over anyone-with-link over external over internal over owner-only', () => {
    const o = owner(`bob@${ORG}`);
    expect(classifySharing([o], ORG)).toEqual({ visibility: 'private', externalDomains: [], sharedWithAnyone: false });
    expect(classifySharing([o, { id: 'a', type: 'anyone', role: 'reader', allowFileDiscovery: true }, user('x@evil.test')], ORG)).toEqual({
      visibility: 'public',
      externalDomains: ['evil.test'],
      sharedWithAnyone: true,
    });
    expect(classifySharing([o, { id: 'a', type: 'anyone', role: 'reader' }], ORG).visibility).toBe('anyone_with_link');
    expect(classifySharing([o, { id: 'g', type: 'group', role: 'reader', emailAddress: 'team@Vendor.COM' }], ORG)).toMatchObject({ visibility: 'external', externalDomains: ['vendor.com'] });
    expect(classifySharing([o, { id: 'd', type: 'domain', role: 'reader', domain: 'other.org' }], ORG)).toMatchObject({ visibility: 'external', externalDomains: ['other.org'] });
    expect(classifySharing([o, { id: 'd', type: 'domain', role: 'reader', domain: ORG }], ORG).visibility).toBe('domain');
    expect(classifySharing([o, user(`carol@${ORG}`)], ORG).visibility).toBe('domain');
    // A removed permission no longer exposes the file.
    expect(classifySharing([o, { id: 'a', type: 'anyone', role: 'reader', deleted: true }], ORG).visibility).toBe('private');
  });

  it("maps Reports' visibility names, and leaves unknown ones alone", () => {
    expect(fromReportsVisibility('people_with_link')).toBe('anyone_with_link');
    expect(fromReportsVisibility('public_on_the_web')).toBe('public');
    expect(fromReportsVisibility('shared_externally')).toBe('external');
    expect(fromReportsVisibility('people_within_domain_with_link')).toBe('domain');
    expect(fromReportsVisibility('private')).toBe('private');
    expect(fromReportsVisibility('unknown')).toBeUndefined();
  });
});

describe('Drive file inventory against the fake Google', () => {
  it('inventories every file across pages of 1000, shared-drive items through permissions.list', async () => {
    const files = Array.from({ length: 1203 }, (_, i) => fileNo(i));
    const sharedDrive: DriveFile[] = [0, 1].map((i) => ({
      id: `team${i}`,
      name: `Team ${i}`,
      mimeType: 'application/pdf',
      driveId: '0AteamDrive',
      permissions: [{ id: 'org', type: 'user', role: 'organizer', emailAddress: `lead@${ORG}` }, ...(i === 1 ? [user('auditor@firm.example')] : [])],
    }));
    const fake = await bed.start({ files: [...files, ...sharedDrive] });
    const s = await newStore();
    await run(s);

    const lists = fake.requests.filter((r) => r.path === '/drive/v3/files');
    expect(lists).toHaveLength(2);
    expect(lists[0]).toMatchObject({ status: 200, subject: `admin@${ORG}`, query: { pageSize: '1000', corpora: 'allDrives', includeItemsFromAllDrives: 'true', supportsAllDrives: 'true' } });
    expect(lists[1]!.query.pageToken).toBeDefined();
    // Only the items whose listing had no permissions were looked up.
    expect(fake.requests.filter((r) => r.path.endsWith('/permissions')).map((r) => r.path).sort()).toEqual(['/drive/v3/files/team0/permissions', '/drive/v3/files/team1/permissions']);

    const counts: Record<string, number> = {};
    for (let i = 0; i < files.length; i++) {
      const f = await getFile(s, files[i]!.id);
      expect(f, files[i]!.id).toBeDefined();
      expect(f!.visibility).toBe(KINDS[i % 5]);
      counts[f!.visibility!] = (counts[f!.visibility!] ?? 0) + 1;
    }
    expect(counts).toEqual({ private: 241, anyone_with_link: 241, external: 241, domain: 480 });

    const link = (await getFile(s, files[1]!.id))!;
    expect(link).toMatchObject({ provider: 'google-workspace', fileId: files[1]!.id, name: 'Doc 1', owner: `user1@${ORG}`, deleted: false });
    expect(link.data).toMatchObject({ mimeType: 'application/vnd.google-apps.document', size: 1001, modifiedTime: '2024-05-06T08:00:00.000Z', sharedWithAnyone: true, externalDomains: [] });
    expect(link.data.permissions).toHaveLength(2);
    expect((await getFile(s, files[2]!.id))!.data).toMatchObject({ externalDomains: ['partner.example.org'], sharedWithAnyone: false });
    expect(await getFile(s, 'team0')).toMatchObject({ visibility: 'domain', data: { driveId: '0AteamDrive' } });
    expect(await getFile(s, 'team1')).toMatchObject({ visibility: 'external', data: { externalDomains: ['firm.example'] } });
  });

  it('retries a 429 during the listing, honouring Retry-After, and still lists everything', async () => {
    const files = Array.from({ length: 30 }, (_, i) => fileNo(i));
    const fake = await bed.start({ files });
    fake.faults.rateLimitNext(3, 2, { path: '/drive/v3/files' });
    const s = await newStore();
    const { delays } = await run(s);
    expect(fake.requests.filter((r) => r.path === '/drive/v3/files').map((r) => r.status)).toEqual([429, 429, 429, 200]);
    expect(delays).toEqual([2000, 2000, 2000]);
    for (const f of files) expect(await getFile(s, f.id)).toBeDefined();
  });

  it('marks a file deleted from its delete or trash event, never from its absence in a later listing', async () => {
    const files = Array.from({ length: 6 }, (_, i) => fileNo(i));
    const [gone, absent, trashed, restored, relisted] = files.map((f) => f.id) as [string, string, string, string, string];
    const fake = await bed.start({ files });
    let clock = T0;
    const now = () => clock;
    const s = await newStore(now);
    const cfg = config({ retry: { max_attempts: 1 } });
    await run(s, cfg, { now });
    const listedAt = T0;
    expect(await getFile(s, gone)).toMatchObject({ deleted: false, visibility: 'private', data: { listedAt: new Date(listedAt).toISOString() } });

    // The next poll runs a minute later. The events fall after the listing, yet before that poll's
    // end (its now): an event ahead of the clock would fall outside the window it asks Reports for.
    clock = T0 + MINUTE;
    const t = listedAt + 20;
    // Permanently deleted: gone from Drive, and Reports says so.
    fake.removeFile(gone);
    // Merely missing from the next listing (an incomplete page, a lost share): no event.
    fake.removeFile(absent);
    fake.putFile({ ...files[2]!, trashed: true });
    fake.addActivities([
      driveActivity('delete', gone, t),
      driveActivity('trash', trashed, t),
      // Trashed then restored: Reports serves the newer event first, the older must not win.
      driveActivity('trash', restored, t),
      driveActivity('untrash', restored, t + 1),
      // A deletion older than the listing that still showed the file is stale news.
      driveActivity('delete', relisted, listedAt - 60_000),
    ]);
    // This pass's listing fails, so what changes comes from the events alone.
    fake.faults.failNext(1, 500, { path: '/drive/v3/files' });
    await run(s, cfg, { now });
    const deleted = (await getFile(s, gone))!;
    expect(deleted.deleted).toBe(true);
    // What the listing knew is kept alongside who deleted it.
    expect(deleted).toMatchObject({ name: `Title of ${gone}`, owner: `user0@${ORG}`, visibility: 'private' });
    expect(deleted.data).toMatchObject({ mimeType: 'application/vnd.google-apps.document', size: 1000, deletedBy: { action: 'delete', actor: `user1@${ORG}` } });
    expect((await getFile(s, trashed))!.deleted).toBe(true);
    expect((await getFile(s, restored))!.deleted).toBe(false);
    expect((await getFile(s, relisted))!.deleted).toBe(false);

    // A complete listing later: the file without an event is still there, the deleted one still deleted.
    clock = T0 + 2 * MINUTE;
    await run(s, cfg, { now });
    expect(fake.requests.filter((r) => r.path === '/drive/v3/files').map((r) => r.status)).toEqual([200, 500, 200]);
    expect(await getFile(s, absent)).toMatchObject({ deleted: false, name: 'Doc 1', visibility: 'anyone_with_link' });
    expect((await getFile(s, gone))!.deleted).toBe(true);
    expect(await getFile(s, trashed)).toMatchObject({ deleted: true, data: { trashed: true } });
    expect((await getFile(s, restored))!.deleted).toBe(false);
  });

  it('updates visibility from sharing events between listings', async () => {
    const files = Array.from({ length: 7 }, (_, i) => fileNo(i));
    const fake = await bed.start({ files });
    let clock = T0;
    const s = await newStore(() => clock);
    // A listing once, then only events: the interval is far away.
    const cfg = config({ drive: { inventory: true, inventory_interval: '1d' }, poll_interval: '1s' });
    const ac = new AbortController();
    let waits = 0;
    const running = run(s, cfg, {
      once: false,
      signal: ac.signal,
      now: () => clock,
      sleep: async (ms) => {
        // The events happen during the first wait: after the listing, before the next poll.
        const t = clock + ms / 2;
        clock += ms;
        if (++waits === 1) {
          bed.fake.addActivities([
            driveActivity('change_document_visibility', files[0]!.id, t, [{ name: 'new_value', multiValue: ['public_on_the_web'] }]),
            driveActivity('change_user_access', files[4]!.id, t, [{ name: 'target_user', value: 'x@Outside.example' }, { name: 'new_value', multiValue: ['can_view'] }]),
            driveActivity('change_user_access', files[3]!.id, t, [{ name: 'target_user', value: `y@${ORG}` }, { name: 'new_value', multiValue: ['can_view'] }]),
          ]);
        } else ac.abort();
      },
    });
    await running;
    expect(fake.requests.filter((r) => r.path === '/drive/v3/files')).toHaveLength(1);
    expect(await getFile(s, files[0]!.id)).toMatchObject({ visibility: 'public', data: { sharedWithAnyone: true, lastEvent: 'change_document_visibility' } });
    expect(await getFile(s, files[4]!.id)).toMatchObject({ visibility: 'external', data: { externalDomains: ['outside.example'], sharedWithAnyone: false } });
    // An internal grant says nothing new about exposure: the record is untouched.
    expect((await getFile(s, files[3]!.id))!.data.lastEvent).toBeUndefined();
  });

  it('keeps polling Reports when the inventory fails, and retries the inventory at its next interval', async () => {
    const files = Array.from({ length: 5 }, (_, i) => fileNo(i));
    const fake = await bed.start({ files });
    let clock = T0;
    const s = await newStore(() => clock);
    fake.addActivities([driveActivity('view', files[0]!.id, T0 - 60_000)]);
    fake.faults.failNext(2, 500, { path: '/drive/v3/files' });
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg as string) });

    // Once: the inventory gives up after its attempts, the events are stored, and nothing throws.
    const once = await run(s, config({ retry: { max_attempts: 2 } }), { logger, now: () => clock });
    expect(once.stats.inserted).toBe(1);
    expect(await getFile(s, files[0]!.id)).toBeUndefined();
    expect(warnings).toContain('Google Drive inventory failed; retrying at the next inventory interval.');

    // Polling: the first inventory fails, Reports polls go on, the next interval's inventory succeeds.
    fake.faults.failNext(2, 500, { path: '/drive/v3/files' });
    fake.addActivities([driveActivity('view', files[1]!.id, T0 - 30_000)]);
    const ac = new AbortController();
    const cfg = config({ retry: { max_attempts: 2 }, poll_interval: '10s', drive: { inventory: true, inventory_interval: '25s' } });
    const polling = await run(s, cfg, {
      once: false,
      signal: ac.signal,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        if (bed.fake.requests.filter((r) => r.path === '/drive/v3/files' && r.status === 200).length > 0) ac.abort();
      },
    });
    expect(polling.stats.inserted).toBe(1);
    const reportPolls = fake.requests.filter((r) => r.path.endsWith('/applications/drive'));
    // One poll in the once run, then polls at 0s, 10s, 20s before the inventory due at 25s.
    expect(reportPolls).toHaveLength(4);
    for (const f of files) expect(await getFile(s, f.id)).toBeDefined();
  });

  it('stops a listing when aborted', async () => {
    const fake = await bed.start({ files: Array.from({ length: 5 }, (_, i) => fileNo(i)) });
    fake.faults.rateLimitNext(1, 30, { path: '/drive/v3/files' });
    const s = await newStore();
    const ac = new AbortController();
    await run(s, config(), { signal: ac.signal, sleep: async () => ac.abort() });
    expect(fake.requests.filter((r) => r.path === '/drive/v3/files').map((r) => r.status)).toEqual([429]);
    expect(await getFile(s, fileNo(0).id)).toBeUndefined();
  });

  it('gets the file store from the plugin dependencies, and refuses to run the inventory without one', async () => {
    const fake = await bed.start({ files: [fileNo(1)] });
    const s = await newStore();
    const now = () => T0;
    const source = googleWorkspacePlugin.create('gw', config(), { logger: silentLogger, dataDir: bed.dir, once: true, files: s, now });
    await new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now }).ingest(source);
    // Listed at the run's clock, which the plugin hands to the source.
    expect(await getFile(s, fileNo(1).id)).toMatchObject({ visibility: 'anyone_with_link', data: { listedAt: new Date(T0).toISOString() } });
    expect(() => googleWorkspacePlugin.create('gw', config(), { logger: silentLogger, dataDir: bed.dir })).toThrow(/drive.inventory is on but no file store/);
    // Off by default: no Drive calls at all.
    const plain = googleWorkspacePlugin.create('gw2', config({ drive: { inventory: false } }), { logger: silentLogger, dataDir: bed.dir, once: true, files: s, now });
    const before = fake.requests.length;
    await new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now }).ingest(plain);
    expect(fake.requests.slice(before).filter((r) => r.path.startsWith('/drive/'))).toHaveLength(0);
  });
});
