/** Config schema of the jira sink: which Jira, how to authenticate, and how alerts become issues. */
import { z } from 'zod';
import { zHttpUrl, zSecret } from '../../core/index.js';
import { sinkHttpShape } from '../http-config.js';
import { ALLOW_FIELD, NetGuard } from '../ssrf.js';

/** Jira labels may not contain whitespace and are at most 255 characters. */
const zLabel = z
  .string()
  .min(1)
  .max(255)
  .regex(/^\S+$/, 'a Jira label may not contain spaces');

/** A custom field value: copied as given; every string in it is a template (`{{details.user.email}}`). */
const zCustomValue: z.ZodType<unknown> = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.record(z.string(), z.unknown())])), z.record(z.string(), z.unknown())]);

export const jiraConfigSchema = z
  .strictObject({
    base_url: zHttpUrl('https://your-domain.atlassian.net').describe('The Jira site, e.g. https://your-domain.atlassian.net (REST v3 is under it).'),
    email: z.string().min(3).optional().describe('Jira Cloud: the Atlassian account email the API token belongs to (with `api_token`).'),
    api_token: zSecret.optional().describe('Jira Cloud: an API token (id.atlassian.com → Security → API tokens), sent as Basic email:token.'),
    pat: zSecret.optional().describe('Jira Data Center: a personal access token, sent as Bearer; the sink then speaks REST v2 (wiki markup) instead of Cloud\'s v3.'),
    project: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{1,254}$/, 'expected a Jira project key such as SEC (upper-case letters, digits, underscore)')
      .describe('Project key the issues are created in.'),
    issue_type: z.string().min(1).default('Task').describe('Issue type name, as the project has it (Task, Bug, Incident...), or its numeric id.'),
    priorities: z
      .strictObject({
        critical: z.string().min(1).default('Highest').describe('Priority name for critical alerts.'),
        high: z.string().min(1).default('High').describe('Priority name for high alerts.'),
        medium: z.string().min(1).default('Medium').describe('Priority name for medium alerts.'),
        low: z.string().min(1).default('Low').describe('Priority name for low alerts.'),
      })
      .prefault({})
      .describe('Jira priority name per alert severity; unset severities keep the default.'),
    labels: z
      .array(zLabel)
      .min(1, 'keep at least one label: the first is how saaswatch finds its tickets to summarise them')
      .default(['saaswatch'])
      .describe('Labels on every issue (at least one; the first finds saaswatch tickets for the summary); the sink adds its own `saaswatch-<hash>` dedup label.'),
    components: z.array(z.string().min(1)).default([]).describe('Component names set on every issue (they must exist in the project).'),
    custom_fields: z
      .record(z.string().regex(/^customfield_\d+$/, 'expected a custom field id such as customfield_10050'), zCustomValue)
      .default({})
      .describe(
        'Custom field id → value. Strings are templates: {{rule}}, {{severity}}, {{title}}, {{alert_id}}, {{dedup_key}}, {{entity.type}}, {{entity.value}}, {{details.<name>}}; a string that is only one list-valued placeholder becomes the list.',
      ),
    on_closed: z
      .enum(['new', 'reopen'])
      .default('new')
      .describe('When the alert\'s issue is already Done: `new` creates another issue naming the closed one; `reopen` moves it back with `reopen_transition`.'),
    reopen_transition: z.string().min(1).default('Reopen').describe('Name of the workflow transition `on_closed: reopen` uses (case-insensitive).'),
    dashboard_url: zHttpUrl('https://saaswatch.example.com').optional().describe('Base URL of the saaswatch dashboard; each issue links to the alert under it.'),
    ...sinkHttpShape,
  })
  .superRefine((c, ctx) => {
    const cloud = c.email !== undefined || c.api_token !== undefined;
    if (cloud && c.pat !== undefined) ctx.addIssue({ code: 'custom', path: ['pat'], message: 'set either pat (bearer) or email + api_token (Jira Cloud), not both' });
    else if (cloud && (c.email === undefined || c.api_token === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.email === undefined ? 'email' : 'api_token'], message: 'Jira Cloud authentication needs both email and api_token' });
    } else if (!cloud && c.pat === undefined) ctx.addIssue({ code: 'custom', path: ['api_token'], message: 'set email + api_token (Jira Cloud) or pat (Data Center personal access token)' });
    let url: URL;
    try {
      url = new URL(c.base_url);
    } catch {
      return;
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'put credentials in email/api_token or pat, not in base_url' });
    if (url.search || url.hash) ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'base_url takes no query or fragment' });
    // An IP literal or a metadata name is refused here, at config check; names are checked after DNS, at each connect.
    const refused = new NetGuard(c.allow_networks, 'sink', { allowPrivate: c.allow_private_networks }).checkHost(url.hostname);
    if (refused) ctx.addIssue({ code: 'custom', path: ['base_url'], message: refused.message.replace(/^sink\.url: /, '').replace(/sink\.allow_networks/, ALLOW_FIELD) });
  });

export type JiraConfig = z.output<typeof jiraConfigSchema>;
