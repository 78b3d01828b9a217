/** Config schema of the http-json source: the URL, the credential header, how pages follow, the json-logs field mapping and the shared poller fields. */
import { z } from 'zod';
import { zDuration, zHttpUrl, zSecret, zStrictObject } from '../../core/index.js';
import { pollerFields, withRenames, zBackfill } from '../../pipeline/polling-config.js';
import { jsonLogsConfigSchema } from '../json-logs/config.js';

const mapping = jsonLogsConfigSchema.shape;

const authSchema = zStrictObject(
  {
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, { error: 'auth.header must be a header name such as Authorization or X-API-Key' })
      .default('Authorization')
      .describe("The header that carries the credential: `Authorization`, or the vendor's API-key header such as `X-API-Key`."),
    value: zSecret.describe('Its value, from the environment: `Bearer ${VENDOR_TOKEN}` or `${VENDOR_API_KEY}`. Never logged.'),
  },
  'http-json auth',
);

const pagingSchema = zStrictObject(
  {
    type: z
      .enum(['none', 'next_link', 'cursor'], { error: 'paging.type must be one of none, next_link, cursor' })
      .default('none')
      .describe(
        '`none`: one request per poll (or per window). `next_link`: follow the next page\'s URL, from the body at `next_path` or from a `Link: <...>; rel="next"` header. `cursor`: send the token found at `cursor_path` back as the `cursor_param` query parameter.',
      ),
    next_path: z.string().min(1).optional().describe('Where the next page\'s URL is in the body (`links.next`); without it, the Link header.'),
    cursor_path: z.string().min(1).default('next_cursor').describe('Where the next page\'s token is in the body (paging type `cursor`).'),
    cursor_param: z.string().min(1).default('cursor').describe('Query parameter the token is sent back in (paging type `cursor`).'),
  },
  'http-json paging',
);

const windowSchema = zStrictObject(
  {
    since_param: z.string().min(1).default('since').describe('Query parameter for the start (inclusive) of each window.'),
    until_param: z.string().min(1).default('until').describe('Query parameter for the end (exclusive) of each window.'),
    format: z
      .enum(['iso', 'epoch_s', 'epoch_ms'], { error: 'time_window.format must be one of iso, epoch_s, epoch_ms' })
      .default('iso')
      .describe('How the instants are written: ISO 8601, or epoch seconds or milliseconds.'),
    size: zDuration
      .prefault('1h')
      .refine((ms) => ms >= 1000, { message: 'time_window.size must be at least 1s' })
      .describe('Each request covers at most this much time, so a long backfill commits progress as it goes.'),
  },
  'http-json time_window',
);

export const httpJsonConfigSchema = withRenames(
  {
    url: zHttpUrl('https://api.example.com/v1/audit').describe('The endpoint; its query string is kept and the paging parameters are added to it.'),
    auth: authSchema.optional().describe('The credential, sent as one header on every request.'),
    format: z
      .enum(['auto', 'json', 'jsonl'], { error: 'format must be one of auto, json, jsonl' })
      .default('auto')
      .describe('`json` (an array, or an object holding one at items_path), `jsonl` (a record a line), or `auto`.'),
    items_path: z
      .string()
      .min(1)
      .optional()
      .describe('Where the records are in a JSON object body (`data.events`); default: the body itself when it is an array, else `items`, `data`, `events`, `results`, `records` or `logs`.'),
    paging: pagingSchema.prefault({}).describe('How one poll gets from a page to the next.'),
    time_window: windowSchema.optional().describe('Ask for [since, until) windows: the resume point is then a time, and a restart re-reads only `settle`.'),
    ...pollerFields({ backfill: zBackfill('1d'), settle: '10m', pageSize: { max: 100_000, default: 1000 }, baseUrl: 'https://api.example.com', maxAttempts: 6 }),
    page_size_param: z.string().min(1).optional().describe('Query parameter carrying page_size; unset: none is sent.'),
    max_body_bytes: z.number().int().min(1024).default(64 << 20).describe('Longer bodies are refused (a misconfigured URL serving a file).'),
    fields: mapping.fields,
    outcome_values: mapping.outcome_values,
    timezone: mapping.timezone,
    timestamp_format: mapping.timestamp_format,
    infer_outcome: mapping.infer_outcome,
    category: mapping.category,
  },
  {},
  'http-json source config',
).superRefine((c, ctx) => {
  if (c.base_url !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'http-json takes the whole endpoint in url; remove base_url' });
  }
});

export type HttpJsonConfig = z.output<typeof httpJsonConfigSchema>;
export type HttpJsonConfigInput = z.input<typeof httpJsonConfigSchema>;
