/** The top-level config shape; each plugin's own section is validated by that plugin's schema. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { zDuration, zStrictObject } from '../core/index.js';
import { piiSettingsSchema } from '../pii/settings.js';
import { responseSchema } from '../actions/config.js';
import { enrichConfigSchema } from '../enrich/index.js';
import { authSchema } from '../api/auth/config.js';
import { relaySchema } from '../api/relay/config.js';

const kebab = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const pluginEntry = z
  .object({
    type: z.string({ error: 'expected the integration type, e.g. json-logs' }).describe('Which integration this entry configures, e.g. json-logs.'),
    name: z
      .string()
      .regex(kebab, 'expected a kebab-case name such as auth-logs')
      .optional()
      .describe('Kebab-case name of this entry, unique within its section; logs, alerts and errors use it. Default: the type.'),
  })
  .catchall(z.unknown());

/**
 * How long each table keeps its rows; `saaswatch purge` and `saaswatch run` (at start, then hourly)
 * delete what is older. Detector state, cursors, blocks, mutes, files and identities are current state, not
 * history, and are never purged by age (a detector's rows refer to each other; it prunes its own).
 */
export const retentionPeriodsSchema = zStrictObject(
  {
    events: zDuration.prefault('90d').describe('Events whose event time is older than this.'),
    dead_letters: zDuration.prefault('30d').describe('Rejected records stored longer ago than this.'),
    alerts: zDuration
      .prefault('365d')
      .describe('Alerts (any status) not raised or updated for this long, with their deliveries; never one with a delivery still pending.'),
    deliveries: zDuration.prefault('30d').describe('Deliveries that were delivered or failed longer ago than this; pending ones are never purged.'),
    audit_log: zDuration.prefault('365d').describe('Audit entries (user blocks, ...) older than this.'),
    actions: zDuration
      .prefault('365d')
      .describe('Response actions (their queue and before/after record) that ended longer ago than this; a queued or started one is never purged.'),
  },
  'storage.retention',
);

export type RetentionPeriods = z.output<typeof retentionPeriodsSchema>;

const retention = z
  .union([zDuration, retentionPeriodsSchema], {
    // A union's own error says only "none of the allowed forms": name the problem of the form the value has.
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const form = typeof iss.input === 'object' && iss.input !== null ? iss.errors[1] : iss.errors[0];
      if (!form?.length) return undefined;
      return form.map((e) => (e.path.length ? `${e.path.join('.')}: ${e.message}` : e.message)).join('; ');
    },
  })
  // A plain duration is the events period, as before there were others; the rest keep their defaults.
  .transform((v): RetentionPeriods => (typeof v === 'number' ? retentionPeriodsSchema.parse({ events: `${v}ms` }) : v))
  .prefault('90d')
  .describe('How long stored rows are kept: one duration (the events period), or a period per table (below).');

export const storageSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('sqlite').describe('A local SQLite file: nothing to run, one process.'),
      path: z.string().default('saaswatch.db').describe('The database file; relative paths are resolved against data_dir. `:memory:` keeps nothing.'),
      retention,
    }),
    z.strictObject({
      type: z.literal('postgres').describe('PostgreSQL, for larger deployments.'),
      url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL such as postgres://user:pass@host:5432/db').describe('Connection URL, e.g. postgres://saaswatch:${PGPASSWORD}@db:5432/saaswatch.'),
      schema: z.string().optional().describe('Schema the tables live in; default: the search path (usually public).'),
      pool_size: z.number().int().min(1).max(100).default(10).describe('Connections kept open.'),
      retention,
    }),
  ])
  .describe('Where events, alerts, deliveries and detector state are stored.');

/** A trusted proxy: an address, a CIDR, or one of proxy-addr's names for a whole class of addresses. */
const isProxyAddress = (s: string): boolean => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(s)) return true;
  const [ip = '', prefix, ...rest] = s.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
};

export const serverSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Address the server (webhooks, API, dashboard) listens on; 0.0.0.0 accepts other machines.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('Port of the server; 0 picks a free one.'),
    tls: z
      .strictObject({
        cert_file: z.string().min(1).describe('PEM certificate (with its chain) the server presents; relative paths are resolved against the config file.'),
        key_file: z.string().min(1).describe('PEM private key of the certificate; keep it readable by saaswatch only.'),
      })
      .optional()
      .describe('Serve HTTPS with this certificate; absent: plain HTTP (on 127.0.0.1, or behind a reverse proxy that terminates TLS).'),
    trust_proxy: z
      .union([
        z.boolean().refine((v) => !v, 'true would believe an X-Forwarded-For any client can write (a proxy appends to it): give the proxy addresses or CIDRs'),
        z.array(z.string().refine(isProxyAddress, 'expected an IP address or CIDR such as 10.0.0.0/8, or loopback, linklocal, uniquelocal')).min(1),
      ])
      .default(false)
      .describe(
        'Behind a reverse proxy: believe its X-Forwarded-For (client address: logs, rate limits, the audit log) and X-Forwarded-Proto (secure cookies). The proxy addresses or CIDRs (`[127.0.0.1]`); `true` is refused, since a proxy appends to the header the client sent. Default false: the socket address.',
      ),
    auth: authSchema.prefault({}),
  })
  .describe('The HTTP server of `saaswatch run` and `saaswatch serve`: the sources\' webhooks, the JSON API and the dashboard.');

/** `type:value` (`user:alice@example.com`, `ip:203.0.113.7`); the value may be a glob. */
const ENTITY = /^([a-z][a-z0-9_.-]*):(.+)$/;

/** One mute from config: always in force (until its `until`), for every run, beside those made with `saaswatch alerts mute`. */
export const configMuteSchema = z
  .strictObject({
    rule: z.string().min(1).optional().describe('Rule id to mute (e.g. brute-force, a Sigma rule id); with entity, only that rule for that entity.'),
    entity: z
      .string()
      .regex(ENTITY, 'expected type:value such as user:alice@example.com or ip:203.0.113.7')
      .optional()
      .describe('Entity to mute as type:value (user:alice@example.com, ip:203.0.113.7); the value may be a glob: `*` any run of characters, `?` one (user:*@contractor.example), matched without regard to case.'),
    until: z
      .string()
      .refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && Number.isFinite(Date.parse(v)), 'expected an ISO time such as 2026-12-31T00:00:00Z')
      .optional()
      .describe('When the mute ends, ISO time; absent: while it stays in the config.'),
    reason: z.string().min(1, 'expected why it is muted (it shows beside every alert it holds back)').describe('Why: required, shown with the alerts it holds back.'),
  })
  .refine((m) => m.rule !== undefined || m.entity !== undefined, { message: 'expected rule, entity or both: a mute with neither would silence every alert' })
  .transform((m) => {
    const e = m.entity === undefined ? undefined : ENTITY.exec(m.entity);
    return {
      ...(m.rule === undefined ? {} : { rule: m.rule }),
      ...(e ? { entity: { type: e[1]!, value: e[2]! } } : {}),
      ...(m.until === undefined ? {} : { until: Date.parse(m.until) }),
      reason: m.reason,
    };
  });

export type ConfigMute = z.output<typeof configMuteSchema>;

/** What happens to alerts between the store and the sinks: grouping into notifications, and suppression. */
export const alertingSchema = zStrictObject(
  {
    group_window: zDuration
      .prefault('15m')
      .describe(
        'Alerts on the same entity (type and value) whose windows start within this of an earlier one join its group: sinks tell the group as one notification and later alerts as updates to it. 0 turns grouping off.',
      ),
    mutes: z
      .array(configMuteSchema)
      .default([])
      .describe('Suppression: alerts matching a mute are stored (and listed as muted by `saaswatch alerts`) but delivered to no sink.'),
  },
  'alerting',
).describe('Grouping of alerts into notifications, and suppression (mutes).');

export const rootSchema = z.strictObject({
  data_dir: z.string().default('.saaswatch').describe('Where the SQLite database, alerts.jsonl and other local state live; relative to the config file.'),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Lowest level logged (pino); SAASWATCH_LOG_LEVEL overrides it.'),
  storage: storageSchema.prefault({ type: 'sqlite' }),
  sources: z.array(pluginEntry).default([]).describe('Where events come from; each entry has a `type` (see Sources below) and that type\'s settings.'),
  enrich: enrichConfigSchema.prefault({}).describe('Offline GeoIP/ASN, user agents, and identity mapping across sources.'),
  detection: z
    .array(pluginEntry)
    .default([{ type: 'brute-force' }, { type: 'isolation-forest' }])
    .describe('Detectors run over every event; each entry has a `type` (see Detectors below) and that type\'s settings.'),
  sinks: z
    .array(pluginEntry)
    .default([{ type: 'jsonl-file', name: 'alerts-file' }])
    .describe('Where alerts are delivered; each entry has a `type` (see Sinks below) and that type\'s settings.'),
  server: serverSchema.prefault({}),
  alerting: alertingSchema.prefault({}),
  response: responseSchema.prefault({}),
  relay: relaySchema.prefault({}),
  pii: piiSettingsSchema.prefault({}),
});

export type StorageConfig = z.output<typeof storageSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type AlertingConfig = z.output<typeof alertingSchema>;
export type { ResponseConfig } from '../actions/config.js';
export type { RelayConfig } from '../api/relay/config.js';
