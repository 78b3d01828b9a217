import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../core/index.js';
import { SaaswatchError } from '../../core/index.js';
import { REPORTS_SCOPE, type AlertCenterAlert } from '../../fakes/google/index.js';
import { DRIVE_SCOPE } from './client.js';
import type { GoogleWorkspaceConfigInput } from './config.js';
import { decodeCursor } from './poller.js';
import { googleTestBed } from './testing.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const bed = googleTestBed('gw-alerts', { now: () => T0 });
const ALERTS_PATH = '/v1beta1/alerts';

/** Alerts as Alert Center lists them: a suspicious login per user, every 20 minutes back from `to`. */
function suspiciousLogins(n: number, to: number, seed = 0): AlertCenterAlert[] {
  return Array.from({ length: n }, (_, i) => {
    const created = new Date(to - i * 20 * 60_000).toISOString();
    const alertId = `${(seed * 1000 + i).toString(16).padStart(8, '0')}-7b52-4a0c-9d1e-2f6a4b8c0d11`;
    return {
      customerId: '03az79cb',
      alertId,
      createTime: created,
      startTime: new Date(to - i * 20 * 60_000 - 5 * 60_000).toISOString(),
      type: 'Suspicious login',
      source: 'Google identity',
      data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.AccountWarning', email: `user${i % 7}@example.com`, loginDetails: { ipAddress: `203.0.113.${i % 250}`, loginTime: created } },
      metadata: { customerId: '03az79cb', alertId, status: 'NOT_STARTED', severity: 'HIGH', updateTime: created },
      updateTime: created,
      etag: `e${i}`,
    };
  });
}

function config(over: Partial<GoogleWorkspaceConfigInput> = {}) {
  return bed.config({
    customer_id: 'C03az79cb',
    applications: ['login'],
    backfill: '1d',
    settle: '1h',
    // Feedback lists alerts too (alert-feedback.test.ts): off here, so these count the alerts stream's calls alone.
    alert_center: { enabled: true, page_size: 10, base_url: bed.fake.url, feedback: { enabled: false } },
    ...over,
  });
}

const newStore = (): Promise<Store> => bed.store();

const runOnce = (s: Store, cfg: ReturnType<typeof config>, now = T0, logger?: Logger) => bed.pass(s, cfg, { now, ...(logger ? { logger } : {}) });

const alertEvents = async (s: Store) => (await s.queryEvents({ provider: 'google-workspace' })).filter((e) => e.event.dataset === 'google-workspace.alert_center');

describe('Alert Center stream of the google-workspace source against the fake', () => {
  it('reads every page with a createTime filter, as the admin, with the alerts scope, and commits its watermark', async () => {
    const alerts = suspiciousLogins(45, T0 - 60_000);
    const fake = await bed.start({ alerts });
    const s = await newStore();
    await runOnce(s, config());
    const stored = await alertEvents(s);
    expect(new Set(stored.map((e) => e.labels?.alert_id))).toEqual(new Set(alerts.map((a) => a.alertId)));
    expect(stored).toHaveLength(45);

    const calls = fake.requests.filter((r) => r.path === ALERTS_PATH);
    // 45 alerts at 10 a page: five pages, the later four with the token of the one before.
    expect(calls).toHaveLength(5);
    expect(calls.filter((r) => r.query.pageToken)).toHaveLength(4);
    expect(calls[0]!.query).toMatchObject({
      filter: `createTime >= "${new Date(T0 - 24 * HOUR).toISOString()}" AND createTime < "${new Date(T0).toISOString()}"`,
      orderBy: 'create_time asc',
      pageSize: '10',
      // Alert Center wants the customer id without its leading C.
      customerId: '03az79cb',
    });
    expect(new Set(calls.map((r) => r.subject))).toEqual(new Set(['admin@example.com']));
    expect(decodeCursor(await s.getCursor('gw')).alerts).toBe(new Date(T0).toISOString());
  });

  it('rides out 429 with Retry-After, leaves deleted alerts out, and stores an alert once across re-reads and updates', async () => {
    const alerts = suspiciousLogins(12, T0 - 60_000);
    const retracted: AlertCenterAlert = { ...suspiciousLogins(1, T0 - 90_000, 9)[0]!, deleted: true };
    const fake = await bed.start({ alerts: [...alerts, retracted] });
    fake.faults.rateLimitNext(3, 5, { path: ALERTS_PATH });
    const s = await newStore();
    const first = await runOnce(s, config());
    expect(first.delays.filter((d) => d === 5000)).toHaveLength(3);
    expect(fake.requests.filter((r) => r.path === ALERTS_PATH && r.status === 429)).toHaveLength(3);
    expect(await alertEvents(s)).toHaveLength(12);
    expect((await alertEvents(s)).some((e) => e.labels?.alert_id === retracted.alertId)).toBe(false);

    // Thirty minutes later the settle window re-reads the last hour: Google has since updated an
    // alert's status (same alertId) and raised a new one.
    const updated = { ...alerts[0]!, metadata: { ...alerts[0]!.metadata, status: 'IN_PROGRESS' as const, assignee: 'secops@example.com' }, etag: 'changed' };
    const fresh = suspiciousLogins(1, T0 + 20 * 60_000, 5)[0]!;
    fake.addAlerts([updated, fresh]);
    const second = await runOnce(s, config(), T0 + 30 * 60_000);
    expect(second.stats.duplicates).toBeGreaterThan(0);
    const stored = await alertEvents(s);
    expect(stored).toHaveLength(13);
    expect(stored.filter((e) => e.labels?.alert_id === alerts[0]!.alertId)).toHaveLength(1);
    const calls = fake.requests.filter((r) => r.path === ALERTS_PATH && r.status === 200);
    expect(calls.at(-1)!.query.filter).toContain(`createTime >= "${new Date(T0 - HOUR).toISOString()}"`);
  });

  it('skips only the alerts stream when its scope is not delegated: Reports and Drive changes still advance, pass after pass', async () => {
    const delegated = { ...bed.key, delegatedScopes: [REPORTS_SCOPE, DRIVE_SCOPE] };
    let fake = await bed.start({ serviceAccounts: [delegated], alerts: suspiciousLogins(3, T0 - 60_000) });
    const s = await newStore();
    const lines: Array<{ level: number; msg: string; application?: string; code?: string; err?: { code?: string } }> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const cfg = config({ drive: { changes: true } });
    await runOnce(s, cfg, T0, logger);
    expect(fake.requests.filter((r) => r.path === ALERTS_PATH)).toHaveLength(0);
    const first = decodeCursor(await s.getCursor('gw'));
    expect(first.apps.login).toBe(new Date(T0).toISOString());
    expect(first.alerts).toBeUndefined();
    expect(first.drive?.pageToken).toBeDefined();
    expect(lines.filter((l) => l.application === 'alert_center')).toEqual([
      expect.objectContaining({ level: 40, code: 'HTTP_REJECTED', err: expect.objectContaining({ code: 'HTTP_REJECTED' }) }),
    ]);

    // An hour on, a file changed meanwhile: Drive reads it and Reports moves on; the alerts stay unread, nothing lost.
    const file = { id: 'f1', name: 'plan.xlsx', mimeType: 'application/vnd.ms-excel', owners: [{ emailAddress: 'ann@example.com' }] };
    await fake.addChange({ fileId: 'f1', file, time: new Date(T0 + 30 * 60_000).toISOString() });
    await runOnce(s, cfg, T0 + HOUR, logger);
    const second = decodeCursor(await s.getCursor('gw'));
    expect(second.apps.login).toBe(new Date(T0 + HOUR).toISOString());
    expect(second.drive?.pageToken).not.toBe(first.drive?.pageToken);
    expect(second.alerts).toBeUndefined();
    expect((await s.queryEvents({ provider: 'google-workspace' })).filter((e) => e.event.dataset === 'google-workspace.drive_changes')).toHaveLength(1);
    expect(await alertEvents(s)).toHaveLength(0);

    // Once the scope is delegated, the alerts stream catches up from its backfill.
    await fake.close();
    fake = await bed.start({ alerts: suspiciousLogins(3, T0 - 60_000) });
    await runOnce(s, config(), T0 + HOUR);
    expect(await alertEvents(s)).toHaveLength(3);
  });

  it("skips one Reports application Google refuses, the later applications and the alerts still read", async () => {
    const fake = await bed.start({ alerts: suspiciousLogins(3, T0 - 60_000) });
    fake.faults.failNext(1, 403, { path: '/admin/reports/v1/activity/users/all/applications/login' });
    const s = await newStore();
    await runOnce(s, config({ applications: ['login', 'admin'] }));
    const cursor = decodeCursor(await s.getCursor('gw'));
    expect(cursor.apps.login).toBeUndefined();
    expect(cursor.apps.admin).toBe(new Date(T0).toISOString());
    expect(cursor.alerts).toBe(new Date(T0).toISOString());
    expect(await alertEvents(s)).toHaveLength(3);
  });

  it('fails the pass on a retryable error once its retries are spent, after the other streams committed', async () => {
    const fake = await bed.start({ alerts: suspiciousLogins(3, T0 - 60_000) });
    fake.faults.failNext(100, 503, { path: ALERTS_PATH });
    const s = await newStore();
    const exhausted = await runOnce(s, config({ retry: { max_attempts: 3 } })).catch((e: unknown) => e);
    expect(exhausted).toBeInstanceOf(SaaswatchError);
    expect(exhausted).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
    expect(fake.requests.filter((r) => r.path === ALERTS_PATH && r.status === 503)).toHaveLength(3);
    expect(await alertEvents(s)).toHaveLength(0);
    const cursor = decodeCursor(await s.getCursor('gw'));
    expect(cursor.apps.login).toBe(new Date(T0).toISOString());
    expect(cursor.alerts).toBeUndefined();
  });

  it('fails the pass when every stream is refused', async () => {
    const delegated = { ...bed.key, delegatedScopes: [DRIVE_SCOPE] };
    const fake = await bed.start({ serviceAccounts: [delegated], alerts: suspiciousLogins(3, T0 - 60_000) });
    const s = await newStore();
    const err = await runOnce(s, config()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
  });

  it('sends nothing to Alert Center unless enabled', async () => {
    const fake = await bed.start({ alerts: suspiciousLogins(3, T0 - 60_000) });
    const s = await newStore();
    await runOnce(s, config({ alert_center: { enabled: false } }));
    expect(fake.requests.filter((r) => r.path === ALERTS_PATH)).toHaveLength(0);
    expect(decodeCursor(await s.getCursor('gw')).alerts).toBeUndefined();
  });
});
