/** Dropbox webhook routes: the GET challenge echo, and signed POST notifications that wake the poller. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Secret, WebhookRequest, WebhookResponse, WebhookRoute } from '../../core/index.js';

export const WEBHOOK_PATH = '/webhooks/dropbox';

/** Dropbox notifications are tiny (`{list_folder, delta}` with account ids); anything this large is not one. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/** Dropbox sends the challenge as a random token; echoing arbitrary text back is all it needs, but bounded. */
const MAX_CHALLENGE_CHARS = 1024;

/** Constant-time check of X-Dropbox-Signature (hex HMAC-SHA256 of the raw body with the app secret). */
export function verifyDropboxSignature(body: Buffer, signature: string | undefined, appSecret: Secret): boolean {
  if (signature === undefined || !/^[0-9a-f]{64}$/i.test(signature.trim())) return false;
  const expected = createHmac('sha256', appSecret.reveal()).update(body).digest();
  const given = Buffer.from(signature.trim(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const text = (status: number, body: string): WebhookResponse => ({
  status,
  // nosniff: the challenge is attacker-chosen text and must never be rendered as HTML.
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
  body,
});

export function dropboxWebhookRoutes(opts: { source: string; appSecret: Secret; wake: () => void; logger: Logger | undefined }): WebhookRoute[] {
  const { source, appSecret, wake, logger } = opts;
  return [
    {
      method: 'GET',
      path: WEBHOOK_PATH,
      maxBodyBytes: MAX_WEBHOOK_BODY_BYTES,
      async handle(req: WebhookRequest) {
        const challenge = req.query.get('challenge');
        if (challenge === null || challenge === '' || challenge.length > MAX_CHALLENGE_CHARS) {
          return text(400, 'expected a challenge query parameter\n');
        }
        logger?.info({ source }, 'Dropbox webhook verification challenge answered.');
        return text(200, challenge);
      },
    },
    {
      method: 'POST',
      path: WEBHOOK_PATH,
      maxBodyBytes: MAX_WEBHOOK_BODY_BYTES,
      async handle(req: WebhookRequest) {
        const signature = req.headers['x-dropbox-signature'];
        if (!verifyDropboxSignature(req.body, signature, appSecret)) {
          logger?.warn(
            { source, remoteAddress: req.remoteAddress, reason: signature === undefined ? 'missing signature' : 'bad signature' },
            'Dropbox webhook rejected.',
          );
          return text(401, 'invalid signature\n');
        }
        // The notification only says "something changed"; the poll reads what. Answer at once:
        // Dropbox expects a response within 10 s and backs off on slow receivers.
        wake();
        logger?.debug({ source }, 'Dropbox webhook received; polling now.');
        return text(200, '');
      },
    },
  ];
}
