/** Response actions by hand (revoke a share, suspend a user, ...): what each service offers for a target, running one through the responder's audited path, and the action log. */
import { z } from 'zod';
import { alertOrFail } from '../../actions/triage.js';
import type { ActionRecord, ActionStatus } from '../../core/store.js';
import { actorOfPrincipal, type RouteModule } from '../context.js';

const targetSchema = z.object({
  kind: z.enum(['user', 'file']),
  id: z.string().describe('A user: the email the service knows them by. A file: the service\'s file id.'),
  member: z.string().optional(),
  owner: z.string().optional(),
});

const offerSchema = z.object({
  source: z.string().describe('The configured source (connection) that acts; `saaswatch` for its own blocklist.'),
  service: z.string(),
  action: z.string(),
  summary: z.string(),
  disruptive: z.boolean(),
  executes: z.boolean().describe('Listed in response.execute: `execute: true` changes the service. Otherwise only a dry run is allowed.'),
  target: targetSchema,
});

const STATUSES = ['pending', 'started', 'dry-run', 'done', 'already', 'failed', 'refused', 'skipped', 'cancelled'] as const satisfies readonly ActionStatus[];

/** A stored action record, as the store keeps it: the same objects an alert's `responses` lists. */
export const actionRecordSchema = z.looseObject({
  id: z.string(),
  source: z.string(),
  service: z.string(),
  action: z.string(),
  target: targetSchema,
  status: z.string().describe(`One of ${STATUSES.join(', ')}.`),
  mode: z.enum(['dry-run', 'execute']),
  actor: z.string(),
  reason: z.string(),
  automatic: z.boolean(),
  disruptive: z.boolean(),
  attempts: z.number(),
  plan: z.string().optional().describe('What a dry run would do, or what was done.'),
  error: z.string().optional().describe('Why it failed or was refused.'),
  before: z.record(z.string(), z.unknown()).optional(),
  after: z.record(z.string(), z.unknown()).optional(),
  alertId: z.string().optional(),
  policy: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const records = (rs: readonly ActionRecord[]) => rs as unknown as Array<z.infer<typeof actionRecordSchema>>;

const targetParam = z.string().trim().min(1).max(1000);

export const actions: RouteModule = (app, ctx) => {
  app.get('/api/actions/offers', {
    config: { role: 'viewer' },
    schema: {
      tags: ['actions'],
      summary: 'What can be done to a user or a file, on each configured service, and whether it executes or only dry-runs',
      querystring: z.object({
        target: targetParam.describe('A user\'s email, or a file id.'),
        member: z.string().trim().min(1).max(320).optional().describe('For remove-file-member: the member\'s email.'),
      }),
      response: { 200: z.object({ items: z.array(offerSchema) }) },
    },
    handler: async (req) => {
      const offers = ctx.responder.offers(req.query.target, req.query.member ? { member: req.query.member } : {});
      return { items: offers.map((o) => ({ source: o.source, service: o.service, action: o.action, summary: o.summary, disruptive: o.disruptive, executes: o.executes, target: o.target })) };
    },
  });

  app.post('/api/actions', {
    config: { role: 'analyst' },
    schema: {
      tags: ['actions'],
      summary: 'Run a response action by hand on every service that offers it for the target (or only `source`); a dry run unless `execute` (audited)',
      body: z.object({
        action: z.string().trim().min(1).max(100).describe('An action GET /api/actions/offers lists, e.g. remove-public-link.'),
        target: targetParam.describe('A user\'s email, or a file id.'),
        source: z.string().trim().min(1).max(200).optional().describe('Only this configured source.'),
        member: z.string().trim().min(1).max(320).optional().describe('For remove-file-member: the member\'s email.'),
        reason: z.string().trim().min(1).max(2000).describe('Why: it goes to the audit log.'),
        execute: z.boolean().describe('Really change the service (the action must be in response.execute); false: a dry run that only plans.'),
        alert_id: z.string().min(1).max(200).optional().describe('The alert it answers: the record is listed with that alert\'s responses.'),
      }),
      response: { 200: z.object({ items: z.array(actionRecordSchema) }) },
    },
    handler: async (req) => {
      const b = req.body;
      if (b.alert_id) await alertOrFail(ctx.store, b.alert_id);
      const done = await ctx.responder.act({
        action: b.action,
        target: b.target,
        ...(b.source ? { source: b.source } : {}),
        ...(b.member ? { member: b.member } : {}),
        reason: b.reason,
        execute: b.execute,
        actor: actorOfPrincipal(req.principal!),
        ...(b.alert_id ? { alertId: b.alert_id } : {}),
      });
      return { items: records(done) };
    },
  });

  app.get('/api/actions', {
    config: { role: 'viewer' },
    schema: {
      tags: ['actions'],
      summary: 'The action log (by hand and by policy), oldest first, filtered',
      querystring: z.object({
        alert: z.string().min(1).max(200).optional().describe('Actions taken for this alert.'),
        status: z.enum(STATUSES).optional(),
        target: z.string().min(1).max(1000).optional().describe('A user\'s email or a file id.'),
        source: z.string().min(1).max(200).optional(),
        action: z.string().min(1).max(100).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100).describe('At most this many (1 to 500, default 100).'),
      }),
      response: { 200: z.object({ items: z.array(actionRecordSchema) }) },
    },
    handler: async (req) => {
      const q = req.query;
      const rows = await ctx.store.listActions({
        ...(q.alert ? { alertId: q.alert } : {}),
        ...(q.status ? { status: [q.status] } : {}),
        ...(q.target ? { targetId: q.target } : {}),
        ...(q.source ? { source: q.source } : {}),
        ...(q.action ? { action: q.action } : {}),
        limit: q.limit,
      });
      return { items: records(rows) };
    },
  });
};
