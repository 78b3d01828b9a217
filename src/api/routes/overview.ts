/** The overview: events over time by source, alerts by severity and status, the riskiest users, sources' health and totals. */
import { z } from 'zod';
import type { Severity } from '../../core/alert.js';
import { errors } from '../../core/errors.js';
import type { EntityAlertCount } from '../../core/store.js';
import type { RouteModule } from '../context.js';
import { isoOf, ms, RISK_WEIGHT, SEVERITIES, timeParam } from './shapes.js';
import { sourceHealth, sourceHealthSchema } from './sources.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Points a chart gets at most: the bucket grows with the range, in whole hours. */
const MAX_POINTS = 200;

export const riskyUserSchema = z.object({ user: z.string(), risk: z.number(), open_alerts: z.number(), max_severity: z.enum(SEVERITIES) });
export type RiskyUser = z.infer<typeof riskyUserSchema>;

/** Open alerts on users, weighted by severity (RISK_WEIGHT), riskiest first (then by name). */
export function rankUsers(rows: readonly EntityAlertCount[]): Array<RiskyUser & { last_alert_at: number }> {
  const by = new Map<string, RiskyUser & { last_alert_at: number }>();
  for (const r of rows) {
    const u = by.get(r.value) ?? { user: r.value, risk: 0, open_alerts: 0, max_severity: 'low' as Severity, last_alert_at: 0 };
    u.risk += RISK_WEIGHT[r.severity] * r.count;
    u.open_alerts += r.count;
    if (RISK_WEIGHT[r.severity] > RISK_WEIGHT[u.max_severity]) u.max_severity = r.severity;
    u.last_alert_at = Math.max(u.last_alert_at, r.lastAt);
    by.set(r.value, u);
  }
  return [...by.values()].sort((a, b) => b.risk - a.risk || (a.user < b.user ? -1 : 1));
}

const counts = <K extends string>(keys: readonly K[]) => z.object(Object.fromEntries(keys.map((k) => [k, z.number()])) as Record<K, z.ZodNumber>);

export const overview: RouteModule = (app, ctx) => {
  app.get('/api/overview', {
    config: { role: 'viewer' },
    schema: {
      tags: ['overview'],
      summary: 'Events over time by source, alerts by severity and status, riskiest users, sources, totals (default: the last 7 days)',
      querystring: z.object({ from: timeParam, to: timeParam }),
      response: {
        200: z.object({
          from: z.string(),
          to: z.string(),
          bucket_ms: z.number(),
          events_by_source: z.array(z.object({ source: z.string(), points: z.array(z.tuple([z.string(), z.number()])) })),
          alerts_by_severity: counts(['low', 'medium', 'high', 'critical'] as const),
          alerts_by_status: counts(['open', 'acknowledged', 'closed'] as const),
          top_risky_users: z.array(riskyUserSchema),
          sources: z.array(sourceHealthSchema),
          totals: z.object({ events: z.number(), alerts: z.number(), open_alerts: z.number(), blocked_users: z.number() }),
        }),
      },
    },
    handler: async (req) => {
      const now = ctx.clock();
      const to = ms(req.query.to) ?? now;
      const from = ms(req.query.from) ?? to - 7 * DAY;
      if (from >= to) {
        throw errors.inputMalformed({ where: 'query.from', problem: 'from must be before to', details: { field: 'query.from' } });
      }
      const bucketMs = Math.max(HOUR, Math.ceil((to - from) / MAX_POINTS / HOUR) * HOUR);
      const [hist, alertCounts, userCounts, health, blocks] = await Promise.all([
        ctx.store.eventHistogram({ from, to, bucketMs }),
        ctx.store.countAlerts(),
        ctx.store.openAlertCounts('user'),
        sourceHealth(ctx),
        ctx.store.listBlockedUsers({ activeAt: now }),
      ]);
      const bySeverity = { low: 0, medium: 0, high: 0, critical: 0 };
      const byStatus = { open: 0, acknowledged: 0, closed: 0 };
      for (const c of alertCounts) {
        bySeverity[c.severity] += c.count;
        byStatus[c.status] += c.count;
      }
      let events = 0;
      const series = hist.series.map((s) => ({
        source: s.provider,
        points: s.counts.map((n, i): [string, number] => {
          events += n;
          return [isoOf(hist.from + i * hist.bucketMs), n];
        }),
      }));
      return {
        from: isoOf(from),
        to: isoOf(to),
        bucket_ms: hist.bucketMs,
        events_by_source: series,
        alerts_by_severity: bySeverity,
        alerts_by_status: byStatus,
        top_risky_users: rankUsers(userCounts).slice(0, 10).map(({ last_alert_at: _l, ...u }) => u),
        sources: health,
        totals: { events, alerts: byStatus.open + byStatus.acknowledged + byStatus.closed, open_alerts: byStatus.open, blocked_users: blocks.length },
      };
    },
  });
};
