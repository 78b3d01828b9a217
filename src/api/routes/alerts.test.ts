import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiWorld, NOW, USERS, type ApiWorld } from './testing.js';

let w: ApiWorld;
beforeAll(async () => {
  w = await apiWorld();
});
afterAll(async () => {
  await w?.close();
});

const get = async (url: string) => w.app.inject({ method: 'GET', url, headers: w.as('viewer') });
const post = async (url: string, payload: object = {}) => w.app.inject({ method: 'POST', url, headers: w.as('analyst'), payload });

describe('alert list', () => {
  it('lists newest first and pages every alert exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const body = (await get(`/api/alerts?limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: Array<{ id: string; created_at: string }>; next_cursor: string | null };
      const times = body.items.map((a) => a.created_at);
      expect(times).toEqual([...times].sort().reverse());
      seen.push(...body.items.map((a) => a.id));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(w.alerts.map((a) => a.id).reverse());
  });

  it('filters by severity, rule, user, entity, status and time', async () => {
    const ids = async (q: string) => ((await get(`/api/alerts?limit=500&${q}`)).json().items as Array<{ id: string }>).map((a) => a.id).sort();
    const want = (f: (a: (typeof w.alerts)[number]) => boolean) => w.alerts.filter(f).map((a) => a.id).sort();
    expect(await ids('severity=critical')).toEqual(want((a) => a.severity === 'critical'));
    expect(await ids('rule=impossible-travel')).toEqual(want((a) => a.rule === 'impossible-travel'));
    expect(await ids(`user=${USERS[1]}`)).toEqual(want((a) => a.entity.value === USERS[1]));
    expect(await ids(`entity=user:${USERS[2]}&severity=low`)).toEqual(want((a) => a.entity.value === USERS[2] && a.severity === 'low'));
    const from = new Date(NOW - 5 * 3_600_000).toISOString();
    expect(await ids(`from=${from}`)).toEqual(want((a) => Date.parse(a.createdAt) >= NOW - 5 * 3_600_000));
    expect(await ids('status=closed')).toEqual([]);
  });

  it('refuses an unknown severity and a bad limit, naming the field', async () => {
    for (const [q, field] of [['severity=urgent', 'query.severity'], ['limit=abc', 'query.limit'], ['status=done', 'query.status'], ['cursor=e30', 'query.cursor']] as const) {
      const res = await get(`/api/alerts?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.field).toBe(field);
    }
  });
});

describe('alert detail', () => {
  it('explains the alert with its evidence events and travel points', async () => {
    const res = await get('/api/alerts/alert-024');
    expect(res.statusCode).toBe(200);
    const d = res.json();
    expect(d.alert).toMatchObject({ id: 'alert-024', observed: { failures: 34 }, expected: { failures: 2 }, muted: false });
    expect(d.explanation).toEqual({ text: '24 things seen, expected fewer', observed: { failures: 34 }, expected: { failures: 2 } });
    expect(d.evidence.map((e: { event: { id: string } }) => e.event.id)).toEqual(w.alerts[24]!.evidence);
    expect(d.travel).toHaveLength(12);
    expect(d.travel.map((t: { time: string }) => t.time)).toEqual([...d.travel.map((t: { time: string }) => t.time)].sort());
    expect(d.travel.map((t: { country: string }) => t.country)).toContain('BR');
    expect(d.mute).toBeNull();
    expect((await get('/api/alerts/no-such-alert')).statusCode).toBe(404);
  });
});

describe('triage', () => {
  it('acks, closes, assigns, each in the audit log with the API actor', async () => {
    const ack = await post('/api/alerts/alert-010/ack', { reason: 'on it' });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ id: 'alert-010', status: 'acknowledged' });
    const assign = await post('/api/alerts/alert-010/assign', { assignee: 'ana@example.com' });
    expect(assign.json()).toMatchObject({ assignee: 'ana@example.com' });
    expect(((await get('/api/alerts?assignee=ana@example.com')).json().items as Array<{ id: string }>).map((a) => a.id)).toEqual(['alert-010']);
    expect((await get('/api/alerts?assignee=none&limit=500')).json().items).toHaveLength(24);
    const close = await post('/api/alerts/alert-010/close', { reason: 'handled' });
    expect(close.json()).toMatchObject({ status: 'closed', assignee: 'ana@example.com' });
    const unassign = await post('/api/alerts/alert-010/assign', { assignee: null });
    expect(unassign.json().assignee).toBeNull();
    const audit = (await get('/api/audit?subject=alert-010')).json().items as Array<{ action: string; actor: string; details: Record<string, unknown> }>;
    expect(audit.map((a) => a.action)).toEqual(['alert-assign', 'alert-close', 'alert-assign', 'alert-ack']);
    expect(audit.every((a) => a.actor === 'api:analyst@example.com')).toBe(true);
    expect(audit[3]!.details).toMatchObject({ alert: 'alert-010', from: 'open', reason: 'on it' });
    const detail = (await get('/api/alerts/alert-010')).json();
    expect(detail.audit.map((a: { action: string }) => a.action)).toEqual(['alert-assign', 'alert-close', 'alert-assign', 'alert-ack']);
    expect((await post('/api/alerts/nope/ack')).statusCode).toBe(404);
  });

  it('a false positive closes the alert and mutes its rule and entity; the detail shows the mute', async () => {
    const res = await post('/api/alerts/alert-011/false-positive', { reason: 'test account', mute_days: 7 });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('closed');
    const mutes = await w.store.listMutes({ activeAt: NOW });
    expect(mutes[0]).toMatchObject({ rule: w.alerts[11]!.rule, entity: w.alerts[11]!.entity, until: NOW + 7 * 86_400_000, source: 'feedback', actor: 'api:analyst@example.com', alertId: 'alert-011' });
    const audit = (await get('/api/audit?subject=alert-011')).json().items.map((a: { action: string }) => a.action);
    expect(audit).toEqual(['alert-close', 'mute']);
  });

  it('mutes an alert\'s pattern (a reason is required) and bulk-acks open alerts', async () => {
    const noReason = await post('/api/alerts/alert-012/mute', {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.field).toBe('body.reason');
    const muted = await post('/api/alerts/alert-012/mute', { reason: 'maintenance window', days: 1 });
    expect(muted.statusCode).toBe(200);
    expect((await w.store.listMutes())[0]).toMatchObject({ source: 'api', reason: 'maintenance window', until: NOW + 86_400_000 });
    const bulk = await post('/api/alerts/ack', { ids: ['alert-013', 'alert-014', 'alert-010', 'missing'] });
    expect(bulk.json()).toEqual({ updated: 2 });
    expect((await w.store.getAlert('alert-013'))!.status).toBe('acknowledged');
    expect((await post('/api/alerts/ack', { ids: [] })).statusCode).toBe(400);
  });
});
