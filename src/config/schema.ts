/** The top-level config shape; each plugin's own section is validated by that plugin's schema. */
import { z } from 'zod';
import { zDuration } from '../core/index.js';
import { enrichConfigSchema } from '../enrich/index.js';

const kebab = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const pluginEntry = z
  .object({
    type: z.string({ error: 'expected the integration type, e.g. json-logs' }),
    name: z.string().regex(kebab, 'expected a kebab-case name such as auth-logs').optional(),
  })
  .catchall(z.unknown());

export const storageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('sqlite'),
    /** Relative paths are resolved against data_dir. */
    path: z.string().default('saaswatch.db'),
    retention: zDuration.prefault('90d'),
  }),
  z.strictObject({
    type: z.literal('postgres'),
    url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL'),
    schema: z.string().optional(),
    pool_size: z.number().int().min(1).max(100).default(10),
    retention: zDuration.prefault('90d'),
  }),
]);

export const serverSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
});

export const rootSchema = z.strictObject({
  /** Where the SQLite database, alerts.jsonl and other local state live. */
  data_dir: z.string().default('.saaswatch'),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  storage: storageSchema.default({ type: 'sqlite', path: 'saaswatch.db', retention: 90 * 86_400_000 }),
  sources: z.array(pluginEntry).default([]),
  /** Offline GeoIP/ASN, user agents, and identity mapping across sources. */
  enrich: enrichConfigSchema.prefault({}),
  detection: z.array(pluginEntry).default([{ type: 'brute-force' }, { type: 'isolation-forest' }]),
  sinks: z.array(pluginEntry).default([{ type: 'jsonl-file', name: 'alerts-file' }]),
  server: serverSchema.default({ host: '127.0.0.1', port: 8080 }),
});

export type StorageConfig = z.output<typeof storageSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
