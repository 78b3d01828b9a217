/** Alerts: the triage queue (filters, paging), one alert explained with its evidence, and the analyst's changes to it (src/actions/triage.ts). */
import { z } from 'zod';
import { ackAlert, ackAlerts, alertOrFail, assignAlert, closeAlert, muteAlert } from '../../actions/triage.js';
import type { Alert } from '../../core/alert.js';
import type { SecurityEvent } from '../../core/event.js';
import { Muter } from '../../pipeline/mutes.js';
import { actorOfPrincipal, type ApiContext, type RouteModule } from '../context.js';
import {
  alertJson, alertSchema, cursorParam, decodeCursor, eventJson, eventSchema, isTimeKey, limitParam, listOf, ms, muteJson, muteSchema, page, SEVERITIES, STATUSES, timeParam,
} from './shapes.js';

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;

/** Config and store mutes as of now; read per request (they are few) so a mute made a moment ago shows. */
export async function loadMuter(ctx: ApiContext): Promise<Muter> {
  const muter = new Muter({ store: ctx.store, config: ctx.config.alerting.mutes, now: ctx.clock });
  await muter.refresh();
  return muter;
}

const alertDetailSchema = z.object({
  alert: alertSchema.extend({
    observed: z.record(z.string(), z.number()).nullable(),
    expected: z.record(z.string(), z.number()).nullable(),
    score: z.number().nullable(),
    features: z.array(z.object({ name: z.string(), value: z.number(), contribution: z.number() })).nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).nullable(),
    evidence_ids: z.array(z.string()),
  }),
  explanation: z.object({ text: z.string(), observed: z.record(z.string(), z.number()), expected: z.record(z.string(), z.number()) }),
  evidence: z.array(eventSchema),
  travel: z.array(z.object({ time: z.string(), ip: z.string().nullable(), city: z.string().nullable(), country: z.string().nullable(), lat: z.number(), lon: z.number() })),
  responses: z.array(z.looseObject({ id: z.string(), action: z.string(), status: z.string() })),
  audit: z.array(z.object({ id: z.number(), at: z.string(), actor: z.string(), action: z.string(), details: z.record(z.string(), z.unknown()) })),
  mute: muteSchema.nullable(),
});

/**
 * The alert's evidence events. Events are keyed by time, so an id is found by scanning a time range:
 * the alert's window first (where detectors' evidence lies), then a day either side for any not
 * found there (a detector whose window is the finding's, not its events').
 */
async function evidenceOf(ctx: ApiContext, a: Alert): Promise<SecurityEvent[]> {
  if (a.evidence.length === 0) return [];
  const found = await ctx.store.getEvents(a.evidence, { from: a.windowStart - MINUTE, to: a.windowEnd + MINUTE });
  if (found.length === new Set(a.evidence).size) return found;
  const have = new Set(found.map((e) => e.event.id));
  const more = await ctx.store.getEvents(a.evidence.filter((id) => !have.has(id)), { from: a.windowStart - DAY, to: a.windowEnd + DAY });
  const byId = new Map([...found, ...more].map((e) => [e.event.id, e]));
  return a.evidence.flatMap((id) => byId.get(id) ?? []);
}

/** Consecutive geolocated evidence events, oldest first: what the map draws lines between. */
function travelOf(events: readonly SecurityEvent[]) {
  return events
    .filter((e) => e.source?.geo?.location)
    .sort((a, b) => (a['@timestamp'] < b['@timestamp'] ? -1 : a['@timestamp'] > b['@timestamp'] ? 1 : 0))
    .map((e) => ({
      time: e['@timestamp'],
      ip: e.source?.ip ?? null,
      city: e.source?.geo?.city_name ?? null,
      country: e.source?.geo?.country_iso_code ?? null,
      lat: e.source!.geo!.location!.lat,
      lon: e.source!.geo!.location!.lon,
    }));
}

const idParams = z.object({ id: z.string().min(1).max(200) });
const reasonBody = z.object({ reason: z.string().max(2000).optional() });

export const alerts: RouteModule = (app, ctx) => {
  app.get('/api/alerts', {
    config: { role: 'viewer' },
    schema: {
      tags: ['alerts'],
      summary: 'Alerts, newest first, filtered; cursor paging',
      querystring: z.object({
        status: z.enum(STATUSES).optional(),
        severity: z.enum(SEVERITIES).optional(),
        rule: z.string().min(1).optional(),
        entity: z.string().min(1).optional().describe('An entity value (any type), or type:value.'),
        user: z.string().min(1).optional().describe('Alerts on this user (entity user:<email>).'),
        assignee: z.string().min(1).optional().describe('An assignee\'s email, or `none` for unassigned alerts.'),
        from: timeParam.describe('Created at or after.'),
        to: timeParam.describe('Created before.'),
        limit: limitParam,
        cursor: cursorParam,
      }),
      response: { 200: listOf(alertSchema) },
    },
    handler: async (req) => {
      const q = req.query;
      const before = decodeCursor(q.cursor, isTimeKey);
      const typed = q.entity !== undefined ? /^(user|ip|file|host|email|domain):(.+)$/.exec(q.entity) : null;
      const entity = q.user !== undefined ? { type: 'user', value: q.user } : typed ? { type: typed[1]!, value: typed[2]! } : q.entity !== undefined ? { value: q.entity } : undefined;
      const rows = await ctx.store.listAlerts({
        ...(q.status ? { status: q.status } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.rule ? { rule: q.rule } : {}),
        ...(entity ? { entity } : {}),
        ...(q.assignee === undefined ? {} : { assignee: q.assignee === 'none' ? null : q.assignee }),
        ...(q.from === undefined ? {} : { from: ms(q.from)! }),
        ...(q.to === undefined ? {} : { to: ms(q.to)! }),
        ...(before ? { before: { createdAt: before.t, id: before.id } } : {}),
        limit: q.limit,
      });
      const muter = await loadMuter(ctx);
      const p = page(rows, q.limit, (a) => ({ t: Date.parse(a.createdAt), id: a.id }));
      return { items: p.items.map((a) => alertJson(a, muter.mutedWhenRaised(a))), next_cursor: p.next_cursor };
    },
  });

  app.get('/api/alerts/:id', {
    config: { role: 'viewer' },
    schema: { tags: ['alerts'], summary: 'One alert: its explanation, evidence events, travel, responses, audit entries and the mute that holds it', params: idParams, response: { 200: alertDetailSchema } },
    handler: async (req) => {
      const a = await alertOrFail(ctx.store, req.params.id);
      const [evidence, responses, audit, muter] = await Promise.all([
        evidenceOf(ctx, a),
        ctx.store.listActions({ alertId: a.id }),
        ctx.store.listAudit({ subject: a.id, limit: 100 }),
        loadMuter(ctx),
      ]);
      const mute = muter.mutedWhenRaised(a);
      return {
        alert: {
          ...alertJson(a, mute),
          observed: a.observed ?? null,
          expected: a.expected ?? null,
          score: a.score ?? null,
          features: a.features ?? null,
          details: a.details ?? null,
          evidence_ids: a.evidence,
        },
        explanation: { text: a.description, observed: a.observed ?? {}, expected: a.expected ?? {} },
        evidence: evidence.map((e) => eventJson(e)),
        travel: travelOf(evidence),
        responses: responses as unknown as Array<{ id: string; action: string; status: string }>,
        audit: audit.map((e) => ({ id: e.id, at: e.at, actor: e.actor, action: e.action, details: e.details })),
        mute: mute ? muteJson(mute) : null,
      };
    },
  });

  /** The alert as it now stands, in the list shape. */
  const fresh = async (id: string) => {
    const a = await alertOrFail(ctx.store, id);
    return alertJson(a, (await loadMuter(ctx)).mutedWhenRaised(a));
  };
  const reasonOf = (r: string | undefined) => (r === undefined || r.trim() === '' ? {} : { reason: r.trim() });

  app.post('/api/alerts/:id/ack', {
    config: { role: 'analyst' },
    schema: { tags: ['alerts'], summary: 'Acknowledge an alert (someone is on it)', params: idParams, body: reasonBody.optional(), response: { 200: alertSchema } },
    handler: async (req) => {
      await ackAlert(ctx.store, req.params.id, { actor: actorOfPrincipal(req.principal!), ...reasonOf(req.body?.reason) });
      return fresh(req.params.id);
    },
  });

  app.post('/api/alerts/:id/close', {
    config: { role: 'analyst' },
    schema: { tags: ['alerts'], summary: 'Close an alert', params: idParams, body: reasonBody.optional(), response: { 200: alertSchema } },
    handler: async (req) => {
      await closeAlert(ctx.store, req.params.id, { actor: actorOfPrincipal(req.principal!), now: ctx.clock, ...reasonOf(req.body?.reason) });
      return fresh(req.params.id);
    },
  });

  app.post('/api/alerts/:id/false-positive', {
    config: { role: 'analyst' },
    schema: {
      tags: ['alerts'],
      summary: 'Close an alert as a false positive and mute its rule and entity (default 30 days)',
      params: idParams,
      body: reasonBody.extend({ mute_days: z.number().int().min(0).max(3650).optional().describe('Days the mute lasts; 0: no end.') }).optional(),
      response: { 200: alertSchema },
    },
    handler: async (req) => {
      const days = req.body?.mute_days;
      await closeAlert(ctx.store, req.params.id, {
        actor: actorOfPrincipal(req.principal!), now: ctx.clock, falsePositive: true, ...reasonOf(req.body?.reason),
        ...(days === undefined ? {} : { muteMs: days === 0 ? Number.POSITIVE_INFINITY : days * DAY }),
      });
      return fresh(req.params.id);
    },
  });

  app.post('/api/alerts/:id/assign', {
    config: { role: 'analyst' },
    schema: {
      tags: ['alerts'],
      summary: 'Assign an alert to someone (null: to nobody)',
      params: idParams,
      body: z.object({ assignee: z.string().min(1).max(320).nullable() }),
      response: { 200: alertSchema },
    },
    handler: async (req) => {
      await assignAlert(ctx.store, req.params.id, req.body.assignee, { actor: actorOfPrincipal(req.principal!) });
      return fresh(req.params.id);
    },
  });

  app.post('/api/alerts/:id/mute', {
    config: { role: 'analyst' },
    schema: {
      tags: ['alerts'],
      summary: 'Mute the alert\'s rule and entity (audited); later alerts of the pattern go to no sink',
      params: idParams,
      body: z.object({ reason: z.string().trim().min(1).max(2000), days: z.number().int().min(1).max(3650).optional().describe('Days the mute lasts; absent: until removed.') }),
      response: { 200: alertSchema },
    },
    handler: async (req) => {
      const days = req.body.days;
      await muteAlert(ctx.store, req.params.id, {
        actor: actorOfPrincipal(req.principal!), reason: req.body.reason, source: 'api', ...(days === undefined ? {} : { until: ctx.clock() + days * DAY }),
      });
      return fresh(req.params.id);
    },
  });

  app.post('/api/alerts/ack', {
    config: { role: 'analyst' },
    schema: {
      tags: ['alerts'],
      summary: 'Acknowledge several open alerts at once (unknown or not open ones are skipped)',
      body: z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(500), reason: z.string().max(2000).optional() }),
      response: { 200: z.object({ updated: z.number() }) },
    },
    handler: async (req) => ({ updated: await ackAlerts(ctx.store, req.body.ids, { actor: actorOfPrincipal(req.principal!), ...reasonOf(req.body.reason) }) }),
  });
};
