/** The top-level config shape; each plugin's own section is validated by that plugin's schema. */
import { z } from 'zod';
import { zDuration } from '../core/index.js';
import { enrichConfigSchema } from '../enrich/index.js';

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

const retention = zDuration.prefault('90d').describe('Stored events older than this are deleted when `saaswatch run` starts.');

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

export const serverSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Address the webhook receiver listens on; 0.0.0.0 accepts pushes from other machines.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('Port of the webhook receiver; 0 picks a free one.'),
  })
  .describe('The HTTP listener of `saaswatch run` for sources that take pushes (webhooks).');

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
});

export type StorageConfig = z.output<typeof storageSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
