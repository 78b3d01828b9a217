import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../context.js';
import { apiWorld, NOW, USERS, type ApiWorld } from './testing.js';

let w: ApiWorld;
beforeAll(async () => {
  w = await apiWorld();
});
afterAll(async () => {
  await w?.close();
});

const get = async (url: string, role: Role = 'viewer') => w.app.inject({ method: 'GET', url, headers: w.as(role) });

/** Every data route with the least role that may call it; the OpenAPI check below makes sure none is missing. */
const ROUTE_TABLE: Array<{ method: 'GET' | 'POST' | 'DELETE'; path: string; url: string; role: Role; body?: unknown }> = [
  { method: 'GET', path: '/api/me', url: '/api/me', role: 'viewer' },
  { method: 'GET', path: '/api/overview', url: '/api/overview', role: 'viewer' },
  { method: 'GET', path: '/api/events', url: '/api/events', role: 'viewer' },
  { method: 'GET', path: '/api/events/{id}', url: '/api/events/nope', role: 'viewer' },
  { method: 'GET', path: '/api/alerts', url: '/api/alerts', role: 'viewer' },
  { method: 'GET', path: '/api/alerts/{id}', url: '/api/alerts/alert-001', role: 'viewer' },
  { method: 'POST', path: '/api/alerts/{id}/ack', url: '/api/alerts/alert-001/ack', role: 'analyst', body: {} },
  { method: 'POST', path: '/api/alerts/{id}/close', url: '/api/alerts/alert-002/close', role: 'analyst', body: {} },
  { method: 'POST', path: '/api/alerts/{id}/false-positive', url: '/api/alerts/alert-003/false-positive', role: 'analyst', body: {} },
  { method: 'POST', path: '/api/alerts/{id}/assign', url: '/api/alerts/alert-004/assign', role: 'analyst', body: { assignee: 'ana@example.com' } },
  { method: 'POST', path: '/api/alerts/{id}/mute', url: '/api/alerts/alert-005/mute', role: 'analyst', body: { reason: 'lab', days: 1 } },
  { method: 'POST', path: '/api/alerts/ack', url: '/api/alerts/ack', role: 'analyst', body: { ids: ['alert-006'] } },
  { method: 'GET', path: '/api/users', url: '/api/users', role: 'viewer' },
  { method: 'GET', path: '/api/users/{user}', url: `/api/users/${USERS[1]}`, role: 'viewer' },
  { method: 'GET', path: '/api/files', url: '/api/files', role: 'viewer' },
  { method: 'GET', path: '/api/files/{key}', url: '/api/files/dropbox:file-a', role: 'viewer' },
  { method: 'GET', path: '/api/blocked', url: '/api/blocked', role: 'viewer' },
  { method: 'POST', path: '/api/blocked', url: '/api/blocked', role: 'analyst', body: { user: 'guard@example.com', reason: 'table test' } },
  { method: 'DELETE', path: '/api/blocked/{user}', url: '/api/blocked/guard@example.com?reason=done', role: 'analyst' },
  { method: 'GET', path: '/api/actions/offers', url: '/api/actions/offers?target=guard@example.com', role: 'viewer' },
  { method: 'POST', path: '/api/actions', url: '/api/actions', role: 'analyst', body: { action: 'block-user', target: 'guard@example.com', reason: 'table test', execute: false } },
  { method: 'GET', path: '/api/actions', url: '/api/actions', role: 'viewer' },
  { method: 'GET', path: '/api/identities', url: '/api/identities', role: 'viewer' },
  { method: 'GET', path: '/api/sources', url: '/api/sources', role: 'viewer' },
  { method: 'GET', path: '/api/rules', url: '/api/rules', role: 'viewer' },
  { method: 'POST', path: '/api/rules/test', url: '/api/rules/test', role: 'analyst', body: { rule: 'x', events: [{ event: {} }] } },
  { method: 'GET', path: '/api/audit', url: '/api/audit', role: 'viewer' },
];

const BELOW: Record<Role, Role | undefined> = { viewer: undefined, analyst: 'viewer', admin: 'analyst' };

describe('every route is guarded', () => {
  it('the table lists every route of the OpenAPI document', async () => {
    const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, Record<string, { summary?: string; tags?: string[] }>> };
    const documented = Object.entries(doc.paths)
      .filter(([p]) => !p.startsWith('/api/auth') && !p.startsWith('/api/accounts') && !p.startsWith('/api/tokens'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual(ROUTE_TABLE.map((r) => `${r.method} ${r.path}`).sort());
    for (const [p, ops] of Object.entries(doc.paths)) for (const op of Object.values(ops)) expect(op.summary, p).toBeTruthy();
  });

  it.each(ROUTE_TABLE)('$method $path: 401 without credentials, 403 below $role, allowed at $role', async (r) => {
    const send = (headers: Record<string, string>) => w.app.inject({ method: r.method, url: r.url, headers, ...(r.body === undefined ? {} : { payload: r.body as object }) });
    expect((await send({})).statusCode).toBe(401);
    const below = BELOW[r.role];
    if (below) {
      const res = await send(w.as(below));
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect([401, 403]).not.toContain((await send(w.as(r.role))).statusCode);
  });
});

describe('overview', () => {
  it('charts events by source, counts alerts, ranks users and shows sources', async () => {
    const res = await get('/api/overview');
    expect(res.statusCode).toBe(200);
    const o = res.json();
    expect(o.to).toBe(new Date(NOW).toISOString());
    expect(o.events_by_source.map((s: { source: string }) => s.source)).toEqual(['dropbox', 'google-workspace']);
    const total = o.events_by_source.flatMap((s: { points: [string, number][] }) => s.points.map((p) => p[1])).reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(w.events.length);
    expect(o.totals.events).toBe(w.events.length);
    const sev = o.alerts_by_severity;
    expect(sev.low + sev.medium + sev.high + sev.critical).toBe(o.totals.alerts);
    expect(o.top_risky_users[0]).toMatchObject({ user: expect.any(String), risk: expect.any(Number) });
    expect(o.top_risky_users.map((u: { risk: number }) => u.risk)).toEqual([...o.top_risky_users.map((u: { risk: number }) => u.risk)].sort((a, b) => b - a));
    expect(o.sources.find((s: { name: string }) => s.name === 'google')).toMatchObject({ cursor: 'page-42', dead_letters: 1, type: 'google-workspace' });
  });

  it('400 names the field for a bad time', async () => {
    const res = await get('/api/overview?from=yesterday');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe('query.from');
  });
});

describe('events', () => {
  it('searches by user and IP newest first, and pages every event exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/api/events?user=${encodeURIComponent(USERS[0])}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: Array<{ '@timestamp': string; event: { id: string }; raw?: unknown }>; next_cursor: string | null };
      for (const e of body.items) expect(e.raw).toBeUndefined();
      seen.push(...body.items.map((e) => e.event.id));
      const times = body.items.map((e) => e['@timestamp']);
      expect(times).toEqual([...times].sort().reverse());
      cursor = body.next_cursor;
      pages++;
    } while (cursor);
    const mine = w.events.filter((e) => e.user?.email === USERS[0]).map((e) => e.event.id);
    expect(seen.sort()).toEqual(mine.sort());
    expect(pages).toBe(Math.ceil(mine.length / 7) + (mine.length % 7 === 0 ? 1 : 0));
    const byIp = (await get('/api/events?ip=203.0.113.9&limit=500')).json();
    expect(byIp.items.length).toBe(w.events.filter((e) => e.source?.ip === '203.0.113.9').length);
    expect(byIp.next_cursor).toBeNull();
  });

  it('filters by file, action, source and time; gives one event with raw', async () => {
    const byFile = (await get('/api/events?file=file-a&limit=500')).json();
    expect(byFile.items.length).toBe(w.events.filter((e) => e.file?.id === 'file-a').length);
    expect(byFile.items.every((e: { file: { id: string } }) => e.file.id === 'file-a')).toBe(true);
    const from = new Date(NOW - 3_600_000).toISOString();
    const recent = (await get(`/api/events?source=google-workspace&action=login_success&from=${from}&limit=500`)).json();
    expect(recent.items.length).toBe(w.events.filter((e) => e.event.provider === 'google-workspace' && e.event.action === 'login_success' && Date.parse(e['@timestamp']) >= NOW - 3_600_000).length);
    const one = w.events[5]!;
    const res = await get(`/api/events/${one.event.id}?at=${one['@timestamp']}`);
    expect(res.json()).toEqual(JSON.parse(JSON.stringify(one)));
    expect((await get(`/api/events/${one.event.id}`)).json().raw).toEqual(one.raw);
  });

  it('answers 400 naming the field, and 404 for an unknown event', async () => {
    for (const [url, field] of [['/api/events?limit=abc', 'query.limit'], ['/api/events?limit=501', 'query.limit'], ['/api/events?cursor=garbage', 'query.cursor'], ['/api/events?to=soon', 'query.to']] as const) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INPUT_MALFORMED', field });
    }
    const missing = await get('/api/events/no-such-event');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });
});

describe('users', () => {
  it('ranks users by open alerts weighted by severity', async () => {
    const items = (await get('/api/users')).json().items as Array<{ user: string; risk: number; last_seen: string | null }>;
    expect(items.map((u) => u.user).sort()).toEqual([...USERS].sort());
    expect(items.map((u) => u.risk)).toEqual(items.map((u) => u.risk).sort((a, b) => b - a));
    expect(items.every((u) => u.last_seen !== null)).toBe(true);
  });

  it('gives a user page: countries, ASNs, devices, logins, activity, alerts, timeline, identities', async () => {
    const res = await get(`/api/users/${USERS[0]}`);
    expect(res.statusCode).toBe(200);
    const u = res.json();
    expect(u.countries.map((c: { code: string }) => c.code)).toEqual(['DE', 'BR']);
    expect(u.asns.map((a: { asn: number }) => a.asn)).toEqual([3320, 28573]);
    expect(u.devices).toHaveLength(2);
    expect(u.logins.length).toBeGreaterThan(50);
    expect(u.logins[0]).toMatchObject({ country: expect.any(String), lat: expect.any(Number), outcome: expect.any(String) });
    expect(u.identities).toEqual([{ source: 'dropbox', source_id: 'dbid:AAA' }]);
    expect(u.timeline).toHaveLength(50);
    expect(u.activity.map((a: { action: string }) => a.action).sort()).toEqual(['download', 'login_success']);
    expect(u.alerts.every((a: { entity: { value: string } }) => a.entity.value === USERS[0])).toBe(true);
    expect(u.risk.open_alerts).toBe(u.risk.by_severity.low + u.risk.by_severity.medium + u.risk.by_severity.high + u.risk.by_severity.critical);
    const unknown = await get('/api/users/nobody@example.com');
    expect(unknown.statusCode).toBe(404);
  });
});

describe('files, identities, sources, rules, blocked', () => {
  it('lists files by visibility and shows who accessed one', async () => {
    expect((await get('/api/files')).json().items.map((f: { key: string }) => f.key)).toEqual(['dropbox:file-a', 'dropbox:file-b']);
    const ext = (await get('/api/files?external=true')).json().items;
    expect(ext).toHaveLength(1);
    expect(ext[0]).toMatchObject({ key: 'dropbox:file-a', external_shares: ['partner.io'], visibility: 'external' });
    const page1 = (await get('/api/files?limit=1')).json();
    const page2 = (await get(`/api/files?limit=1&cursor=${page1.next_cursor}`)).json();
    expect([...page1.items, ...page2.items].map((f: { key: string }) => f.key)).toEqual(['dropbox:file-a', 'dropbox:file-b']);
    const one = (await get('/api/files/dropbox:file-a')).json();
    expect(one.downloads).toBe(w.events.filter((e) => e.file?.id === 'file-a').length);
    expect(one.accessed_by.map((a: { user: string }) => a.user).sort()).toEqual([...USERS].sort());
    expect((await get('/api/files/dropbox:none')).statusCode).toBe(404);
  });

  it('shows each file\'s sensitivity and entity summary (masked samples only), filtered by level and above', async () => {
    const all = (await get('/api/files')).json().items;
    expect(all[0]).toMatchObject({
      key: 'dropbox:file-a',
      sensitivity: 'high',
      pii: { counts: { CREDIT_CARD: 120, US_SSN: 3 }, samples: { CREDIT_CARD: ['************1111', '************4444'], US_SSN: ['***-**-1120'] } },
      scanned_at: new Date(NOW - 3_600_000).toISOString(),
      scan_error: null,
    });
    expect(all[1]).toMatchObject({ key: 'dropbox:file-b', sensitivity: null, pii: null, scanned_at: null });
    expect((await get('/api/files?sensitivity=medium')).json().items.map((f: { key: string }) => f.key)).toEqual(['dropbox:file-a']);
    expect((await get('/api/files?sensitivity=critical')).json().items).toEqual([]);
    expect((await get('/api/files?sensitivity=secret')).statusCode).toBe(400);
    expect((await get('/api/files/dropbox:file-a')).json()).toMatchObject({ sensitivity: 'high', pii: { counts: { CREDIT_CARD: 120 } } });
  });

  it('lists identities, sources and rules with hits', async () => {
    expect((await get(`/api/identities?user=${USERS[0]}`)).json().items).toEqual([{ source: 'dropbox', source_id: 'dbid:AAA', canonical: USERS[0] }]);
    const src = (await get('/api/sources')).json().items[0];
    expect(src).toMatchObject({ name: 'google', last_poll_at: new Date(NOW).toISOString(), recent_dead_letters: [{ code: 'PARSE' }] });
    expect(src.last_event_at).toBe(w.events.filter((e) => e.event.provider === 'google-workspace').map((e) => e['@timestamp']).sort().at(-1));
    const rules = (await get('/api/rules')).json().items as Array<{ id: string; kind: string; hits: number }>;
    expect(rules.find((r) => r.id === 'brute-force')).toMatchObject({ kind: 'detector', hits: 20 });
    expect(rules.filter((r) => r.kind === 'sigma').length).toBeGreaterThan(5);
  });

  it('tests a Sigma rule given as YAML, and names an unknown rule id', async () => {
    const rule = 'title: Downloads\nid: 0b5c1a8e-0000-4000-8000-000000000001\nlogsource: { product: test }\ndetection:\n  sel: { event.action: download }\n  condition: sel\nlevel: low\n';
    const res = await w.app.inject({ method: 'POST', url: '/api/rules/test', headers: w.as('analyst'), payload: { rule, events: [{ event: { event: { action: 'download' } } }, { event: { event: { action: 'view' } } }] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ events: 2, matches: [{ event: { event: { action: 'download' } } }] });
    const unknown = await w.app.inject({ method: 'POST', url: '/api/rules/test', headers: w.as('analyst'), payload: { rule: 'no-such-rule', events: [{ event: {} }] } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.field).toBe('body.rule');
  });

  it('blocks and unblocks through the responder, audited with the API actor', async () => {
    const b = await w.app.inject({ method: 'POST', url: '/api/blocked', headers: w.as('analyst'), payload: { user: 'Eve@Example.com', reason: 'phished', hours: 2 } });
    expect(b.statusCode).toBe(201);
    expect(b.json()).toMatchObject({ user: 'eve@example.com', blocked_by: 'api:analyst@example.com', expires_at: new Date(NOW + 2 * 3_600_000).toISOString() });
    expect((await get('/api/blocked')).json().items.map((x: { user: string }) => x.user)).toContain('eve@example.com');
    const u = await w.app.inject({ method: 'DELETE', url: '/api/blocked/eve@example.com?reason=cleared', headers: w.as('analyst') });
    expect(u.statusCode).toBe(200);
    expect((await w.app.inject({ method: 'DELETE', url: '/api/blocked/eve@example.com', headers: w.as('analyst') })).statusCode).toBe(404);
    const audit = (await get('/api/audit?subject=eve@example.com')).json().items;
    expect(audit.map((a: { action: string; actor: string }) => [a.action, a.actor])).toEqual([['unblock', 'api:analyst@example.com'], ['block', 'api:analyst@example.com']]);
    const bad = await w.app.inject({ method: 'POST', url: '/api/blocked', headers: w.as('analyst'), payload: { user: 'x@example.com' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('body.reason');
  });
});
