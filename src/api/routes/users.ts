/** Users: the riskiest, and one user's page (risk, block, identities, countries, ASNs, devices, logins, activity, alerts, timeline). */
import { z } from 'zod';
import type { Severity } from '../../core/alert.js';
import { errors } from '../../core/errors.js';
import type { SecurityEvent } from '../../core/event.js';
import type { RouteModule } from '../context.js';
import { alertJson, alertSchema, eventJson, eventSchema, isoOf, RISK_WEIGHT, SEVERITIES } from './shapes.js';
import { loadMuter } from './alerts.js';
import { blockJson, blockSchema } from './blocked.js';
import { rankUsers } from './overview.js';

const DAY = 86_400_000;
/** A user page reads this many of the user's newest events (one index range): countries, devices, logins and activity come from them. */
export const USER_PAGE_EVENTS = 2_000;
/** Days of per-action activity a user page charts. */
const ACTIVITY_DAYS = 14;
/** Actions charted, the user's most frequent first. */
const ACTIVITY_ACTIONS = 6;

const isLogin = (e: SecurityEvent): boolean => e.event.category?.includes('authentication') === true || /log_?in|sign_?in/i.test(e.event.action);

interface Tally<T> {
  value: T;
  count: number;
  last: string;
}

/** Counts events by a key, keeping the first value seen (events come newest first, so `last` is the newest). */
function tally<T>(events: readonly SecurityEvent[], keyOf: (e: SecurityEvent) => string | undefined, valueOf: (e: SecurityEvent) => T): Array<Tally<T>> {
  const by = new Map<string, Tally<T>>();
  for (const e of events) {
    const k = keyOf(e);
    if (k === undefined) continue;
    const t = by.get(k);
    if (t) t.count++;
    else by.set(k, { value: valueOf(e), count: 1, last: e['@timestamp'] });
  }
  return [...by.values()].sort((a, b) => b.count - a.count);
}

function activityOf(events: readonly SecurityEvent[], now: number) {
  const start = Math.floor(now / DAY) * DAY - (ACTIVITY_DAYS - 1) * DAY;
  const byAction = new Map<string, number[]>();
  for (const e of events) {
    const t = Date.parse(e['@timestamp']);
    const b = Math.floor((t - start) / DAY);
    if (b < 0 || b >= ACTIVITY_DAYS) continue;
    let s = byAction.get(e.event.action);
    if (!s) byAction.set(e.event.action, (s = new Array<number>(ACTIVITY_DAYS).fill(0)));
    s[b]! += e.event.count ?? 1;
  }
  return [...byAction]
    .sort(([, a], [, b]) => b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0))
    .slice(0, ACTIVITY_ACTIONS)
    .map(([action, counts]) => {
      // The days before today: what today is judged against.
      const past = counts.slice(0, -1);
      const mean = past.reduce((x, y) => x + y, 0) / past.length;
      const std = Math.sqrt(past.reduce((x, y) => x + (y - mean) ** 2, 0) / past.length);
      return { action, points: counts.map((n, i): [string, number] => [isoOf(start + i * DAY), n]), baseline: past.length ? { mean, std } : null };
    });
}

const userSummary = z.object({ user: z.string(), risk: z.number(), open_alerts: z.number(), max_severity: z.enum(SEVERITIES), last_seen: z.string().nullable() });

const userPage = z.object({
  user: z.string(),
  risk: z.object({ score: z.number(), open_alerts: z.number(), by_severity: z.object({ low: z.number(), medium: z.number(), high: z.number(), critical: z.number() }) }),
  blocked: blockSchema.nullable(),
  identities: z.array(z.object({ source: z.string(), source_id: z.string() })),
  countries: z.array(z.object({ code: z.string(), name: z.string().nullable(), count: z.number(), last_seen: z.string() })),
  asns: z.array(z.object({ asn: z.number(), org: z.string().nullable(), count: z.number() })),
  devices: z.array(z.object({ user_agent: z.string(), os: z.string().nullable(), browser: z.string().nullable(), device: z.string().nullable(), count: z.number(), last_seen: z.string() })),
  logins: z.array(z.object({ time: z.string(), ip: z.string().nullable(), city: z.string().nullable(), country: z.string().nullable(), lat: z.number().nullable(), lon: z.number().nullable(), outcome: z.string() })),
  activity: z.array(z.object({ action: z.string(), points: z.array(z.tuple([z.string(), z.number()])), baseline: z.object({ mean: z.number(), std: z.number() }).nullable() })),
  alerts: z.array(alertSchema),
  timeline: z.array(eventSchema),
  events_read: z.number().describe(`How many of the newest events the page was built from (at most ${USER_PAGE_EVENTS}).`),
});

export const users: RouteModule = (app, ctx) => {
  app.get('/api/users', {
    config: { role: 'viewer' },
    schema: {
      tags: ['users'],
      summary: 'Users with open alerts, riskiest first (open alerts weighted by severity)',
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: { 200: z.object({ items: z.array(userSummary) }) },
    },
    handler: async (req) => {
      const ranked = rankUsers(await ctx.store.openAlertCounts('user')).slice(0, req.query.limit);
      const items = await Promise.all(
        ranked.map(async ({ last_alert_at: _l, ...u }) => {
          const [newest] = await ctx.store.queryEvents({ userEmail: u.user, order: 'desc', limit: 1 });
          return { ...u, last_seen: newest ? newest['@timestamp'] : null };
        }),
      );
      return { items };
    },
  });

  app.get('/api/users/:user', {
    config: { role: 'viewer' },
    schema: { tags: ['users'], summary: 'One user\'s page: risk, block, identities, countries, ASNs, devices, logins, activity, alerts, timeline', params: z.object({ user: z.string().min(1).max(320) }), response: { 200: userPage } },
    handler: async (req) => {
      const user = req.params.user;
      const now = ctx.clock();
      const [events, alerts, open, blocks, ids, muter] = await Promise.all([
        ctx.store.queryEvents({ userEmail: user, order: 'desc', limit: USER_PAGE_EVENTS }),
        ctx.store.listAlerts({ entity: { type: 'user', value: user }, limit: 50 }),
        ctx.store.listAlerts({ entity: { type: 'user', value: user }, status: 'open', limit: 1_000 }),
        ctx.store.listBlockedUsers({ user, activeAt: now }),
        ctx.store.listIdentities({ canonical: user }),
        loadMuter(ctx),
      ]);
      if (events.length === 0 && alerts.length === 0 && blocks.length === 0 && ids.length === 0) {
        throw errors.notFound({ kind: 'user', id: user, fix: 'users are known by the email their events carry (GET /api/events?user=...)' });
      }
      const bySeverity: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
      for (const a of open) bySeverity[a.severity]++;
      const score = (Object.keys(bySeverity) as Severity[]).reduce((n, s) => n + RISK_WEIGHT[s] * bySeverity[s], 0);
      const logins = events.filter(isLogin);
      const geoOf = (e: SecurityEvent) => e.source?.geo;
      return {
        user,
        risk: { score, open_alerts: open.length, by_severity: bySeverity },
        blocked: blocks[0] ? blockJson(blocks[0]) : null,
        identities: ids.map((i) => ({ source: i.source, source_id: i.sourceId })),
        countries: tally(events, (e) => geoOf(e)?.country_iso_code, (e) => ({ code: geoOf(e)!.country_iso_code!, name: geoOf(e)?.country_name ?? null })).map((t) => ({
          ...t.value, count: t.count, last_seen: t.last,
        })),
        asns: tally(events, (e) => (e.source?.as?.number === undefined ? undefined : String(e.source.as.number)), (e) => ({ asn: e.source!.as!.number!, org: e.source?.as?.organization?.name ?? null })).map((t) => ({
          ...t.value, count: t.count,
        })),
        devices: tally(events, (e) => e.user_agent?.original, (e) => ({
          user_agent: e.user_agent!.original!, os: e.user_agent?.os?.name ?? null, browser: e.user_agent?.name ?? null, device: e.user_agent?.device?.name ?? null,
        })).map((t) => ({ ...t.value, count: t.count, last_seen: t.last })),
        logins: logins.slice(0, 100).map((e) => ({
          time: e['@timestamp'],
          ip: e.source?.ip ?? null,
          city: geoOf(e)?.city_name ?? null,
          country: geoOf(e)?.country_iso_code ?? null,
          lat: geoOf(e)?.location?.lat ?? null,
          lon: geoOf(e)?.location?.lon ?? null,
          outcome: e.event.outcome,
        })),
        activity: activityOf(events, now),
        alerts: alerts.map((a) => alertJson(a, muter.mutedWhenRaised(a))),
        timeline: events.slice(0, 50).map((e) => eventJson(e)),
        events_read: events.length,
      };
    },
  });
};
