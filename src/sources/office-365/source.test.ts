import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type SecurityEvent, type SourceBatch } from '../../core/index.js';
import { cmdlet, fileOp, recordId, signIn } from '../../fakes/office-365/records.js';
import { startFakeOffice365, type FakeBlob, type FakeOffice365, type FakeOffice365Options } from '../../fakes/office-365/server.js';
import { createOffice365Client } from './client.js';
import { office365ConfigSchema, type Office365ConfigInput } from './config.js';
import { createOffice365Source, type Office365SourceOptions } from './source.js';
import { Redactor, type Finding } from '../../core/index.js';
import { BUILTIN_RULES_DIR } from '../../detection/sigma/config.js';
import { SigmaEngine } from '../../detection/sigma/engine.js';
import { loadRuleDirs } from '../../detection/sigma/loader.js';
import { drain, failureOf as failure } from '../../core/testing.js';

const NOW = Date.parse('2026-11-03T10:00:00Z');
const H = 3_600_000;
const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Qk8~o365-test-secret-4410';
const ALL = ['Audit.SharePoint', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'Audit.General'];

const open: FakeOffice365[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

interface Rig {
  fake: FakeOffice365;
  clock: { t: number };
  sleeps: number[];
  lines: Array<Record<string, unknown>>;
  source(config?: Partial<Office365ConfigInput>, opts?: Office365SourceOptions): ReturnType<typeof createOffice365Source>;
}

async function rig(fakeOpts: Partial<FakeOffice365Options> = {}): Promise<Rig> {
  const clock = { t: NOW };
  const fake = await startFakeOffice365({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, subscriptions: ALL, now: () => clock.t, ...fakeOpts });
  open.push(fake);
  const sleeps: number[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), done()) }));
  return {
    fake,
    clock,
    sleeps,
    lines,
    source: (config = {}, opts = {}) =>
      createOffice365Source(
        'o365',
        office365ConfigSchema.parse({ tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, api_url: fake.url, login_url: fake.loginUrl, content_types: ['Audit.SharePoint'], ...config }),
        { now: () => clock.t, once: true, logger, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...opts },
      ),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const sp = (createdMs: number, seeds: number[], extra: Partial<FakeBlob> = {}): FakeBlob => ({
  contentType: 'Audit.SharePoint',
  contentCreated: iso(createdMs),
  records: seeds.map((seed) => fileOp({ operation: 'FileDownloaded', at: createdMs - 2 * 60_000, seed })),
  ...extra,
});
const listings = (f: FakeOffice365) => f.requests.filter((r) => r.path.endsWith('/subscriptions/content') && r.status === 200);
const ids = (events: SecurityEvent[]) => events.map((e) => (e.raw as { Id: string }).Id).sort();

describe('office-365 source: subscriptions', () => {
  it('starts the subscriptions that are not started (AF20022) when start_subscriptions allows, then reads them', async () => {
    const r = await rig({ subscriptions: [], blobs: [sp(NOW - 3 * H, [1, 2]), { contentType: 'Audit.Exchange', contentCreated: iso(NOW - 2 * H), records: [cmdlet('Set-Mailbox', { Identity: 'megan@contoso.com', ForwardingSmtpAddress: 'smtp:drop@fabrikam.example' }, NOW - 2 * H - 60_000, 9)] }] });
    const { events } = await drain(r.source({ content_types: ['Audit.SharePoint', 'Audit.Exchange'] }));
    expect(r.fake.subscriptions).toEqual(['Audit.SharePoint', 'Audit.Exchange']);
    expect(r.fake.requests.filter((q) => q.path.endsWith('/subscriptions/start')).map((q) => q.query.contentType)).toEqual(['Audit.SharePoint', 'Audit.Exchange']);
    expect(ids(events)).toEqual([recordId(1), recordId(2), recordId(9)].sort());
    expect(r.lines.filter((l) => /subscription to Audit\.\w+ started/.test(String(l.msg)))).toHaveLength(2);
  });

  it('says clearly that a content type is not collected when its subscription is not started and the config forbids starting it', async () => {
    const r = await rig({ subscriptions: ['Audit.SharePoint'], blobs: [sp(NOW - 3 * H, [1])] });
    const { events } = await drain(r.source({ content_types: ['Audit.SharePoint', 'Audit.Exchange'], start_subscriptions: false }));
    expect(ids(events)).toEqual([recordId(1)]);
    expect(r.fake.requests.some((q) => q.path.endsWith('/subscriptions/start'))).toBe(false);
    const said = r.lines.filter((l) => l.level === 50);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ contentType: 'Audit.Exchange', afCode: 'AF20022' });
    expect(String(said[0]!.msg)).toMatch(/Audit\.Exchange is NOT collected.*start_subscriptions: true/);
  });

  it('ends with a configuration error when no configured content type can be read', async () => {
    const r = await rig({ subscriptions: [] });
    const err = await failure(drain(r.source({ start_subscriptions: false })));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/content_types.*AF20022.*start_subscriptions/);
  });

  it('takes "already enabled" (AF20024) from subscriptions/start as success', async () => {
    const r = await rig({ subscriptions: ['Audit.General'] });
    const config = office365ConfigSchema.parse({ tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, api_url: r.fake.url, login_url: r.fake.loginUrl });
    const client = createOffice365Client({ config, signal: new AbortController().signal, redactor: new Redactor([config.client_secret]) });
    await expect(client.startSubscription('Audit.General')).resolves.toBeUndefined();
    expect(r.fake.requests.filter((q) => q.path.endsWith('/subscriptions/start')).map((q) => q.status)).toEqual([400]);
  });

  it('starts a subscription stopped between the check and the listing (AF20022 from subscriptions/content), once', async () => {
    const r = await rig({ subscriptions: ['Audit.SharePoint'], blobs: [sp(NOW - 3 * H, [1])] });
    const src = r.source();
    const first = await drain(src);
    // An admin stops it; the source, which checked it on its first poll, meets AF20022 on the listing.
    r.fake.stopSubscription('Audit.SharePoint');
    r.fake.addBlobs([sp(NOW + 10 * 60_000, [2])]);
    r.clock.t = NOW + 20 * 60_000;
    const second = await drain(src, first.cursor);
    expect(ids(second.events)).toEqual([recordId(2)]);
    expect(r.fake.subscriptions).toEqual(['Audit.SharePoint']);
    expect(r.fake.requests.filter((q) => q.path.endsWith('/subscriptions/content') && q.status === 400)).toHaveLength(1);
  });
});

describe('office-365 source: listings', () => {
  it('follows NextPageUri to the last page and reads every blob once', async () => {
    const blobs = Array.from({ length: 9 }, (_, i) => sp(NOW - 5 * H + i * 10 * 60_000, [i * 2, i * 2 + 1]));
    const r = await rig({ blobs, pageSize: 2 });
    const { events } = await drain(r.source({ backfill: '6h', window: '24h' }));
    expect(events).toHaveLength(18);
    expect(new Set(events.map((e) => e.event.id)).size).toBe(18);
    const pages = listings(r.fake);
    expect(pages.filter((q) => q.query.nextPage !== undefined)).toHaveLength(4);
    for (const id of r.fake.contentIds()) expect(r.fake.fetches(id)).toBe(1);
  });

  it('splits a 7-day backfill into windows of at most 24 hours, none starting before the 7-day floor', async () => {
    const r = await rig({ blobs: [sp(NOW - 6.5 * 24 * H, [1]), sp(NOW - H, [2])] });
    const { events } = await drain(r.source({ backfill: '7d', window: '24h' }));
    expect(ids(events)).toEqual([recordId(1), recordId(2)].sort());
    const spans = listings(r.fake).map((q) => [Date.parse(`${q.query.startTime}Z`), Date.parse(`${q.query.endTime}Z`)] as const);
    expect(spans.length).toBe(7);
    for (const [s, e] of spans) {
      expect(e - s).toBeLessThanOrEqual(24 * H);
      expect(s).toBeGreaterThanOrEqual(NOW - 7 * 24 * H);
    }
    // Contiguous: each window starts where the previous ended, the last ends now.
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1]);
    expect(spans.at(-1)![1]).toBe(NOW);
  });

  it('warns that events were lost when the cursor is older than the 7 days the API keeps', async () => {
    const r = await rig({ blobs: [sp(NOW - 2 * H, [1])] });
    const cursor = JSON.stringify({ v: 1, 'Audit.SharePoint': { through: NOW - 9 * 24 * H, seen: {} } });
    const { events } = await drain(r.source({ window: '24h' }), cursor);
    expect(ids(events)).toEqual([recordId(1)]);
    const warn = r.lines.find((l) => l.level === 40 && /older than the 7 days/.test(String(l.msg)));
    expect(warn).toMatchObject({ contentType: 'Audit.SharePoint' });
    expect(String(warn!.msg)).toMatch(/events are lost/);
    expect(Number(warn!.lostMs)).toBeGreaterThan(2 * 24 * H - H);
  });

  it('reads a late blob re-listed in the overlap, out of order, and never fetches an already read blob twice', async () => {
    const onTime = sp(NOW - 40 * 60_000, [1]);
    // Listed before the older one that arrives late: the listing is in order of availability.
    const lateButListedFirst = sp(NOW - 20 * 60_000, [2]);
    const late = sp(NOW - 30 * 60_000, [3], { availableAt: iso(NOW + 10 * 60_000) });
    const r = await rig({ blobs: [lateButListedFirst, onTime, late] });
    const src = r.source({ settle: '1h' });
    const first = await drain(src);
    expect(ids(first.events)).toEqual([recordId(1), recordId(2)].sort());
    r.clock.t = NOW + 15 * 60_000;
    const second = await drain(r.source({ settle: '1h' }), first.cursor);
    expect(ids(second.events)).toEqual([recordId(3)]);
    for (const id of r.fake.contentIds()) expect(r.fake.fetches(id)).toBe(1);
    // The overlap listed the already-read blobs again.
    const relisted = listings(r.fake).at(-1)!;
    expect(Date.parse(`${relisted.query.startTime}Z`)).toBe(NOW - H);
    // Blobs within the overlap are remembered; the cursor is versioned.
    const c = JSON.parse(second.cursor!) as { v: number; 'Audit.SharePoint': { seen: Record<string, number> } };
    expect(c.v).toBe(1);
    expect(Object.keys(c['Audit.SharePoint'].seen)).toHaveLength(3);
  });

  it('dead-letters an expired content URI (AF20051) by name and goes on with the rest', async () => {
    const r = await rig({ blobs: [sp(NOW - 3 * H, [1]), sp(NOW - 2 * H, [2], { expired: true }), sp(NOW - H, [3])] });
    const { events, batches } = await drain(r.source());
    expect(ids(events)).toEqual([recordId(1), recordId(3)].sort());
    const dead = batches.flatMap((b) => b.deadLetters);
    const expiredId = r.fake.contentIds()[1]!;
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toContain(expiredId);
    expect(dead[0]!.reason).toMatch(/AF20051 expired/);
    expect(JSON.parse(dead[0]!.payload)).toMatchObject({ contentId: expiredId, contentType: 'Audit.SharePoint' });
    expect(r.fake.fetches(expiredId)).toBe(1);
    expect(r.lines.some((l) => l.level === 40 && l.contentId === expiredId)).toBe(true);
  });

  it('waits out 429 with the Retry-After the API gives (AF429), then reads everything', async () => {
    const r = await rig({ blobs: [sp(NOW - 3 * H, [1]), sp(NOW - H, [2])], faults: { rateLimited: 2, retryAfterSeconds: 7 } });
    const { events } = await drain(r.source());
    expect(ids(events)).toEqual([recordId(1), recordId(2)].sort());
    expect(r.sleeps).toEqual([7000, 7000]);
    expect(r.fake.requests.filter((q) => q.status === 429)).toHaveLength(2);
  });

  it('dead-letters a malformed record and a blob that is not an array; the rest of the blob carries on', async () => {
    const good = fileOp({ operation: 'FileUploaded', at: NOW - 2 * H, seed: 5 });
    const records = [good, { Id: recordId(6), Operation: 'FileDownloaded' }, 'not a record', fileOp({ operation: 'FileDeleted', at: NOW - 2 * H, seed: 7 })];
    const r = await rig({ blobs: [{ contentType: 'Audit.SharePoint', contentCreated: iso(NOW - 2 * H + 60_000), records }, sp(NOW - H, [8], { body: '<html>gateway</html>' })] });
    const { events, batches } = await drain(r.source());
    expect(ids(events)).toEqual([recordId(5), recordId(7)].sort());
    const dead = batches.flatMap((b) => b.deadLetters);
    expect(dead.map((d) => d.code).sort()).toEqual(['INPUT_MALFORMED', 'INPUT_MALFORMED', 'TIMESTAMP_INVALID'].sort());
    expect(dead.find((d) => d.code === 'TIMESTAMP_INVALID')!.position?.page).toMatch(/record 1$/);
  });

  it('gives a record read twice (in two blobs) the same event id', async () => {
    const rec = fileOp({ operation: 'FileDownloaded', at: NOW - 2 * H, seed: 11 });
    const r = await rig({ blobs: [{ contentType: 'Audit.SharePoint', contentCreated: iso(NOW - 2 * H), records: [rec] }, { contentType: 'Audit.SharePoint', contentCreated: iso(NOW - H), records: [{ ...rec, ClientIP: '203.0.113.46' }] }] });
    const { events } = await drain(r.source());
    expect(events).toHaveLength(2);
    expect(events[0]!.event.id).toBe(events[1]!.event.id);
  });
});

describe('office-365 source: run modes', () => {
  it('in once-mode reads up to now and ends, its cursor at now, promising the overlap less the record lag', async () => {
    const r = await rig({ blobs: [sp(NOW - 3 * H, [1])] });
    const { batches, cursor } = await drain(r.source({ settle: '1h', record_lag: '30m' }));
    expect(JSON.parse(cursor!)['Audit.SharePoint'].through).toBe(NOW);
    expect(batches.at(-1)!.watermark).toBe(NOW - H - 30 * 60_000);
    const calls = r.fake.requests.length;
    expect(calls).toBeGreaterThan(0);
  });

  it('ends at once when stopped inside an hour-long Retry-After', async () => {
    const r = await rig({ blobs: [sp(NOW - 3 * H, [1])], faults: { rateLimited: 100, retryAfterSeconds: 3600 } });
    const ac = new AbortController();
    const waits: number[] = [];
    const src = r.source({}, {
      once: false,
      sleep: (ms, signal) => {
        waits.push(ms);
        // Stopped while waiting: the wait must end on the abort, not after the hour.
        queueMicrotask(() => ac.abort());
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      },
    });
    const got: SourceBatch[] = [];
    for await (const b of src.batches({ cursor: undefined, signal: ac.signal })) got.push(b);
    expect(waits).toEqual([3_600_000]);
    expect(got.flatMap((b) => b.events)).toHaveLength(0);
  });
});

describe('office-365 source: detection', () => {
  it('a OneDrive mass download and a burst of failed sign-ins read from the fake raise the built-in findings', async () => {
    const downloads = Array.from({ length: 60 }, (_, i) => fileOp({ operation: 'FileDownloaded', at: NOW - 2 * H + i * 5000, seed: 100 + i, user: 'Leaver@Contoso.com' }));
    const failures = Array.from({ length: 12 }, (_, i) => signIn(false, NOW - 90 * 60_000 + i * 20_000, 300 + i, 'ceo@contoso.com', '198.51.100.66'));
    const r = await rig({
      blobs: [
        { contentType: 'Audit.SharePoint', contentCreated: iso(NOW - 2 * H + 6 * 60_000), records: downloads },
        { contentType: 'Audit.AzureActiveDirectory', contentCreated: iso(NOW - 80 * 60_000), records: failures },
      ],
    });
    const { events } = await drain(r.source({ content_types: ['Audit.SharePoint', 'Audit.AzureActiveDirectory'] }));
    expect(events).toHaveLength(72);
    const engine = new SigmaEngine(loadRuleDirs([BUILTIN_RULES_DIR]));
    const findings: Finding[] = [];
    for (const e of [...events].sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']))) findings.push(...engine.observe(e));
    findings.push(...engine.flush({ final: true }));
    const got = findings.map((f) => [f.rule, f.entity.value]);
    expect(got).toContainEqual(['rules/office-365/mass-download', 'leaver@contoso.com']);
    expect(got).toContainEqual(['rules/auth/brute-force-user', 'ceo@contoso.com']);
  });
});
