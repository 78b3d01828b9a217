/** Config schema of the webhook sink: where to POST, how to authenticate and sign, and how hard to retry. */
import { z } from 'zod';
import { zHttpUrl, zSecret } from '../../core/index.js';
import { sinkHttpShape } from '../http-config.js';
import { ALLOW_FIELD, NetGuard } from '../ssrf.js';

/** Headers the sink sets itself; letting config override them would break signing or idempotency. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'user-agent', 'transfer-encoding']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const webhookConfigSchema = z
  .strictObject({
    url: zHttpUrl('https://hooks.example.com/saaswatch').describe('Where alerts are POSTed as JSON.'),
    token: zSecret.optional().describe('Sent as `Authorization: Bearer <token>`.'),
    secret: zSecret.optional().describe('HMAC-SHA256 key for `X-Saaswatch-Signature`.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Extra static headers, e.g. a tenant id the receiver routes on.'),
    ...sinkHttpShape,
  })
  .superRefine((c, ctx) => {
    // An IP literal or a metadata name is refused here, at config check; names are checked after DNS, at each connect.
    let host: string;
    try {
      host = new URL(c.url).hostname;
    } catch {
      return;
    }
    const refused = new NetGuard(c.allow_networks, 'sink', { allowPrivate: c.allow_private_networks }).checkHost(host);
    if (refused) ctx.addIssue({ code: 'custom', path: ['url'], message: refused.message.replace(/^sink\.url: /, '').replace(/sink\.allow_networks/, ALLOW_FIELD) });
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
