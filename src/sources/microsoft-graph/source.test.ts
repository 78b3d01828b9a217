import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type SourceBatch, type Store } from '../../core/index.js';
import {
  generateAlerts,
  generateReportedMessages,
  generateSignIns,
  startFakeGraph,
  type FakeGraph,
  type FakeGraphOptions,
  type GraphMessage,
  type GraphSignIn,
} from '../../fakes/microsoft-graph/server.js';
import { pino } from 'pino';
import { silentLogger } from '../../log.js';
import { Pipeline, type IngestStats } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { microsoftGraphConfigSchema, type MicrosoftGraphConfigInput } from './config.js';
import { normalizeRecord, reportRecord } from './normalize.js';
import { decodeCursor } from './poller.js';
import { createMicrosoftGraphSource, microsoftGraphPlugin, type MicrosoftGraphSourceOptions } from './source.js';

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Xy8Q~fake-client-secret-0123456789';
const MAILBOX = 'phish-reports@contoso.com';
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The source's present in every test: a Monday morning. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
/**
 * Where a test is about the present itself (the backfill start, the end of the last window), a few
 * presents: a Monday morning, a Saturday night just before midnight, and the last millisecond of a month.
 */
const PRESENTS = ['2026-03-02T09:00:00.000Z', '2026-03-07T23:30:00.000Z', '2026-02-28T23:59:59.999Z'];
const iso = (ms: number) => new Date(ms).toISOString();
const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-graph-'));
let dbNo = 0;

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Rig {
  fake: FakeGraph;
  store: Store;
  pipeline: Pipeline;
  /** Retry waits the source asked for (recorded instead of slept). */
  sleeps: number[];
  /** The present of the source, the store and the pipeline (epoch ms); a test may move it between passes. */
  now: number;
  source(config?: Partial<MicrosoftGraphConfigInput>, opts?: MicrosoftGraphSourceOptions): ReturnType<typeof createMicrosoftGraphSource>;
}

/**
 * The fake Graph, a store and a pipeline, with the source's present at `now` (default T0). The fake
 * issues and checks its tokens by the system clock, as Entra does; the source's token cache runs on
 * `now` like the rest of it, which is consistent within a pass (a new source fetches a new token).
 */
async function rig(data: Omit<FakeGraphOptions, 'tenantId' | 'clientId' | 'clientSecret'> = {}, now = T0): Promise<Rig> {
  const fake = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, ...data });
  open.push(fake);
  const clock = () => r.now;
  const store = await openStore({ dialect: 'sqlite', path: join(tmp, `db-${++dbNo}.sqlite`), now: clock });
  open.push(store);
  const pipeline = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now: clock });
  const sleeps: number[] = [];
  const r: Rig = {
    fake,
    store,
    pipeline,
    sleeps,
    now,
    source: (config = {}, opts = {}) =>
      createMicrosoftGraphSource(
        'graph',
        microsoftGraphConfigSchema.parse({
          tenant_id: TENANT,
          client_id: CLIENT,
          client_secret: SECRET,
          base_url: fake.url,
          login_url: fake.loginUrl,
          streams: ['sign_ins'],
          page_size: 25,
          window: '6h',
          ...config,
        }),
        { now: clock, once: true, logger: silentLogger, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...opts },
      ),
  };
  return r;
}

async function ingest(r: Rig, src = r.source(), onBatch?: (b: SourceBatch, s: IngestStats) => void, signal?: AbortSignal) {
  const batches: SourceBatch[] = [];
  const stats = await r.pipeline.ingest(src, {
    ...(signal ? { signal } : {}),
    onBatch: (b, s) => {
      batches.push(b);
      onBatch?.(b, s);
    },
  });
  return { stats, batches };
}

const INGESTED = '2024-01-01T00:00:00.000Z';
const idOf = (stream: 'sign_ins' | 'security_alerts' | 'reported_mail', raw: unknown): string => {
  const r = normalizeRecord(stream, raw, INGESTED);
  if (!r.ok) throw new Error(r.reason);
  return r.event.event.id;
};
/** The record a reported message becomes: the delta's selected properties and its expanded attachments. */
const reportOf = (m: GraphMessage) => {
  const { attachments, ...rest } = m as GraphMessage & { attachments?: unknown[] };
  const selected = Object.fromEntries(Object.entries(rest).filter(([k]) => ['id', 'createdDateTime', 'receivedDateTime', 'sentDateTime', 'subject', 'from', 'sender', 'toRecipients', 'ccRecipients', 'replyTo', 'internetMessageId', 'hasAttachments', 'importance', 'conversationId', '@odata.type'].includes(k)));
  return reportRecord(selected, m.hasAttachments ? (attachments ?? []) : undefined);
};

/** Every record is in the store exactly once: the same id set, and no more rows than distinct ids. */
async function expectStoredExactlyOnce(store: Store, ids: string[]): Promise<void> {
  const expected = [...new Set(ids)].sort();
  const stored = (await store.queryEvents({ limit: expected.length + 100 })).map((e) => e.event.id).sort();
  expect(stored).toEqual(expected);
  expect(await store.countEvents()).toBe(expected.length);
}

const signInIds = (xs: GraphSignIn[]) => xs.map((s) => idOf('sign_ins', s));
const api = (f: FakeGraph) => f.requests.filter((q) => /^\/(?:v1\.0|beta)\//.test(q.path));

describe('microsoft-graph source against the fake, through the SDK, into SQLite', () => {
  it.each(PRESENTS)('pages sign-ins with @odata.nextLink over windows from backfill, and authenticates once (now %s)', async (present) => {
    const now = Date.parse(present);
    const signIns = generateSignIns({ count: 130, start: now - 20 * HOUR, spanMs: 18 * HOUR, seed: 1 });
    const r = await rig({ signIns }, now);
    const { stats, batches } = await ingest(r);
    await expectStoredExactlyOnce(r.store, signInIds(signIns));
    expect(stats).toMatchObject({ inserted: 130, duplicates: 0, deadLetters: 0 });
    const first = api(r.fake)[0]!;
    // Four 6h windows over the default 1d backfill, each read to its last page.
    // Interactive sign-ins come from beta, by their kind: v1.0 lacks the properties the technique rules read.
    expect(first.path).toBe('/beta/auditLogs/signIns');
    expect(first.query).toEqual({ $filter: `createdDateTime ge ${iso(now - 24 * HOUR)} and createdDateTime le ${iso(now - 18 * HOUR)} and signInEventTypes/any(t: t eq 'interactiveUser')`, $top: '25' });
    expect(api(r.fake).filter((q) => q.query.$skiptoken === undefined)).toHaveLength(4);
    const perWindow = [0, 1, 2, 3].map((w) => signIns.filter((s) => Math.floor((Date.parse(s.createdDateTime!) - (now - 24 * HOUR)) / (6 * HOUR)) === w).length);
    expect(api(r.fake).filter((q) => q.query.$skiptoken !== undefined)).toHaveLength(perWindow.reduce((n, c) => n + Math.max(0, Math.ceil(c / 25) - 1), 0));
    expect(batches).toHaveLength(perWindow.reduce((n, c) => n + Math.max(1, Math.ceil(c / 25)), 0));
    expect(api(r.fake).every((q) => q.authorized && q.status === 200)).toBe(true);
    expect(r.fake.tokensIssued).toBe(1);
    // The token request carried the client credentials grant for Graph.
    expect(r.fake.requests[0]).toMatchObject({ method: 'POST', path: `/${TENANT}/oauth2/v2.0/token`, status: 200 });
    expect(decodeCursor(batches.at(-1)!.cursor).sign_ins).toBe(present);
    expect(await r.store.getCursor('graph')).toBe(batches.at(-1)!.cursor);
  });

  it('sends the bearer token to an http base_url on another port, which the SDK auth handler would not', async () => {
    const r = await rig({ signIns: generateSignIns({ count: 3, start: T0 - HOUR, seed: 2 }) });
    await ingest(r);
    expect(api(r.fake).length).toBeGreaterThan(0);
    expect(api(r.fake).every((q) => q.authorized)).toBe(true);
    expect(r.fake.requests.filter((q) => q.status === 401)).toHaveLength(0);
  });

  it('rides out a 429 storm honouring Retry-After, then 503s with backoff', async () => {
    const now = T0;
    const signIns = generateSignIns({ count: 120, start: now - 5 * HOUR, spanMs: 4 * HOUR, seed: 3 });
    const r = await rig({ signIns, faults: { rateLimited: 5, retryAfterSeconds: 3 } }, now);
    let turned = false;
    await ingest(r, r.source(), (_b, s) => {
      if (s.batches === 2 && !turned) {
        turned = true;
        r.fake.faults.serverErrors = 2;
      }
    });
    await expectStoredExactlyOnce(r.store, signInIds(signIns));
    expect(r.sleeps.slice(0, 5)).toEqual([3000, 3000, 3000, 3000, 3000]);
    // No Retry-After on these 503s: full-jitter backoff from 1s (random pinned at 0.5).
    expect(r.sleeps.slice(5)).toEqual([500, 1000]);
    expect(r.fake.requests.filter((q) => q.status === 429)).toHaveLength(5);
    expect(r.fake.requests.filter((q) => q.status === 503)).toHaveLength(2);
  });

  it('honours a Retry-After on a 503 too', async () => {
    const r = await rig({ signIns: generateSignIns({ count: 5, start: T0 - HOUR, seed: 4 }), faults: { serverErrors: 1, serverErrorRetryAfter: 7 } });
    await ingest(r);
    expect(r.sleeps).toEqual([7000]);
  });

  it('really waits for Retry-After when not told otherwise', async () => {
    const signIns = generateSignIns({ count: 10, start: T0 - HOUR, seed: 5 });
    const r = await rig({ signIns, faults: { rateLimited: 1, retryAfterSeconds: 1 } });
    const t0 = performance.now();
    await ingest(r, r.source({}, { sleep: undefined }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    await expectStoredExactlyOnce(r.store, signInIds(signIns));
  });

  it('gives a stream up after max_attempts without losing its place, and resumes from the committed cursor', async () => {
    const now = T0;
    const signIns = generateSignIns({ count: 100, start: now - 5 * HOUR, spanMs: 4 * HOUR, seed: 6 });
    const r = await rig({ signIns }, now);
    const err = await ingest(r, r.source({ retry: { max_attempts: 3 }, window: '1d' }), (_b, s) => {
      if (s.batches === 2) r.fake.faults.serverErrors = 1_000;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
    expect(r.fake.requests.filter((q) => q.status === 503)).toHaveLength(3);
    expect(await r.store.countEvents()).toBe(50);
    r.fake.faults.serverErrors = 0;
    await ingest(r, r.source({ window: '1d' }));
    await expectStoredExactlyOnce(r.store, signInIds(signIns));
  });

  it.each(PRESENTS)('lets the other streams carry on while one stays down, and reports the outage at the end (now %s)', async (present) => {
    const now = Date.parse(present);
    const signIns = generateSignIns({ count: 20, start: now - 3 * HOUR, spanMs: 2 * HOUR, seed: 15 });
    const alerts = generateAlerts({ count: 10, start: now - 3 * HOUR, spanMs: 2 * HOUR, seed: 16 });
    const r = await rig({ signIns, alerts, faults: { serverErrors: 1_000, serverErrorsOn: 'signIns' } }, now);
    const err = await ingest(r, r.source({ streams: ['sign_ins', 'security_alerts'], retry: { max_attempts: 2 }, window: '1d' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true, details: { status: 503, graph_error: 'serviceNotAvailable' } });
    await expectStoredExactlyOnce(r.store, alerts.map((a) => idOf('security_alerts', a)));
    const cursor = decodeCursor(await r.store.getCursor('graph'));
    expect(cursor.sign_ins).toBeUndefined();
    expect(cursor.security_alerts).toBe(new Date(now).toISOString());
  });

  it('picks up late sign-ins inside the settle window on the next poll, and stores each once', async () => {
    const now = T0;
    const onTime = generateSignIns({ count: 60, start: now - 5 * HOUR, spanMs: 5 * HOUR - 120_000, seed: 7 });
    // Happened 20 minutes ago, but Entra shows them only later.
    const late = generateSignIns({ count: 15, start: now - 25 * 60_000, spanMs: 5 * 60_000, seed: 8 });
    // The fake writes them to the log once the first poll has read its last page.
    const r = await rig({ signIns: onTime, late: { signIns: late } }, now);
    const first = await ingest(r, r.source({ settle: '1h', window: '1d' }));
    expect(first.stats.inserted).toBe(60);
    const watermark = Date.parse(decodeCursor(await r.store.getCursor('graph')).sign_ins!);
    expect(watermark).toBe(now);

    const second = await ingest(r, r.source({ settle: '1h', window: '1d' }));
    // The second poll starts one settle window before the watermark and re-reads what it holds.
    const last = api(r.fake).filter((q) => q.query.$filter !== undefined).at(-1)!;
    expect(last.query.$filter).toBe(`createdDateTime ge ${new Date(watermark - HOUR).toISOString()} and createdDateTime le ${new Date(now).toISOString()} and signInEventTypes/any(t: t eq 'interactiveUser')`);
    expect(second.stats.inserted).toBe(15);
    expect(second.stats.duplicates).toBeGreaterThan(0);
    await expectStoredExactlyOnce(r.store, signInIds([...onTime, ...late]));
  });

  it('dead-letters a malformed record with the reason while the rest of its page is stored', async () => {
    const now = T0;
    const signIns = generateSignIns({ count: 20, start: now - 2 * HOUR, spanMs: HOUR, seed: 9 });
    const broken = { ...signIns[10]!, status: { failureReason: 'Other.' } } as GraphSignIn;
    signIns[10] = broken;
    const r = await rig({ signIns }, now);
    const { stats } = await ingest(r);
    expect(stats).toMatchObject({ inserted: 19, deadLetters: 1 });
    const dead = await r.store.listDeadLetters({ source: 'graph' });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'FIELD_MISSING', reason: expect.stringMatching(/^sign_ins .* page 1: sign-in has no numeric status.errorCode/) });
    expect(JSON.parse(dead[0]!.payload)).toEqual(broken);
    await expectStoredExactlyOnce(r.store, signInIds(signIns.filter((s) => s !== broken)));
  });

  it('fails with a clear non-retryable error on a wrong secret, without the secret in it', async () => {
    const r = await rig({ signIns: generateSignIns({ count: 5, start: T0 - HOUR, seed: 10 }) });
    const err = await ingest(r, r.source({ client_secret: 'wrong-secret-value' }, { once: false })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, details: { status: 401, aadsts: '7000215' } });
    expect((err as Error).message).toMatch(/AADSTS7000215: Invalid client secret provided.*check client_secret/);
    expect((err as Error).message).not.toMatch(/wrong-secret-value|Trace ID/);
    expect(api(r.fake)).toHaveLength(0);
  });

  it('names client_id or tenant_id when those are wrong, and retries a token endpoint outage', async () => {
    const r = await rig({ signIns: generateSignIns({ count: 5, start: T0 - HOUR, seed: 11 }) });
    const badClient = await ingest(r, r.source({ client_id: '00000000-0000-0000-0000-000000000001' })).catch((e: unknown) => e);
    expect(badClient).toMatchObject({ retryable: false, message: expect.stringMatching(/AADSTS700016.*check client_id/) });
    const badTenant = await ingest(r, r.source({ tenant_id: 'fabrikam.onmicrosoft.com' })).catch((e: unknown) => e);
    expect(badTenant).toMatchObject({ retryable: false, message: expect.stringMatching(/AADSTS90002.*check tenant_id/) });
    r.fake.faults.tokenServerErrors = 2;
    await ingest(r);
    expect(await r.store.countEvents()).toBe(5);
    expect(r.sleeps).toEqual([500, 1000]);
  });

  it('says which permission is missing on a 403, and fetches a new token once when Graph refuses a cached one', async () => {
    const r = await rig({ signIns: generateSignIns({ count: 5, start: T0 - HOUR, seed: 12 }), permissions: ['Mail.Read'] });
    const err = await ingest(r).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, details: { status: 403, graph_error: 'Authorization_RequestDenied' } });
    expect((err as Error).message).toMatch(/AuditLog\.Read\.All/);

    const r2 = await rig({ signIns: generateSignIns({ count: 60, start: T0 - 3 * HOUR, spanMs: 2 * HOUR, seed: 13 }) });
    let revoked = false;
    await ingest(r2, r2.source(), (_b, s) => {
      if (s.batches === 1 && !revoked) {
        revoked = true;
        r2.fake.revokeTokens();
      }
    });
    expect(await r2.store.countEvents()).toBe(60);
    expect(r2.fake.tokensIssued).toBe(2);
    expect(r2.fake.requests.filter((q) => q.status === 401)).toHaveLength(1);
  });

  it('reads security alerts by lastUpdateDateTime, as alert events', async () => {
    const now = T0;
    const alerts = generateAlerts({ count: 40, start: now - 6 * HOUR, spanMs: 5 * HOUR, seed: 14 });
    const r = await rig({ alerts }, now);
    const { stats } = await ingest(r, r.source({ streams: ['security_alerts'] }));
    expect(stats).toMatchObject({ inserted: 40, deadLetters: 0 });
    await expectStoredExactlyOnce(r.store, alerts.map((a) => idOf('security_alerts', a)));
    expect(api(r.fake)[0]!.query.$filter).toMatch(/^lastUpdateDateTime ge .* and lastUpdateDateTime lt /);
    const stored = await r.store.queryEvents({ limit: 1 });
    expect(stored[0]!.event).toMatchObject({ kind: 'alert', action: 'security_alert' });
  });

  describe('reported mail (delta query)', () => {
    const mailRig = async (messages: GraphMessage[], now = T0) => rig({ mailbox: { address: MAILBOX, messages } }, now);
    const mailSource = (r: Rig, config: Partial<MicrosoftGraphConfigInput> = {}, opts: MicrosoftGraphSourceOptions = {}) =>
      r.source({ streams: ['reported_mail'], mailbox: MAILBOX, page_size: 10, ...config }, opts);
    const reportIds = (ms: GraphMessage[]) => ms.map((m) => idOf('reported_mail', reportOf(m)));

    it.each(PRESENTS)('pages the first round with nextLinks, fetches each report\'s attachments, and commits the deltaLink (now %s)', async (present) => {
      const now = Date.parse(present);
      const messages = generateReportedMessages({ count: 35, start: now - 10 * HOUR, spanMs: 9 * HOUR, mailbox: MAILBOX, seed: 20 });
      const r = await mailRig(messages, now);
      const { stats, batches } = await ingest(r, mailSource(r));
      expect(stats).toMatchObject({ inserted: 35, deadLetters: 0 });
      await expectStoredExactlyOnce(r.store, reportIds(messages));
      const deltas = api(r.fake).filter((q) => q.path.endsWith('/messages/delta'));
      expect(deltas[0]).toMatchObject({ path: `/v1.0/users/${encodeURIComponent(MAILBOX)}/mailFolders/inbox/messages/delta`, prefer: 'odata.maxpagesize=10' });
      expect(deltas[0]!.query.$filter).toBe(`receivedDateTime ge ${new Date(now - 24 * HOUR).toISOString()}`);
      expect(deltas[0]!.query.$select).toMatch(/^id,createdDateTime,receivedDateTime,/);
      expect(deltas.slice(1).every((q) => q.query.$skiptoken !== undefined && q.prefer === 'odata.maxpagesize=10')).toBe(true);
      expect(batches).toHaveLength(4);
      expect(api(r.fake).filter((q) => q.path.endsWith('/attachments'))).toHaveLength(messages.filter((m) => m.hasAttachments).length);
      const cursor = decodeCursor(batches.at(-1)!.cursor).reported_mail!;
      expect(cursor.delta).toMatch(/\$deltatoken=/);
      expect(cursor.next).toBeUndefined();
      expect(decodeCursor(batches[0]!.cursor).reported_mail!.next).toMatch(/\$skiptoken=/);
      // The stored events name the suspicious sender, not the reporting mailbox.
      const stored = await r.store.queryEvents({ limit: 100 });
      expect(stored.every((e) => e.event.action === 'email_reported' && e.email?.from?.address?.[0] !== MAILBOX)).toBe(true);
    });

    it('resumes from the committed deltaLink after a restart: only new reports, read messages and removals store nothing', async () => {
      const now = T0;
      const messages = generateReportedMessages({ count: 12, start: now - 5 * HOUR, spanMs: 4 * HOUR, mailbox: MAILBOX, seed: 21 });
      const r = await mailRig(messages, now);
      await ingest(r, mailSource(r));
      const committed = decodeCursor(await r.store.getCursor('graph')).reported_mail!.delta!;

      const later = generateReportedMessages({ count: 4, start: now - 30 * 60_000, spanMs: 20 * 60_000, mailbox: MAILBOX, seed: 22 });
      r.fake.addMessages(later);
      r.fake.markRead(messages[0]!.id!);
      r.fake.removeMessage(messages[1]!.id!);
      const before = api(r.fake).length;
      // A new source is a new process: it starts from what the store committed.
      const { stats } = await ingest(r, mailSource(r));
      const resumed = api(r.fake).slice(before).filter((q) => q.path.endsWith('/messages/delta'));
      expect(resumed[0]!.query.$deltatoken).toBe(new URL(committed).searchParams.get('$deltatoken'));
      expect(resumed.some((q) => q.query.$filter !== undefined)).toBe(false);
      expect(stats).toMatchObject({ inserted: 4, duplicates: 1, deadLetters: 0 });
      await expectStoredExactlyOnce(r.store, reportIds([...messages, ...later]));
    });

    it('resumes an interrupted round from its committed nextLink', async () => {
      const now = T0;
      const messages = generateReportedMessages({ count: 30, start: now - 5 * HOUR, spanMs: 4 * HOUR, mailbox: MAILBOX, seed: 23 });
      const r = await mailRig(messages, now);
      const crash = new AbortController();
      const first = await ingest(r, mailSource(r, {}, { once: false }), (_b, s) => s.batches === 1 && crash.abort(), crash.signal);
      expect(first.stats.inserted).toBe(10);
      const before = api(r.fake).length;
      const { stats } = await ingest(r, mailSource(r));
      expect(api(r.fake).slice(before).find((q) => q.path.endsWith('/messages/delta'))!.query.$skiptoken).toBeDefined();
      expect(stats).toMatchObject({ inserted: 20, duplicates: 0 });
      await expectStoredExactlyOnce(r.store, reportIds(messages));
    });

    it('promises from when a round began even when a stop split it across runs, so a report that came meanwhile is not behind the promise', async () => {
      const messages = generateReportedMessages({ count: 30, start: T0 - 5 * HOUR, spanMs: 4 * HOUR, mailbox: MAILBOX, seed: 34 });
      const r = await mailRig(messages, T0);
      const settle = { settle: '1h' } as const;
      /** Every batch of every pass, in order, with the pass it came from. */
      const seen: Array<{ pass: number; batch: SourceBatch }> = [];
      const pass = (n: number, src: ReturnType<typeof mailSource>, stop?: AbortController) =>
        ingest(r, src, (b, s) => {
          seen.push({ pass: n, batch: b });
          if (stop && s.batches === 1) stop.abort();
        }, stop?.signal);

      // Pass 1 at T0: the round begins, and stops after its first page.
      const crash = new AbortController();
      const first = await pass(1, mailSource(r, settle, { once: false }), crash);
      expect(first.stats.inserted).toBe(10);
      const split = decodeCursor(await r.store.getCursor('graph')).reported_mail!;
      expect(split.next).toMatch(/\$skiptoken=/);

      // A report reaches the folder after the round began: it is not in this round but the next.
      const arrived = generateReportedMessages({ count: 1, start: T0 + 10 * MINUTE, mailbox: MAILBOX, seed: 35 });
      r.fake.addMessages(arrived);

      // Pass 2, hours later, finishes the round from its nextLink.
      r.now = T0 + 3 * HOUR;
      const before = api(r.fake).length;
      const second = await pass(2, mailSource(r, settle));
      expect(second.stats.inserted).toBe(20);
      expect(api(r.fake).slice(before).filter((q) => q.path.endsWith('/messages/delta')).every((q) => q.query.$skiptoken !== undefined)).toBe(true);
      const done = decodeCursor(await r.store.getCursor('graph')).reported_mail!;
      expect(done.delta).toMatch(/\$deltatoken=/);
      expect(done.next).toBeUndefined();
      expect(done.started).toBeUndefined();
      // The round began at T0, not when pass 2 did: it promises T0 − settle, not T0 + 3h − settle.
      const promisedAfter = (n: number) => Math.max(...seen.filter((x) => x.pass === n).map((x) => x.batch.watermark ?? -Infinity));
      expect(promisedAfter(2)).toBe(T0 - HOUR);
      expect(seen.filter((x) => x.pass === 2).at(-1)!.batch.watermark).toBe(T0 - HOUR);

      // Pass 3 starts the next round from the deltaLink and delivers the report that came meanwhile.
      r.now = T0 + 3 * HOUR + 5 * MINUTE;
      const third = await pass(3, mailSource(r, settle));
      expect(third.stats.inserted).toBe(1);
      expect(seen.filter((x) => x.pass === 3).flatMap((x) => x.batch.events.map((e) => e.event.id))).toEqual(reportIds(arrived));
      await expectStoredExactlyOnce(r.store, reportIds([...messages, ...arrived]));

      // No event of any pass is older than what an earlier batch, of this pass or an earlier one, promised.
      let promised = Number.NEGATIVE_INFINITY;
      const behind: string[] = [];
      for (const { pass: n, batch } of seen) {
        for (const e of batch.events) {
          if (Date.parse(e['@timestamp']) < promised) behind.push(`pass ${n}: ${e['@timestamp']} < promised ${iso(promised)}`);
        }
        promised = Math.max(promised, batch.watermark ?? Number.NEGATIVE_INFINITY);
      }
      expect(behind).toEqual([]);
      expect(seen.map((x) => x.pass)).toEqual([1, 2, 2, 3]);
      // What carried the round's start across the stop: the cursor pass 1 committed.
      expect(split.started).toBe(iso(T0));
    });

    it('restarts the round when the delta token expired (410 SyncStateNotFound), storing nothing twice', async () => {
      const now = T0;
      const messages = generateReportedMessages({ count: 15, start: now - 5 * HOUR, spanMs: 4 * HOUR, mailbox: MAILBOX, seed: 24 });
      const r = await mailRig(messages, now);
      await ingest(r, mailSource(r));
      const later = generateReportedMessages({ count: 3, start: now - 20 * 60_000, spanMs: 10 * 60_000, mailbox: MAILBOX, seed: 25 });
      r.fake.addMessages(later);
      r.fake.expireDeltaTokens();
      const before = api(r.fake).length;
      const { stats } = await ingest(r, mailSource(r, { settle: '1h' }));
      const calls = api(r.fake).slice(before).filter((q) => q.path.includes('/messages/delta') || q.path.includes('mailFolders'));
      expect(calls[0]).toMatchObject({ status: 410 });
      // The resync asks only for messages received since one settle window before the newest one of the last complete round.
      const newest = Math.max(...messages.map((m) => Date.parse(m.receivedDateTime!)));
      expect(calls[1]!.query.$filter).toBe(`receivedDateTime ge ${new Date(newest - HOUR).toISOString()}`);
      expect(stats.inserted).toBe(3);
      await expectStoredExactlyOnce(r.store, reportIds([...messages, ...later]));
    });

    it.each(PRESENTS)('resyncs from backfill when the first round expires midway, since its pages are in no time order (now %s)', async (present) => {
      const now = Date.parse(present);
      // Served newest first: the first page alone would put the newest report hours after the rest.
      const messages = generateReportedMessages({ count: 30, start: now - 10 * HOUR, spanMs: 9 * HOUR, mailbox: MAILBOX, seed: 28 }).reverse();
      const r = await mailRig(messages, now);
      let expired = false;
      await ingest(r, mailSource(r, { settle: '1h' }), (_b, s) => {
        if (s.batches === 1 && !expired) {
          expired = true;
          r.fake.expireDeltaTokens();
        }
      });
      const resync = api(r.fake).filter((q) => q.path.endsWith('/messages/delta') && q.query.$filter !== undefined);
      expect(resync.map((q) => q.query.$filter)).toEqual([`receivedDateTime ge ${new Date(now - 24 * HOUR).toISOString()}`, `receivedDateTime ge ${new Date(now - 24 * HOUR).toISOString()}`]);
      await expectStoredExactlyOnce(r.store, reportIds(messages));
    });

    it('starts a new round when the committed link belongs to another base_url', async () => {
      const now = T0;
      const messages = generateReportedMessages({ count: 5, start: now - 3 * HOUR, spanMs: 2 * HOUR, mailbox: MAILBOX, seed: 29 });
      const r = await mailRig(messages, now);
      const synced = new Date(now - 90 * 60_000).toISOString();
      const cursor = JSON.stringify({ v: 1, reported_mail: { delta: 'https://graph.microsoft.com/v1.0/users/x/mailFolders/inbox/messages/delta?$deltatoken=abc', synced } });
      const stored: string[] = [];
      for await (const b of mailSource(r, { settle: '1h' }).batches({ cursor, signal: new AbortController().signal })) stored.push(...b.events.map((e) => e.event.id));
      const from = now - 150 * 60_000;
      expect(api(r.fake).find((q) => q.path.endsWith('/messages/delta'))!.query.$filter).toBe(`receivedDateTime ge ${new Date(from).toISOString()}`);
      const expected = messages.filter((m) => Date.parse(m.receivedDateTime!) >= from);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(messages.length);
      expect(stored.sort()).toEqual(reportIds(expected).sort());
    });

    it('also resyncs on resyncRequired, and gives a poll up when every token expires', async () => {
      const now = T0;
      const messages = generateReportedMessages({ count: 25, start: now - 5 * HOUR, spanMs: 4 * HOUR, mailbox: MAILBOX, seed: 26 });
      const r = await mailRig(messages, now);
      r.fake.faults.deltaGoneCode = 'resyncRequired';
      // Every skip token expires as soon as it is handed out.
      const err = await ingest(r, mailSource(r), () => r.fake.expireDeltaTokens()).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', message: expect.stringMatching(/expired the mail delta 4 times/) });
      expect(r.fake.requests.filter((q) => q.status === 410)).toHaveLength(4);
      await ingest(r, mailSource(r));
      await expectStoredExactlyOnce(r.store, reportIds(messages));
    });

    it('skips @removed entries and dead-letters a malformed message while storing the rest of the page', async () => {
      const now = T0;
      const messages = generateReportedMessages({ count: 8, start: now - 5 * HOUR, spanMs: 4 * HOUR, mailbox: MAILBOX, seed: 27 });
      const broken = { ...messages[3]!, from: null, sender: null } as GraphMessage;
      messages[3] = broken;
      const r = await mailRig(messages, now);
      const { stats } = await ingest(r, mailSource(r));
      expect(stats).toMatchObject({ inserted: 7, deadLetters: 1 });
      const dead = await r.store.listDeadLetters({ source: 'graph' });
      expect(dead[0]).toMatchObject({ code: 'FIELD_MISSING', reason: expect.stringMatching(/reported_mail page 1: reported message has no from or sender/) });
      r.fake.removeMessage(messages[0]!.id!);
      const again = await ingest(r, mailSource(r));
      expect(again.stats).toMatchObject({ inserted: 0, deadLetters: 0, events: 0 });
      await expectStoredExactlyOnce(r.store, reportIds(messages.filter((m) => m !== broken)));
    });

    it('names the mailbox setting when the mailbox is wrong or not granted', async () => {
      const r = await mailRig([]);
      const wrong = await ingest(r, mailSource(r, { mailbox: 'nobody@contoso.com' })).catch((e: unknown) => e);
      expect(wrong).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, details: { status: 404, graph_error: 'ErrorInvalidUser' } });
      expect((wrong as Error).message).toMatch(/check mailbox and folder/);
      const r2 = await rig({ mailbox: { address: MAILBOX, messages: [] }, permissions: ['AuditLog.Read.All'] });
      const denied = await ingest(r2, mailSource(r2)).catch((e: unknown) => e);
      expect((denied as Error).message).toMatch(/Mail\.Read.*application access policy includes mailbox phish-reports@contoso\.com/);
    });
  });

  it('follows every stream in one cursor, each resuming from its own position', async () => {
    const now = T0;
    const signIns = generateSignIns({ count: 30, start: now - 3 * HOUR, spanMs: 2 * HOUR, seed: 30 });
    const alerts = generateAlerts({ count: 10, start: now - 3 * HOUR, spanMs: 2 * HOUR, seed: 31 });
    const messages = generateReportedMessages({ count: 10, start: now - 3 * HOUR, spanMs: 2 * HOUR, mailbox: MAILBOX, seed: 32 });
    const r = await rig({ signIns, alerts, mailbox: { address: MAILBOX, messages } }, now);
    const all = { streams: undefined, mailbox: MAILBOX } as Partial<MicrosoftGraphConfigInput>;
    const { stats } = await ingest(r, r.source(all));
    expect(stats.inserted).toBe(50);
    const c = decodeCursor(await r.store.getCursor('graph'));
    expect(c).toMatchObject({ v: 1, sign_ins: new Date(now).toISOString(), security_alerts: new Date(now).toISOString(), reported_mail: { delta: expect.any(String) } });
    const again = await ingest(r, r.source(all));
    expect(again.stats.inserted).toBe(0);
  });

  it('resumes from backfill, warning with the error, when the stored cursor is not its own', async () => {
    const r = await rig({ signIns: generateSignIns({ count: 30, start: T0 - 3 * HOUR, seed: 34 }) });
    const lines: Array<{ level: number; msg: string; err?: { type?: string; message?: string } }> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const batches: SourceBatch[] = [];
    const cursor = '{"cursor":"dbx","watermark":"2024-05-06T00:00:00Z"}';
    for await (const b of r.source({}, { logger }).batches({ cursor, signal: new AbortController().signal })) batches.push(b);
    expect(batches.reduce((n, b) => n + b.events.length, 0)).toBe(30);
    const warning = lines.find((l) => /cursor is unreadable/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, err: { type: 'SaaswatchError', message: expect.stringMatching(/Microsoft Graph cursor/) } });
    // The first window starts at backfill (1d) before the present, as with no cursor at all.
    expect(api(r.fake)[0]!.query.$filter).toMatch(new RegExp(`^createdDateTime ge ${iso(T0 - 24 * HOUR)} `));
    expect(decodeCursor(batches.at(-1)!.cursor).sign_ins).toBe(iso(T0));
  });

  it('stops promptly when aborted in the middle of a Retry-After wait', async () => {
    const r = await rig({ signIns: generateSignIns({ count: 10, start: T0 - HOUR, seed: 33 }), faults: { rateLimited: 1_000, retryAfterSeconds: 60 } });
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 200);
    const { stats } = await ingest(r, r.source({}, { once: false, sleep: undefined }), undefined, ac.signal);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(stats.inserted).toBe(0);
    expect(api(r.fake)).toHaveLength(1);
  });

  it('is registered as a plugin that builds a source from validated config', () => {
    expect(microsoftGraphPlugin.type).toBe('microsoft-graph');
    const config = microsoftGraphPlugin.configSchema.parse({ tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, mailbox: MAILBOX });
    const src = microsoftGraphPlugin.create('m365', config, { logger: silentLogger, dataDir: tmp });
    expect(src).toMatchObject({ name: 'm365', type: 'microsoft-graph' });
  });
});
