/** Config schema of the webhook sink: where to POST, how to authenticate and sign, and how hard to retry. */
import { z } from 'zod';
import { zDuration, zHttpUrl, zSecret } from '../../core/index.js';

/** Headers the sink sets itself; letting config override them would break signing or idempotency. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'user-agent', 'transfer-encoding']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const backoffSchema = z
  .strictObject({
    /** Ceiling of the first retry delay (full jitter below it). */
    initial: zDuration.prefault('1s'),
    /** The delay ceiling never grows past this. */
    max: zDuration.prefault('5m'),
  })
  .refine((b) => b.initial > 0, { message: 'backoff.initial must be greater than zero', path: ['initial'] })
  .refine((b) => b.initial <= b.max, { message: 'backoff.initial must not exceed backoff.max', path: ['max'] });

export const webhookConfigSchema = z
  .strictObject({
    url: zHttpUrl('https://hooks.example.com/saaswatch'),
    /** Sent as `Authorization: Bearer <token>`. */
    token: zSecret.optional(),
    /** HMAC-SHA256 key for `X-Saaswatch-Signature`. */
    secret: zSecret.optional(),
    /** Whole request, connect to last byte of the response. */
    timeout: zDuration.prefault('10s').refine((ms) => ms > 0, { message: 'timeout must be greater than zero' }),
    /** Attempts including the first before the delivery is marked failed. */
    max_attempts: z.number().int().min(1).max(100).default(8),
    backoff: backoffSchema.prefault({}),
    /** Extra static headers, e.g. a tenant id the receiver routes on. */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((c, ctx) => {
    for (const name of Object.keys(c.headers)) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: `invalid header name ${JSON.stringify(name)}` });
      } else if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-saaswatch-')) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: `header ${name} is set by saaswatch and cannot be overridden` });
      } else if (lower === 'authorization' && c.token !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'set either token or an Authorization header, not both' });
      }
    }
    for (const [name, value] of Object.entries(c.headers)) {
      // CR/LF would let a config value smuggle extra headers; fetch rejects them late and opaquely.
      if (/[\r\n\0]/.test(value)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'header values must not contain line breaks' });
      }
    }
  });

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
