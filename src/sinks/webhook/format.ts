/**
 * The webhook wire format: the JSON body and its `X-Saaswatch-Signature` header, with the signing and
 * verification functions receivers use.
 *
 * Body:
 * ```json
 * { "version": 1,
 *   "alert": { "id", "dedup_key", "rule", "title", "severity", "entity": {"type","value"},
 *              "window": {"start","end"}, "description", "observed", "expected", "score",
 *              "features", "evidence", "created_at" },
 *   "delivery": { "id", "attempt" } }
 * ```
 * Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Receivers verify
 * it over the raw bytes (before any JSON parsing), reject timestamps outside a tolerance, and drop
 * repeats by `X-Saaswatch-Delivery` (the same across retries of one delivery).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Alert, DeliveryContext } from '../../core/index.js';
import { PAYLOAD_VERSION, formatAlert, type AlertPayload } from '../payload.js';

export interface WebhookPayload {
  version: typeof PAYLOAD_VERSION;
  alert: AlertPayload;
  delivery: { id: string; attempt: number };
}

export function formatWebhookPayload(alert: Alert, ctx: Pick<DeliveryContext, 'deliveryId' | 'attempt'>): WebhookPayload {
  return { version: PAYLOAD_VERSION, alert: formatAlert(alert), delivery: { id: ctx.deliveryId, attempt: ctx.attempt } };
}

/** Default window within which a signature's timestamp is accepted; bounds how long a captured request can be replayed. */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

function hmacHex(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`, 'utf8').digest('hex');
}

/** The `X-Saaswatch-Signature` value for `body` sent at `timestampSec`. */
export function signPayload(secret: string, body: string, timestampSec: number): string {
  const t = Math.floor(timestampSec);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/**
 * True when `header` is a valid signature of the raw `body` under `secret` and its timestamp is
 * within `toleranceSec` of now (either direction: clocks drift). Several `v1=` entries are allowed so
 * a sender can sign with an old and a new key while rotating.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  opts: { toleranceSec?: number; nowSec?: number } = {},
): boolean {
  const tolerance = opts.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  const nowSec = opts.nowSec ?? Math.floor(Date.now() / 1000);
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return false;
      t = Number(value);
    } else if (key === 'v1') {
      candidates.push(value);
    }
  }
  if (t === undefined || candidates.length === 0) return false;
  if (Math.abs(nowSec - t) > tolerance) return false;
  const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
  let ok = false;
  for (const c of candidates) {
    if (!/^[0-9a-f]{64}$/i.test(c)) continue;
    // timingSafeEqual so the comparison time leaks nothing about how much of a forged MAC matched.
    if (timingSafeEqual(expected, Buffer.from(c, 'hex'))) ok = true;
  }
  return ok;
}
