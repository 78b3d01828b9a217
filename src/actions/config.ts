/** The `response:` config section: which actions may change a service, protected accounts, policies and their rate limit. */
import { z } from 'zod';
import { BLOCK_SCOPES, zDuration, zRouteFilter, zSeverity, zStrictObject } from '../core/index.js';
import { zRetry } from '../pipeline/polling-config.js';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** saaswatch's own actions, offered whatever sources are configured. */
export const LOCAL_ACTIONS = ['block-user', 'unblock-user'] as const;

export const policySchema = zStrictObject(
  {
    name: z.string().regex(KEBAB, { error: 'name must be kebab-case, e.g. public-link-removal' }).describe('What the audit log and the alert call this policy (kebab-case).'),
    min_severity: zSeverity.default('low').describe('Only alerts of this severity or higher.'),
    include: zRouteFilter.describe('The alerts it acts on: every dimension given must match (rules, sources, entities, tags), as in a sink route.'),
    exclude: zRouteFilter.optional().describe('Alerts matching any pattern here are left alone.'),
    actions: z
      .array(z.string().regex(KEBAB, { error: 'each action is a kebab-case name such as suspend-user (see `saaswatch actions`)' }))
      .min(1)
      .describe('Actions to run for each matching alert, on its user (entity or evidence) or the files in its evidence: `block-user`, `suspend-user`, `sign-out-user`, `remove-public-link`, ... Each runs on every configured service that offers it; dry-run unless listed in `response.execute`.'),
    after: zDuration
      .prefault('0s')
      .describe('Wait this long after the alert is raised; if an analyst acknowledges or closes it meanwhile, the actions are cancelled.'),
    block_scope: z.enum(BLOCK_SCOPES).default('all').describe('For block-user: what the block stops (all, or one activity class).'),
    block_for: zDuration.optional().describe('For block-user: the block ends on its own after this long (absent: until unblocked).'),
  },
  'response.policies[]',
);

export type ResponsePolicy = z.output<typeof policySchema>;

export const responseSchema = zStrictObject(
  {
    execute: z
      .array(z.string().regex(/^([a-z0-9][a-z0-9_-]*\/)?[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { error: 'each entry is an action name (suspend-user) or source/action (google/suspend-user)' }))
      .default([])
      .describe('Actions that really change the services (`suspend-user`, or `<source name>/suspend-user` for one connection). Every other action is a dry run: read, planned and audited, nothing changed.'),
    protected: z
      .array(z.string().min(1))
      .default([])
      .describe('Accounts never suspended, disabled or signed out automatically (admins, break-glass users): emails, `*` matching any run of characters. An analyst may still act on them by hand.'),
    max_automatic_per_hour: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe('At most this many disruptive automatic actions (suspend, sign out) in any hour; past it a policy raises an alert instead of acting, so a bad rule cannot lock out the company.'),
    interval: zDuration
      .prefault('10s')
      .refine((ms) => ms >= 100, { message: 'response.interval must be at least 100ms' })
      .describe('How often queued automatic actions whose time has come are run, and expired blocks lifted.'),
    catch_up: zDuration
      .prefault('1d')
      .describe('At start, alerts raised this far back get their policies applied if they have not yet been (a stop between raising an alert and queueing its actions).'),
    timeout: zDuration
      .prefault('2m')
      .refine((ms) => ms >= 1000, { message: 'response.timeout must be at least 1s' })
      .describe("How long one action may take, every call and retry included (each call also has its source's own timeout). An action started more than twice this long ago by a process that is gone is read again and recorded."),
    retry: zRetry(4),
    policies: z.array(policySchema).default([]).describe('Automatic responses: which actions run for which alerts.'),
  },
  'response',
)
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.policies.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: `policy name ${p.name} is used twice: names must be unique` });
      seen.add(p.name);
    });
  })
  .describe('Response actions: what may change the services, who is never suspended automatically, and automatic policies.');

export type ResponseConfig = z.output<typeof responseSchema>;
