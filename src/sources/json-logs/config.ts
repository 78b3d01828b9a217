/** Config schema of the json-logs source: where the log is, its format, which fields mean what, and how to read times. */
import { z } from 'zod';
import { zDuration, zStrictObject } from '../../core/index.js';
import { resolveZone } from './timestamp.js';

/** The normalized fields a `fields:` entry can map; each names one input path or a list of candidates. */
export const FIELD_TARGETS = ['timestamp', 'user', 'ip', 'action', 'outcome', 'user_agent', 'file_id', 'file_name', 'target_user'] as const;

export type FieldTarget = (typeof FIELD_TARGETS)[number];

/** Values (compared lower-cased) that mean success or failure; HTTP statuses included for access logs. */
export const DEFAULT_OUTCOME_VALUES = {
  success: [
    'success', 'succeeded', 'successful', 'ok', 'true', 'allow', 'allowed', 'accept', 'accepted', 'pass', 'passed',
    'permit', 'permitted', 'granted', '200', '201', '202', '204', '301', '302', '303', '304', '307', '308',
  ],
  failure: [
    'failure', 'fail', 'failed', 'error', 'denied', 'deny', 'reject', 'rejected', 'blocked', 'block', 'forbidden',
    'unauthorized', 'invalid', 'false', '400', '401', '403', '404', '405', '407', '409', '429', '500', '502', '503', '504',
  ],
};

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1 << 20, gb: 1e9, gib: 1 << 30 };

/** A byte size as a number or `512KiB`, `1MiB`, `2MB`. */
const zByteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v > 0) return v;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
    if (m && unit !== undefined) return Math.round(Number(m[1]) * unit);
  }
  ctx.addIssue({ code: 'custom', message: `expected a byte size such as 1048576, 512KiB or 1MiB, got ${JSON.stringify(v)}` });
  return z.NEVER;
});

/** One input field path (`actor.email`) or a list of candidates, first present wins. */
const zFieldRef = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: 'expected an input field path such as "actor.email", or a list of candidate paths',
  })
  .transform((v) => (typeof v === 'string' ? [v] : v));

const fieldsSchema = zStrictObject(
  {
    timestamp: zFieldRef.optional().describe('Input field holding the time of the event.'),
    user: zFieldRef.optional().describe('Input field holding the acting user (email or login).'),
    ip: zFieldRef.optional().describe('Input field holding the client IP address.'),
    action: zFieldRef.optional().describe('Input field holding what was done (`login`, `file.download`).'),
    outcome: zFieldRef.optional().describe('Input field holding success or failure (see outcome_values).'),
    user_agent: zFieldRef.optional().describe('Input field holding the client user agent.'),
    file_id: zFieldRef.optional().describe('Input field holding the id of the file acted on.'),
    file_name: zFieldRef.optional().describe('Input field holding the name of the file acted on.'),
    target_user: zFieldRef.optional().describe('Input field holding the user acted on (an admin action\'s target).'),
  },
  'json-logs fields',
);

const zOutcomeList = z
  .array(z.union([z.string(), z.number(), z.boolean()]))
  .transform((vs) => vs.map((v) => String(v).toLowerCase()));

const dedupeSchema = zStrictObject(
  {
    window: zDuration
      .refine((ms) => ms > 0, { message: 'dedupe.window must be greater than zero' })
      .describe('Records identical but for the timestamp within this long of the first become one event.'),
    max_groups: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('Open groups held at once; the oldest is emitted when more arrive, which bounds memory.'),
  },
  'json-logs dedupe',
);

export const jsonLogsConfigSchema = zStrictObject(
  {
    path: z.string().min(1, 'path must not be empty').optional().describe('The log file; `saaswatch ingest FILE|-` supplies its own input instead.'),
    format: z
      .enum(['auto', 'json', 'jsonl', 'csv'], { error: 'format must be one of auto, json, jsonl, csv' })
      .default('auto')
      .describe('`json` (an array), `jsonl` (a record a line), `csv` (a header line, then rows), or `auto` (decided from the first bytes).'),
    fields: fieldsSchema
      .prefault({})
      .describe('Which input field (a dotted path, or a list of candidates where the first present wins) gives each normalized field; unset ones are guessed from common names.'),
    outcome_values: zStrictObject(
      {
        success: zOutcomeList.optional().describe('Values (any case) of the outcome field that mean success.'),
        failure: zOutcomeList.optional().describe('Values (any case) of the outcome field that mean failure.'),
      },
      'json-logs outcome_values',
    )
      .prefault({})
      .transform((o) => ({ success: o.success ?? DEFAULT_OUTCOME_VALUES.success, failure: o.failure ?? DEFAULT_OUTCOME_VALUES.failure }))
      .describe('Replaces the default list of the side it names; the other side keeps its default.'),
    timezone: z
      .string()
      .default('UTC')
      .refine((tz) => resolveZone(tz) !== undefined, {
        error: (iss) => `unknown time zone ${JSON.stringify(iss.input)}; use UTC, an IANA name such as Europe/Paris, or an offset such as +02:00`,
      })
      .describe('Zone of timestamps written without one: UTC, an IANA name (Europe/Paris) or an offset (+02:00).'),
    timestamp_format: z
      .enum(['auto', 'epoch_s', 'epoch_ms', 'epoch_us'], { error: 'timestamp_format must be one of auto, epoch_s, epoch_ms, epoch_us' })
      .default('auto')
      .describe('Unit of numeric timestamps; `auto` decides by magnitude.'),
    infer_outcome: z
      .boolean({ error: 'infer_outcome must be true or false' })
      .default(true)
      .describe(
        "With no outcome field, or one whose value is neither a success nor a failure, read the outcome off the action's words (`failed_login` → failure) and record the rule in labels.outcome_inferred_from.",
      ),
    category: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .default(['web'])
      .transform((v) => (typeof v === 'string' ? [v] : v))
      .describe('event.category for records whose action is not an authentication.'),
    dedupe: dedupeSchema.optional().describe('Merge records that repeat but for their timestamp (a log writing one event several times).'),
    // Unset is exact for a file in any order (an export written newest first), but the detectors hold what they count until the end.
    lateness: zDuration
      .optional()
      .describe(
        'How far out of time order records can be: the source then promises, as it reads, that nothing older than its newest record less this will follow, so windowed detectors judge as it goes. Unset: no promise until the input ends.',
      ),
    // 20,000 rather than 5,000: on SQLite each commit rewrites every index page it touches, and the
    // (user_email, ts) and (source_ip, ts) indexes take one insert per user or address at a random
    // page, so a bigger commit shares pages among more rows (1M events: a third less wall time, half
    // the system time; README "Benchmarks"). Memory stays bounded: one batch is held at a time.
    batch_size: z.number().int().min(1).max(100_000).default(20_000).describe('Records handed to the pipeline (and committed) at a time.'),
    max_record_bytes: zByteSize
      .prefault(1 << 20)
      .refine((n) => n >= 1024 && n <= 256 << 20, { message: 'max_record_bytes must be between 1KiB and 256MiB' })
      .describe('Longer records become one INPUT_TOO_LARGE dead letter and are skipped without being buffered; a number or `512KiB`, `1MiB`.'),
    max_record_depth: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(64)
      .describe('Deepest nesting of objects and arrays a JSON record may have (the record itself is 1); deeper records become one INPUT_TOO_LARGE dead letter, checked before the record is parsed.'),
  },
  'json-logs source config',
).superRefine((c, ctx) => {
  const both = c.outcome_values.success.filter((v) => c.outcome_values.failure.includes(v));
  if (both.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['outcome_values'],
      message: `outcome values listed as both success and failure: ${both.join(', ')}`,
    });
  }
});

export type JsonLogsConfig = z.output<typeof jsonLogsConfigSchema>;
export type JsonLogsConfigInput = z.input<typeof jsonLogsConfigSchema>;
