/**
 * A STAND-IN for the data routes of API.md, answered from a real store, so the dashboard's browser test
 * runs before those routes are merged. TEMPORARY: at merge the lead replaces `mockDataRoutes` by the
 * real ROUTES (src/api/routes) in test/dashboard.e2e.test.ts and deletes this file. It implements only
 * what the dashboard reads, naively (whole lists in memory), which is fine for the demo's few thousand events.
 */
import { z } from 'zod';
import type { Alert } from '../src/core/alert.js';
import type { SecurityEvent } from '../src/core/event.js';
import type { BlockedUser } from '../src/core/store.js';
import { actorOfPrincipal, type RouteModule } from '../src/api/context.js';
import { errors } from '../src/core/errors.js';

const DAY = 86_400_000;
const SEV = { low: 1, medium: 2, high: 3, critical: 4 } as const;
const any = z.any();
const anyObj = z.record(z.string(), z.any());

const iso = (ms: number) => new Date(ms).toISOString();

function alertJson(a: Alert, extra: { assignee?: string | null } = {}) {
  return {
    id: a.id,
    rule: a.rule,
    title: a.title,
    severity: a.severity,
    status: a.status,
    entity: a.entity,
    window_start: iso(a.windowStart),
    window_end: iso(a.windowEnd),
    created_at: a.createdAt,
    updated_at: a.createdAt,
    description: a.description,
    tags: a.tags ?? [],
    source: a.source ?? null,
    group_id: a.groupId ?? null,
    assignee: extra.assignee ?? null,
    muted: false,
  };
}

const blockJson = (b: BlockedUser) => ({
  user: b.user,
  reason: b.reason,
  scope: b.scope,
  blocked_at: b.blockedAt,
  blocked_by: b.blockedBy,
  expires_at: b.expiresAt ?? null,
  alert_id: b.alertId ?? null,
});

const eventJson = ({ raw: _raw, ...e }: SecurityEvent) => ({ id: e.event.id, ...e });

function page<T>(all: T[], limit: number, cursor: string | undefined) {
  const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
  const items = all.slice(start, start + limit);
  const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
  return { items, next_cursor: next };
}

function geoPoint(e: SecurityEvent) {
  const g = e.source?.geo;
  if (!g?.location) return [];
  return [{ time: e['@timestamp'], ip: e.source?.ip ?? '', city: g.city_name ?? null, country: g.country_iso_code ?? null, lat: g.location.lat, lon: g.location.lon, outcome: e.event.outcome }];
}

const userOf = (a: Alert): string | undefined => (a.entity.type === 'user' ? a.entity.value : typeof a.details?.['user.email'] === 'string' ? (a.details['user.email'] as string) : undefined);

export const mockDataRoutes: RouteModule = async (app, ctx) => {
  const { store } = ctx;
  const assignees = new Map<string, string | null>();
  const allEvents = async () => store.queryEvents({ limit: 1_000_000 });
  const allAlerts = async () => (await store.listAlerts({ limit: 100_000 })).sort((a, b) => b.windowEnd - a.windowEnd);
  const risk = (alerts: Alert[]) => alerts.filter((a) => a.status === 'open').reduce((n, a) => n + SEV[a.severity] * 10, 0);

  async function riskyUsers() {
    const alerts = await allAlerts();
    const by = new Map<string, Alert[]>();
    for (const a of alerts) {
      const u = userOf(a);
      if (u) by.set(u, [...(by.get(u) ?? []), a]);
    }
    return [...by]
      .map(([user, as]) => {
        const open = as.filter((a) => a.status === 'open');
        const worst = as.reduce<Alert['severity'] | null>((w, a) => (!w || SEV[a.severity] > SEV[w] ? a.severity : w), null);
        return { user, risk: risk(as), open_alerts: open.length, max_severity: worst, last_seen: iso(Math.max(...as.map((a) => a.windowEnd))) };
      })
      .sort((a, b) => b.risk - a.risk);
  }

  async function sources() {
    return Promise.all(
      ctx.config.sources.map(async (s) => {
        const last = (await store.queryEvents({ provider: s.type, limit: 1_000_000 })).at(-1);
        return { name: s.name, type: s.type, last_poll_at: last?.event.ingested ?? null, last_event_at: last?.['@timestamp'] ?? null, lag_ms: last ? ctx.clock() - Date.parse(last['@timestamp']) : null, cursor: (await store.getCursor(s.name)) ?? null, dead_letters: await store.countDeadLetters({ source: s.name }), recent_dead_letters: [] };
      }),
    );
  }

  app.get('/api/overview', { config: { role: 'viewer' }, schema: { response: { 200: anyObj } } }, async () => {
    const to = ctx.clock();
    const from = to - 7 * DAY;
    const bucket = 3_600_000;
    const series = new Map<string, Map<number, number>>();
    for (const e of await allEvents()) {
      const t = Date.parse(e['@timestamp']);
      if (t < from || t >= to) continue;
      const m = series.get(e.event.provider) ?? new Map<number, number>();
      const b = Math.floor(t / bucket) * bucket;
      m.set(b, (m.get(b) ?? 0) + 1);
      series.set(e.event.provider, m);
    }
    const alerts = await allAlerts();
    const count = <K extends string>(keys: readonly K[], f: (a: Alert) => string) => Object.fromEntries(keys.map((k) => [k, alerts.filter((a) => f(a) === k).length]));
    const firstBucket = Math.floor(from / bucket) * bucket;
    return {
      from: iso(from),
      to: iso(to),
      bucket_ms: bucket,
      events_by_source: [...series].map(([source, m]) => ({ source, points: Array.from({ length: Math.ceil((to - firstBucket) / bucket) }, (_, i) => [iso(firstBucket + i * bucket), m.get(firstBucket + i * bucket) ?? 0]) })),
      alerts_by_severity: count(['low', 'medium', 'high', 'critical'], (a) => a.severity),
      alerts_by_status: count(['open', 'acknowledged', 'closed'], (a) => a.status),
      top_risky_users: (await riskyUsers()).slice(0, 10),
      sources: await sources(),
      totals: { events: await store.countEvents(), alerts: alerts.length, open_alerts: alerts.filter((a) => a.status === 'open').length, blocked_users: (await store.listBlockedUsers()).length },
    };
  });

  const alertsQuery = z.object({ status: z.string().optional(), severity: z.string().optional(), rule: z.string().optional(), entity: z.string().optional(), limit: z.coerce.number().default(50), cursor: z.string().optional() });
  app.get('/api/alerts', { config: { role: 'viewer' }, schema: { querystring: alertsQuery, response: { 200: anyObj } } }, async (req) => {
    const q = req.query;
    const all = (await allAlerts()).filter((a) => (!q.status || a.status === q.status) && (!q.severity || a.severity === q.severity) && (!q.rule || a.rule === q.rule) && (!q.entity || a.entity.value.includes(q.entity)));
    const p = page(all, q.limit, q.cursor);
    return { items: p.items.map((a) => alertJson(a, { assignee: assignees.get(a.id) ?? null })), next_cursor: p.next_cursor };
  });

  const getAlert = async (id: string) => {
    const a = await store.getAlert(id);
    if (!a) throw errors.notFound({ kind: 'alert', id });
    return a;
  };

  app.get('/api/alerts/:id', { config: { role: 'viewer' }, schema: { params: z.object({ id: z.string() }), response: { 200: anyObj } } }, async (req) => {
    const a = await getAlert(req.params.id);
    const evidence = (await store.getEvents(a.evidence)).sort((x, y) => Date.parse(x['@timestamp']) - Date.parse(y['@timestamp']));
    const travel = evidence.flatMap(geoPoint);
    return {
      alert: { ...alertJson(a, { assignee: assignees.get(a.id) ?? null }), observed: a.observed, expected: a.expected, score: a.score, features: a.features, details: a.details },
      explanation: { text: a.description, observed: a.observed ?? {}, expected: a.expected ?? {} },
      evidence: evidence.map(eventJson),
      travel,
      responses: (await store.listActions({ alertId: a.id })).map((r) => ({ ...r })),
      audit: await store.listAudit({ subject: a.id, limit: 50 }),
      mute: null,
    };
  });

  const reasonBody = z.object({ reason: z.string().optional() }).passthrough();
  for (const [verb, status] of [['ack', 'acknowledged'], ['close', 'closed'], ['false-positive', 'closed']] as const) {
    app.post(`/api/alerts/:id/${verb}`, { config: { role: 'analyst' }, schema: { params: z.object({ id: z.string() }), body: reasonBody, response: { 200: anyObj } } }, async (req) => {
      const a = await getAlert(req.params.id);
      await store.setAlertStatus(a.id, status);
      await store.audit(actorOfPrincipal(req.principal!), `alert-${verb}`, { alert: a.id, ...(req.body.reason ? { reason: req.body.reason } : {}) });
      return alertJson({ ...a, status });
    });
  }
  app.post('/api/alerts/ack', { config: { role: 'analyst' }, schema: { body: z.object({ ids: z.array(z.string()), reason: z.string().optional() }), response: { 200: anyObj } } }, async (req) => {
    for (const id of req.body.ids) {
      await store.setAlertStatus(id, 'acknowledged');
      await store.audit(actorOfPrincipal(req.principal!), 'alert-ack', { alert: id });
    }
    return { updated: req.body.ids.length };
  });
  app.post('/api/alerts/:id/assign', { config: { role: 'analyst' }, schema: { params: z.object({ id: z.string() }), body: z.object({ assignee: z.string().nullable() }), response: { 200: anyObj } } }, async (req) => {
    const a = await getAlert(req.params.id);
    assignees.set(a.id, req.body.assignee);
    await store.audit(actorOfPrincipal(req.principal!), 'alert-assign', { alert: a.id, assignee: req.body.assignee });
    return alertJson(a, { assignee: req.body.assignee });
  });
  app.post('/api/alerts/:id/mute', { config: { role: 'analyst' }, schema: { params: z.object({ id: z.string() }), body: z.object({ reason: z.string(), days: z.number().optional() }), response: { 200: anyObj } } }, async (req) => {
    const a = await getAlert(req.params.id);
    await store.audit(actorOfPrincipal(req.principal!), 'alert-mute', { alert: a.id, reason: req.body.reason });
    return { ...alertJson(a), muted: true };
  });

  app.get('/api/users', { config: { role: 'viewer' }, schema: { querystring: z.object({ limit: z.coerce.number().default(50) }), response: { 200: anyObj } } }, async (req) => ({ items: (await riskyUsers()).slice(0, req.query.limit) }));

  app.get('/api/users/:user', { config: { role: 'viewer' }, schema: { params: z.object({ user: z.string() }), response: { 200: anyObj } } }, async (req) => {
    const user = req.params.user.toLowerCase();
    const events = (await store.queryEvents({ userEmail: user, limit: 1_000_000 })).sort((a, b) => Date.parse(b['@timestamp']) - Date.parse(a['@timestamp']));
    const alerts = (await allAlerts()).filter((a) => userOf(a) === user);
    if (events.length === 0 && alerts.length === 0) throw errors.notFound({ kind: 'user', id: user });
    const tally = <T>(key: (e: SecurityEvent) => string | undefined, make: (k: string, es: SecurityEvent[]) => T) => {
      const m = new Map<string, SecurityEvent[]>();
      for (const e of events) {
        const k = key(e);
        if (k) m.set(k, [...(m.get(k) ?? []), e]);
      }
      return [...m].sort((a, b) => b[1].length - a[1].length).map(([k, es]) => make(k, es));
    };
    const to = ctx.clock();
    const bucket = 6 * 3_600_000;
    const from = Math.floor((to - 7 * DAY) / bucket) * bucket;
    const activity = tally(
      (e) => e.event.action,
      (action, es) => {
        const counts = Array.from({ length: Math.ceil((to - from) / bucket) }, (_, i) => [iso(from + i * bucket), es.filter((e) => Math.floor((Date.parse(e['@timestamp']) - from) / bucket) === i).length] as [string, number]);
        const vals = counts.map((c) => c[1]);
        const mean = vals.reduce((n, v) => n + v, 0) / vals.length;
        const std = Math.sqrt(vals.reduce((n, v) => n + (v - mean) ** 2, 0) / vals.length);
        return { action, points: counts, baseline: { mean, std } };
      },
    );
    const blocked = (await store.listBlockedUsers({ user }))[0];
    const byOpen = alerts.filter((a) => a.status === 'open');
    return {
      user,
      risk: { score: risk(alerts), open_alerts: byOpen.length, by_severity: Object.fromEntries(['low', 'medium', 'high', 'critical'].map((s) => [s, byOpen.filter((a) => a.severity === s).length])) },
      blocked: blocked ? blockJson(blocked) : null,
      identities: tally((e) => e.event.provider, (source, es) => ({ source, source_id: es[0]!.user?.id ?? user })),
      countries: tally((e) => e.source?.geo?.country_iso_code, (code, es) => ({ code, name: code, count: es.length, last_seen: es[0]!['@timestamp'] })),
      asns: tally((e) => (e.source?.as?.number ? String(e.source.as.number) : undefined), (asn, es) => ({ asn: Number(asn), org: es[0]!.source?.as?.organization?.name ?? null, count: es.length })),
      devices: tally((e) => e.user_agent?.original, (ua, es) => ({ user_agent: ua, os: es[0]!.user_agent?.os?.name ?? null, browser: es[0]!.user_agent?.name ?? null, device: es[0]!.user_agent?.device?.name ?? null, count: es.length, last_seen: es[0]!['@timestamp'] })),
      logins: events.filter((e) => /^login/.test(e.event.action)).slice(0, 100).flatMap(geoPoint),
      activity,
      alerts: alerts.map((a) => alertJson(a)),
      timeline: events.slice(0, 50).map(eventJson),
    };
  });

  app.get('/api/blocked', { config: { role: 'viewer' }, schema: { response: { 200: anyObj } } }, async () => ({ items: (await store.listBlockedUsers({ activeAt: ctx.clock() })).map(blockJson) }));
  app.post('/api/blocked', { config: { role: 'analyst' }, schema: { body: z.object({ user: z.string().min(1), reason: z.string().min(1), scope: z.enum(['all', 'download', 'upload', 'share', 'delete', 'login']).optional(), hours: z.number().optional() }), response: { 201: anyObj } } }, async (req, reply) => {
    const b = await ctx.responder.block({ user: req.body.user, reason: req.body.reason, actor: actorOfPrincipal(req.principal!), ...(req.body.scope ? { scope: req.body.scope } : {}), ...(req.body.hours ? { forMs: req.body.hours * 3_600_000 } : {}) });
    return reply.status(201).send(blockJson(b));
  });
  app.delete('/api/blocked/:user', { config: { role: 'analyst' }, schema: { params: z.object({ user: z.string() }), querystring: z.object({ reason: z.string().default('unblocked from the dashboard') }), response: { 200: anyObj } } }, async (req) => {
    const b = await ctx.responder.unblock({ user: req.params.user, reason: req.query.reason, actor: actorOfPrincipal(req.principal!) });
    if (!b) throw errors.notFound({ kind: 'block of', id: req.params.user });
    return blockJson(b);
  });

  app.get('/api/audit', { config: { role: 'viewer' }, schema: { querystring: z.object({ actor: z.string().optional(), action: z.string().optional(), subject: z.string().optional(), limit: z.coerce.number().default(50), cursor: z.string().optional() }), response: { 200: anyObj } } }, async (req) => {
    const q = req.query;
    const all = await store.listAudit({ limit: 10_000, ...(q.actor ? { actor: q.actor } : {}), ...(q.action ? { action: q.action } : {}), ...(q.subject ? { subject: q.subject } : {}) });
    return page(all, q.limit, q.cursor);
  });

  app.get('/api/sources', { config: { role: 'viewer' }, schema: { response: { 200: anyObj } } }, async () => ({ items: await sources() }));

  app.get('/api/rules', { config: { role: 'viewer' }, schema: { response: { 200: anyObj } } }, async () => {
    const by = new Map<string, Alert[]>();
    for (const a of await allAlerts()) by.set(a.rule, [...(by.get(a.rule) ?? []), a]);
    return { items: [...by].map(([id, as]) => ({ id, title: as[0]!.title, severity: as[0]!.severity, kind: id.startsWith('rules/') ? 'sigma' : 'detector', enabled: true, hits: as.length, last_hit: iso(Math.max(...as.map((a) => a.windowEnd))) })) };
  });
  app.post('/api/rules/test', { config: { role: 'analyst' }, schema: { body: z.object({ rule: z.string(), events: z.array(any) }), response: { 200: anyObj } } }, async () => ({ matches: [] }));

  app.get('/api/files/:key', { config: { role: 'viewer' }, schema: { params: z.object({ key: z.string() }), response: { 200: anyObj } } }, async (req) => {
    const [provider, ...rest] = req.params.key.split(':');
    const id = rest.join(':');
    const events = (await allEvents()).filter((e) => e.event.provider === provider && e.file?.id === id).reverse();
    if (events.length === 0) throw errors.notFound({ kind: 'file', id: req.params.key });
    const by = new Map<string, { user: string; count: number; last: string }>();
    for (const e of events) {
      const u = e.user?.email;
      if (!u) continue;
      const a = by.get(u) ?? { user: u, count: 0, last: e['@timestamp'] };
      a.count++;
      by.set(u, a);
    }
    const f = events[0]!;
    return {
      key: req.params.key, provider: provider!, file_id: id, name: f.file?.name ?? null, owner: f.file?.owner ?? null, visibility: events.find((e) => e.share?.visibility)?.share?.visibility ?? null,
      external_shares: [], downloads: events.filter((e) => e.event.action === 'download').length, sensitivity: null, updated_at: f['@timestamp'],
      accessed_by: [...by.values()], events: events.slice(0, 50).map(eventJson),
    };
  });

  app.get('/api/files', { config: { role: 'viewer' }, schema: { querystring: z.object({ visibility: z.string().optional(), external: z.string().optional(), limit: z.coerce.number().default(50), cursor: z.string().optional() }), response: { 200: anyObj } } }, async (req) => {
    const files = new Map<string, { key: string; provider: string; file_id: string; name: string | null; owner: string | null; visibility: string | null; external_shares: string[]; downloads: number; sensitivity: null; updated_at: string }>();
    for (const e of await allEvents()) {
      if (!e.file?.id) continue;
      const key = `${e.event.provider}:${e.file.id}`;
      const f = files.get(key) ?? { key, provider: e.event.provider, file_id: e.file.id, name: e.file.name ?? null, owner: e.file.owner ?? null, visibility: null, external_shares: [], downloads: 0, sensitivity: null, updated_at: e['@timestamp'] };
      if (e.share?.visibility) f.visibility = e.share.visibility;
      const target = e.target?.user?.email;
      if (target && !target.endsWith('@example.com') && !f.external_shares.includes(target)) f.external_shares.push(target);
      if (e.event.action === 'download') f.downloads++;
      if (e['@timestamp'] > f.updated_at) f.updated_at = e['@timestamp'];
      files.set(key, f);
    }
    const q = req.query;
    const all = [...files.values()].filter((f) => (q.visibility ? q.visibility.split(',').includes(f.visibility ?? '') : true) && (q.external ? f.external_shares.length > 0 : true)).sort((a, b) => b.downloads - a.downloads);
    return page(all, q.limit, q.cursor);
  });
};
