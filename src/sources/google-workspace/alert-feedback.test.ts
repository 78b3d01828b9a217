import { describe, expect, it } from 'vitest';
import type { Store } from '../../core/index.js';
import { Redactor } from '../../core/index.js';
import type { AlertCenterAlert, AlertCenterFeedback } from '../../fakes/google/index.js';
import { BUILTIN_RULES_DIR, SigmaEngine, loadRuleDirs } from '../../detection/sigma/index.js';
import { ALERTS_SCOPE, alertCenterRoot, createJwt } from './client.js';
import type { GoogleWorkspaceConfigInput } from './config.js';
import { normalizeExample, normalizeFeedback } from './normalize.js';
import { decodeCursor, emptyCursor, FEEDBACK, pollFeedback, type CursorState, type PollContext } from './poller.js';
import { googleTestBed } from './testing.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const bed = googleTestBed('gw-feedback', { now: () => T0 });
const WILDCARD = '/v1beta1/alerts/-/feedback';
const CUSTOMER = '03az79cb';

/** Alert Center alerts as Google lists them: a suspicious login for user<i>, `created` epoch ms each. */
function alert(i: number, created: number, over: Partial<AlertCenterAlert> = {}): AlertCenterAlert {
  const alertId = `${i.toString(16).padStart(8, '0')}-3c1e-4b7a-9d2f-6e8a0b1c2d3e`;
  const t = new Date(created).toISOString();
  return {
    customerId: CUSTOMER,
    alertId,
    createTime: t,
    startTime: new Date(created - 5 * 60_000).toISOString(),
    type: 'Suspicious login',
    source: 'Google identity',
    data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.AccountWarning', email: `user${i}@example.com`, loginDetails: { ipAddress: '203.0.113.9', loginTime: t } },
    metadata: { customerId: CUSTOMER, alertId, status: 'NOT_STARTED', severity: 'HIGH', updateTime: t },
    updateTime: t,
    ...over,
  };
}

/** An admin's rating of `a`, given at `at`. */
function feedback(a: AlertCenterAlert, n: number, at: number, type: AlertCenterFeedback['type'] = 'NOT_USEFUL', email = 'secops.lead@example.com'): AlertCenterFeedback {
  return { customerId: CUSTOMER, alertId: a.alertId, feedbackId: `fb-${a.alertId.slice(0, 8)}-${n}`, createTime: new Date(at).toISOString(), type, email };
}

function config(over: Partial<GoogleWorkspaceConfigInput> = {}, feedbackOver: Record<string, unknown> = {}) {
  return bed.config({
    customer_id: `C${CUSTOMER}`,
    applications: ['login'],
    backfill: '1d',
    settle: '1h',
    alert_center: { enabled: true, page_size: 10, base_url: bed.fake.url, feedback: { lookback: '7d', ...feedbackOver } },
    ...over,
  });
}

const newStore = (): Promise<Store> => bed.store();

/** One pass of a fresh source instance (a restart each time) into `s`. */
const runOnce = (s: Store, cfg: ReturnType<typeof config>, now = T0) => bed.pass(s, cfg, { now });

const feedbackEvents = async (s: Store) => (await s.queryEvents({ provider: 'google-workspace' })).filter((e) => e.event.dataset === 'google-workspace.alert_feedback');
const feedbackCalls = () => bed.fake.requests.filter((r) => r.path.endsWith('/feedback'));

/** pollFeedback alone, as the source's session calls it, with what it yielded. */
async function pollDirect(cfg: ReturnType<typeof config>, state: CursorState, now: number, ctxOver: Partial<PollContext> = {}) {
  const auth = createJwt(cfg, { client_email: bed.key.json.client_email, private_key: bed.key.json.private_key }, new Redactor(), { subject: cfg.subject, scopes: [ALERTS_SCOPE] });
  const ctx: PollContext = {
    source: 'gw',
    config: cfg,
    retry: { maxAttempts: 3, initialMs: 1, maxMs: 2, signal: new AbortController().signal, sleep: async () => {} },
    now: () => now,
    orgDomain: 'example.com',
    promised: new Map(),
    ...ctxOver,
  };
  const batches = [];
  for await (const b of pollFeedback({ auth, root: alertCenterRoot(cfg) }, state, ctx)) batches.push(b);
  return { batches, events: batches.flatMap((b) => b.events), ctx };
}

describe('Alert Center feedback stream against the fake', () => {
  it('reads every alert of the look-back newest first and stores each feedback once, by its giver, tied to its alert', async () => {
    const alerts = Array.from({ length: 25 }, (_, i) => alert(i + 1, T0 - (i + 1) * 3 * HOUR));
    const given = [
      feedback(alerts[0]!, 1, T0 - 2 * HOUR),
      feedback(alerts[0]!, 2, T0 - 90 * 60_000, 'VERY_USEFUL', 'analyst@example.com'),
      feedback(alerts[12]!, 1, T0 - 30 * HOUR, 'SOMEWHAT_USEFUL'),
      // The alert's own account rating it: the self-dismissal labels.own_alert marks.
      feedback(alerts[24]!, 1, T0 - 70 * HOUR, 'NOT_USEFUL', 'user25@example.com'),
    ];
    const fake = await bed.start({ alerts, alertFeedback: given });
    const s = await newStore();
    await runOnce(s, config());
    const stored = await feedbackEvents(s);
    expect(stored.map((e) => e.labels?.feedback_id).sort()).toEqual(given.map((f) => f.feedbackId).sort());
    const own = stored.find((e) => e.labels?.feedback_id === given[3]!.feedbackId)!;
    expect(own).toMatchObject({
      '@timestamp': given[3]!.createTime,
      event: { kind: 'event', action: 'alert_feedback', category: ['intrusion_detection'], dataset: 'google-workspace.alert_feedback' },
      user: { email: 'user25@example.com' },
      labels: { alert_id: alerts[24]!.alertId, feedback_type: 'NOT_USEFUL', alert_type: 'Suspicious login', alert_payload: 'AccountWarning', alert_user: 'user25@example.com', own_alert: 'true' },
      raw: given[3],
    });
    expect(stored.find((e) => e.labels?.feedback_id === given[1]!.feedbackId)!.labels).toMatchObject({ own_alert: 'false', feedback_type: 'VERY_USEFUL' });
    // The alert event and its feedback share labels.alert_id.
    const alertEvent = (await s.queryEvents({ provider: 'google-workspace' })).find((e) => e.event.dataset === 'google-workspace.alert_center' && e.labels?.alert_id === alerts[0]!.alertId);
    expect(alertEvent).toBeDefined();

    // 25 alerts over 75 hours, listed 10 a page newest first within seven days; 20 then 5 asked about per call.
    const listing = fake.requests.filter((r) => r.path === '/v1beta1/alerts' && r.query.orderBy === 'create_time desc');
    expect(listing).toHaveLength(3);
    expect(listing[0]!.query).toMatchObject({ filter: `createTime >= "${new Date(T0 - 7 * DAY).toISOString()}" AND createTime < "${new Date(T0).toISOString()}"`, customerId: CUSTOMER });
    const calls = feedbackCalls();
    expect(calls.map((c) => c.path)).toEqual([WILDCARD, WILDCARD]);
    expect(calls[0]!.query.filter).toBe(alerts.slice(0, 20).map((a) => `alertId = "${a.alertId}"`).join(' OR '));
    expect(calls[0]!.query.customerId).toBe(CUSTOMER);
    expect(new Set(calls.map((c) => c.subject))).toEqual(new Set(['admin@example.com']));

    // A restart an hour on: the feedback is asked about again, but nothing is emitted twice.
    const cursor = decodeCursor(await s.getCursor('gw'));
    expect(Object.keys(cursor.feedback!.seen).sort()).toEqual(given.map((f) => f.feedbackId).sort());
    expect(cursor.feedback!.resume).toBeUndefined();
    const again = await pollDirect(config(), cursor, T0 + HOUR);
    expect(again.events).toHaveLength(0);
    await runOnce(s, config(), T0 + HOUR);
    expect(await feedbackEvents(s)).toHaveLength(4);
  });

  it('finds feedback given today on an alert from days ago, older than the alerts backfill', async () => {
    const old = alert(7, T0 - 3 * DAY, {
      type: 'Government attack warning',
      data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.StateSponsoredAttack', email: 'cfo@example.com' },
    });
    const recent = alert(8, T0 - 2 * HOUR);
    const fake = await bed.start({ alerts: [old, recent] });
    const s = await newStore();
    await runOnce(s, config());
    expect(await feedbackEvents(s)).toHaveLength(0);
    // The alerts stream (backfill 1d) never listed it: the feedback stream's look-back does.
    expect((await s.queryEvents({ provider: 'google-workspace' })).some((e) => e.labels?.alert_id === old.alertId && e.event.dataset === 'google-workspace.alert_center')).toBe(false);

    const late = feedback(old, 1, T0 + 50 * 60_000, 'NOT_USEFUL', 'it.admin@example.com');
    fake.addAlertFeedback([late]);
    await runOnce(s, config(), T0 + HOUR);
    const stored = await feedbackEvents(s);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      '@timestamp': late.createTime,
      user: { email: 'it.admin@example.com' },
      labels: { alert_id: old.alertId, alert_type: 'Government attack warning', alert_payload: 'StateSponsoredAttack', alert_user: 'cfo@example.com', own_alert: 'false' },
    });

    // Eight days on the alert is past the look-back: it is no longer asked about, and its seen feedback is dropped.
    const before = feedbackCalls().length;
    await runOnce(s, config(), T0 + 8 * DAY);
    expect(feedbackCalls().length).toBe(before);
    expect(decodeCursor(await s.getCursor('gw')).feedback!.seen).toEqual({});
  });

  it('rides out 429 with Retry-After on feedback calls and skips an alert deleted since it was listed (404)', async () => {
    const alerts = Array.from({ length: 3 }, (_, i) => alert(i + 1, T0 - (i + 1) * HOUR));
    let fake = await bed.start({ alerts, alertFeedback: alerts.map((a) => feedback(a, 1, T0 - 10 * 60_000)) });
    fake.faults.rateLimitNext(2, 7, { path: WILDCARD });
    const s = await newStore();
    const { delays } = await runOnce(s, config());
    expect(delays.filter((d) => d === 7000)).toHaveLength(2);
    expect(feedbackCalls().filter((c) => c.status === 429)).toHaveLength(2);
    expect(await feedbackEvents(s)).toHaveLength(3);

    // One alert a call; the newest alert's call answers 404: it is skipped, the others still read.
    await fake.close();
    fake = await bed.start({ alerts, alertFeedback: alerts.map((a) => feedback(a, 2, T0 - 5 * 60_000)) });
    fake.faults.failNext(1, 404, { path: `/v1beta1/alerts/${alerts[0]!.alertId}/feedback` });
    const s2 = await newStore();
    await runOnce(s2, config({}, { alerts_per_call: 1 }));
    expect(feedbackCalls().map((c) => [c.path, c.status])).toEqual(alerts.map((a, i) => [`/v1beta1/alerts/${a.alertId}/feedback`, i === 0 ? 404 : 200]));
    expect((await feedbackEvents(s2)).map((e) => e.labels?.alert_id).sort()).toEqual([alerts[1]!.alertId, alerts[2]!.alertId].sort());
  });

  it('keeps to max_calls a pass, resumes where the cap stopped, and promises a watermark only after a whole rotation', async () => {
    const alerts = Array.from({ length: 9 }, (_, i) => alert(i + 1, T0 - (i + 1) * HOUR));
    const fake = await bed.start({ alerts, alertFeedback: alerts.map((a) => feedback(a, 1, T0 - 30 * 60_000)) });
    // A page of 10 and two alerts a call: a pass of three calls lists once and asks about four alerts.
    const cfg = config({}, { alerts_per_call: 2, max_calls: 3 });
    let state = emptyCursor();
    const promised = new Map<string, number>();
    const seenPerPass: number[] = [];
    for (let pass = 0; pass < 3; pass++) {
      const apiCalls = () => bed.fake.requests.filter((r) => r.path.startsWith('/v1beta1/')).length;
      const before = apiCalls();
      // A new context each pass, as `run --once` from cron has: the rotation's start lives in the cursor.
      const out = await pollDirect(cfg, state, T0 + pass * 60_000, { promised });
      expect(apiCalls() - before).toBeLessThanOrEqual(3);
      seenPerPass.push(out.events.length);
      state = out.batches.at(-1)!.state!;
      if (pass < 2) expect(promised.get(FEEDBACK)).toBeUndefined();
    }
    // Each resumed pass asks again about the last alert before the cut (its createTime + 1 ms bound), whose feedback is not emitted twice.
    expect(seenPerPass).toEqual([4, 3, 2]);
    expect(state.feedback!.resume).toBeUndefined();
    expect(state.feedback!.since).toBeUndefined();
    // The next run starts mid-rotation (cut by its cap) yet holds no detector back: the promise was kept in the cursor.
    const fresh = new Map<string, number>();
    await pollDirect(cfg, state, T0 + 10 * 60_000, { promised: fresh });
    expect(fresh.get(FEEDBACK)).toBe(T0 - HOUR);
    // The rotation began with the first pass: feedback from before it, less settle, is all in.
    expect(promised.get(FEEDBACK)).toBe(T0 - HOUR);
    // The second pass asked only about alerts older than the first pass's last one.
    const listings = fake.requests.filter((r) => r.path === '/v1beta1/alerts');
    expect(listings[1]!.query.filter).toContain(`createTime < "${new Date(Date.parse(alerts[3]!.createTime) + 1).toISOString()}"`);
  });

  it('moves on every pass even when its calls run out before a chunk fills (pages smaller than a chunk)', async () => {
    const alerts = Array.from({ length: 7 }, (_, i) => alert(i + 1, T0 - (i + 1) * HOUR));
    await bed.start({ alerts, alertFeedback: alerts.map((a) => feedback(a, 1, T0 - 30 * 60_000)) });
    // Two calls a pass: one listing page of three, then the three asked about, not a second page.
    const cfg = config({ alert_center: { enabled: true, page_size: 3, base_url: bed.fake.url, feedback: { lookback: '7d', alerts_per_call: 20, max_calls: 2 } } });
    let state = emptyCursor();
    const promised = new Map<string, number>();
    let found = 0;
    for (let pass = 0; pass < 6 && promised.get(FEEDBACK) === undefined; pass++) {
      const out = await pollDirect(cfg, state, T0 + pass * 60_000, { promised });
      found += out.events.length;
      state = out.batches.at(-1)!.state!;
    }
    expect(found).toBe(7);
    expect(promised.get(FEEDBACK)).toBe(T0 - HOUR);
  });

  it('stops within a second when aborted while Google asks to wait a minute', async () => {
    const alerts = [alert(1, T0 - HOUR)];
    const fake = await bed.start({ alerts, alertFeedback: [feedback(alerts[0]!, 1, T0 - 10 * 60_000)] });
    fake.faults.rateLimitNext(100, 60, { path: WILDCARD.replace('-', alerts[0]!.alertId) });
    const controller = new AbortController();
    const cfg = config({}, { alerts_per_call: 1 });
    const auth = createJwt(cfg, { client_email: bed.key.json.client_email, private_key: bed.key.json.private_key }, new Redactor(), { subject: cfg.subject, scopes: [ALERTS_SCOPE] });
    const ctx: PollContext = {
      source: 'gw',
      config: cfg,
      retry: { maxAttempts: 6, initialMs: 100, maxMs: 120_000, signal: controller.signal },
      now: () => T0,
      orgDomain: 'example.com',
      promised: new Map(),
    };
    const started = performance.now();
    setTimeout(() => controller.abort(), 300);
    const run = (async () => {
      for await (const _ of pollFeedback({ auth, root: alertCenterRoot(cfg) }, emptyCursor(), ctx)) void _;
    })();
    await run.catch(() => undefined);
    expect(performance.now() - started).toBeLessThan(1300);
    expect(feedbackCalls().filter((c) => c.status === 429).length).toBeGreaterThan(0);
  });

  it("gives the pack's rule what it needs: the named admin's NOT_USEFUL on a compromise alert about them is reported, another admin's is not", async () => {
    const mine = alert(31, T0 - 5 * HOUR, { data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.AccountWarning', email: 'it.admin@example.com' } });
    const theirs = alert(32, T0 - 4 * HOUR, { type: 'Leaked password', data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.AccountWarning', email: 'hr.admin@example.com' } });
    const fake = await bed.start({
      alerts: [mine, theirs],
      alertFeedback: [feedback(mine, 1, T0 - 3 * HOUR, 'NOT_USEFUL', 'it.admin@example.com'), feedback(theirs, 1, T0 - 2 * HOUR, 'NOT_USEFUL', 'secops.lead@example.com')],
    });
    const s = await newStore();
    await runOnce(s, config());
    const events = (await s.queryEvents({ provider: 'google-workspace' })).sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']));
    expect(events.filter((e) => e.event.dataset.endsWith('alert_feedback'))).toHaveLength(2);
    const engine = new SigmaEngine(loadRuleDirs([BUILTIN_RULES_DIR]), { minLevel: 'informational' });
    const findings = [...events.flatMap((e) => engine.observe(e)), ...engine.flush({ final: true })].filter((f) => f.rule === 'rules/google-workspace/alert-dismissed-by-subject');
    expect(findings.map((f) => f.entity.value)).toEqual([`${mine.alertId}|it.admin@example.com`]);
  });

  it('sends no feedback call when feedback is off', async () => {
    const alerts = [alert(1, T0 - HOUR)];
    const fake = await bed.start({ alerts, alertFeedback: [feedback(alerts[0]!, 1, T0 - 10 * 60_000)] });
    const s = await newStore();
    await runOnce(s, config({}, { enabled: false }));
    expect(feedbackCalls()).toHaveLength(0);
    expect(fake.requests.filter((r) => r.query.orderBy === 'create_time desc')).toHaveLength(0);
    expect(decodeCursor(await s.getCursor('gw')).feedback).toBeUndefined();
  });
});

describe('normalizeFeedback', () => {
  const record = { customerId: CUSTOMER, alertId: '9f1c2d3e-3c1e-4b7a-9d2f-6e8a0b1c2d3e', feedbackId: 'fb-9f1c2d3e-1', createTime: '2026-03-02T08:00:00Z', type: 'NOT_USEFUL', email: 'secops.lead@example.com' };

  it('keys the event on alertId and feedbackId alone, so a re-read collapses', () => {
    const a = normalizeFeedback(record, { source: 'gw', ingested: '2026-03-02T09:00:00.000Z' }).events[0]!;
    const b = normalizeFeedback({ ...record }, { source: 'gw', ingested: '2026-03-02T10:00:00.000Z', alert: { type: 'Leaked password' } }).events[0]!;
    const other = normalizeFeedback({ ...record, feedbackId: 'fb-9f1c2d3e-2' }, { source: 'gw', ingested: '2026-03-02T09:00:00.000Z' }).events[0]!;
    expect(a.event.id).toBe(b.event.id);
    expect(a.event.id).not.toBe(other.event.id);
    expect(a.labels).toEqual({ alert_id: record.alertId, feedback_id: record.feedbackId, feedback_type: 'NOT_USEFUL' });
  });

  it('dead-letters feedback without ids or a valid time', () => {
    expect(normalizeFeedback({ ...record, feedbackId: null }, { source: 'gw', ingested: record.createTime }).deadLetters[0]).toMatchObject({ code: 'FIELD_MISSING' });
    expect(normalizeFeedback({ ...record, createTime: 'yesterday' }, { source: 'gw', ingested: record.createTime }).deadLetters[0]).toMatchObject({ code: 'TIMESTAMP_INVALID' });
  });

  it('reads a rule example with a feedbackId as feedback, not as an alert', () => {
    const [e] = normalizeExample(record, '2026-03-02T08:30:00.000Z');
    expect(e).toMatchObject({ '@timestamp': '2026-03-02T08:30:00.000Z', event: { action: 'alert_feedback', kind: 'event' }, user: { email: 'secops.lead@example.com' } });
  });
});
