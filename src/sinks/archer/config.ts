/** Config schema of the Archer sink: where Archer is, who logs in, and which level, fields and values-list ids an incident fills. */
import { z } from 'zod';
import { SEVERITIES, zHttpUrl, zSecret } from '../../core/index.js';
import { sinkHttpShape } from '../http-config.js';
import { ALLOW_FIELD, NetGuard } from '../ssrf.js';

const zFieldId = z.number().int().positive().describe('An Archer field id (Administration › Application Builder › the field’s ID).');
const zListId = z.number().int().positive();

/** The alert properties a mapping can read besides its details (`details` names such as `email.from.address`). */
export const ALERT_PROPERTIES = ['alert.id', 'alert.rule', 'alert.title', 'alert.severity', 'alert.entity', 'alert.window_start', 'alert.window_end', 'alert.created_at', 'alert.score', 'alert.dedup_key'] as const;

export const FIELD_TYPES = ['text', 'numeric', 'date', 'values_list', 'cross_reference'] as const;

const mappingSchema = z
  .strictObject({
    id: zFieldId,
    type: z.enum(FIELD_TYPES).default('text').describe('The Archer field type: text (1), numeric (2), date (3), values_list (4), cross_reference (9).'),
    from: z
      .string()
      .min(1)
      .describe(`Where the value comes from: an alert detail (\`email.from.address\`, \`email.reporters\`, ...) or one of ${ALERT_PROPERTIES.join(', ')}.`),
    values: z
      .record(z.string(), zListId)
      .optional()
      .describe('values_list only: the values-list id of each value the detail can take; a value not listed leaves the field empty.'),
  })
  .superRefine((m, ctx) => {
    if (m.type === 'values_list' && !m.values) ctx.addIssue({ code: 'custom', path: ['values'], message: 'a values_list mapping needs values: { <detail value>: <values-list id> }' });
    if (m.type !== 'values_list' && m.values) ctx.addIssue({ code: 'custom', path: ['values'], message: `values applies to values_list fields only, not ${m.type}` });
  });

export type ArcherMapping = z.output<typeof mappingSchema>;

export const archerConfigSchema = z
  .strictObject({
    base_url: zHttpUrl('https://archer.example.com').describe('Archer’s web address, with its virtual directory if it has one (`https://grc.example.com/RSAarcher`).'),
    instance: z.string().min(1).describe('The Archer instance name (the login page’s Instance).'),
    username: z.string().min(1).describe('The API user.'),
    password: zSecret.describe('The API user’s password.'),
    user_domain: z.string().default('').describe('The user’s domain; empty for a local Archer account.'),
    level_id: z.number().int().positive().describe('The level id of the incidents application (one application may have several levels).'),
    content_api_alias: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an Archer alias (letters, digits, underscores)')
      .optional()
      .describe('The level’s alias in the Content API (`/contentapi/<alias>`): where the sink looks for an incident it made before creating one. Needed with fields.dedup_key.'),
    fields: z
      .strictObject({
        title: zFieldId.describe('Text field for the alert title.'),
        description: zFieldId.describe('Text (rich text) field for the description, evidence and updates (HTML, every value escaped).'),
        severity: z
          .strictObject({
            id: zFieldId.describe('Values-list field for the severity.'),
            values: z
              .partialRecord(z.enum(SEVERITIES), zListId)
              .describe('Values-list id of each severity: low, medium and high are required; critical falls back to high.'),
          })
          .describe('The severity field and its values-list ids.'),
        dedup_key: z
          .strictObject({
            id: zFieldId.describe('Text field that holds the saaswatch key of the incident.'),
            alias: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an Archer alias').describe('The same field’s alias in the Content API, for the `$filter` lookup.'),
          })
          .optional()
          .describe('Where the incident’s key (the alert dedup key, or its group’s first) is stored and looked up before creating: what keeps a crash between create and commit from making a second incident. Strongly recommended.'),
      })
      .describe('Field ids of the incident level.'),
    mappings: z.array(mappingSchema).default([]).describe('More fields filled from the alert’s details, e.g. `{ id: 1011, type: text, from: email.from.address }`.'),
    dashboard_url: zHttpUrl('https://saaswatch.example.com').optional().describe('Base URL of the saaswatch dashboard; each incident links to its alert there.'),
    ...sinkHttpShape,
  })
  .superRefine((c, ctx) => {
    let host: string | undefined;
    try {
      host = new URL(c.base_url).hostname;
    } catch {
      host = undefined;
    }
    if (host !== undefined) {
      const refused = new NetGuard(c.allow_networks, 'sink', { allowPrivate: c.allow_private_networks }).checkHost(host);
      if (refused) ctx.addIssue({ code: 'custom', path: ['base_url'], message: refused.message.replace(/^sink\.url: /, '').replace(/sink\.allow_networks/, ALLOW_FIELD) });
    }
    const missing = (['low', 'medium', 'high'] as const).filter((s) => c.fields.severity.values[s] === undefined);
    if (missing.length) ctx.addIssue({ code: 'custom', path: ['fields', 'severity', 'values'], message: `no values-list id for severity ${missing.join(', ')}: add ${missing.map((s) => `${s}: <id>`).join(', ')}` });
    if (c.fields.dedup_key && !c.content_api_alias) ctx.addIssue({ code: 'custom', path: ['content_api_alias'], message: 'fields.dedup_key is looked up through the Content API: set content_api_alias to the level’s alias' });
    const used = new Map<number, string>();
    const claim = (id: number, where: string) => {
      const before = used.get(id);
      if (before) ctx.addIssue({ code: 'custom', path: where.split('.'), message: `field id ${id} is already used by ${before}` });
      else used.set(id, where);
    };
    claim(c.fields.title, 'fields.title');
    claim(c.fields.description, 'fields.description');
    claim(c.fields.severity.id, 'fields.severity.id');
    if (c.fields.dedup_key) claim(c.fields.dedup_key.id, 'fields.dedup_key.id');
    c.mappings.forEach((m, i) => claim(m.id, `mappings.${i}.id`));
  });

export type ArcherConfig = z.output<typeof archerConfigSchema>;
