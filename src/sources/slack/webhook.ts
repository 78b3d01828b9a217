/** The Slack Events API endpoint: request signing (v0) checked on every request, the URL verification challenge, and event callbacks queued for the poller and waking it. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, Secret, WebhookRequest, WebhookResponse, WebhookRoute } from '../../core/index.js';
import { NORMALIZED_EVENT_TYPES } from './normalize.js';

/** Slack's window: a request whose timestamp is further than this from our clock is refused (replays of old captures). */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;
/** Event payloads are a few KiB; user_change with a full profile stays well below this. */
export const MAX_EVENT_BODY_BYTES = 256 * 1024;
/** Callbacks held until the next poll delivers them; past it the oldest are dropped (and counted). */
export const MAX_QUEUED_EVENTS = 10_000;
/** Signatures remembered to refuse replays within the window; a flood of distinct valid ones cannot exist without the secret. */
const MAX_REMEMBERED = 10_000;
const MAX_CHALLENGE_CHARS = 1024;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing signature' | 'missing timestamp' | 'stale timestamp' | 'bad signature' };

/**
 * Slack's request signing, version 0: `X-Slack-Signature: v0=<hex HMAC-SHA256 of
 * "v0:<X-Slack-Request-Timestamp>:<raw body>">` with the app's signing secret, compared in constant
 * time, the timestamp within five minutes of now either way.
 */
export function verifySlackSignature(body: Buffer, headers: { signature?: string | undefined; timestamp?: string | undefined }, secret: Secret, now: number): SignatureCheck {
  const sig = headers.signature?.trim();
  const ts = headers.timestamp?.trim();
  if (!sig) return { ok: false, reason: 'missing signature' };
  if (!ts || !/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'missing timestamp' };
  if (Math.abs(now - Number(ts) * 1000) > SIGNATURE_WINDOW_MS) return { ok: false, reason: 'stale timestamp' };
  const m = /^v0=([0-9a-f]{64})$/i.exec(sig);
  if (!m) return { ok: false, reason: 'bad signature' };
  const expected = createHmac('sha256', secret.reveal()).update(`v0:${ts}:`).update(body).digest();
  const given = Buffer.from(m[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'bad signature' };
}

/** What the route has seen, for tests and status output. */
export interface SlackWebhookStats {
  /** Verified callbacks answered 200 (URL verification included). */
  accepted: number;
  /** Unsigned, badly signed or stale: 401. */
  rejected: number;
  /** A signature already accepted within the window: 401. */
  replayed: number;
  /** Callbacks queued for the poller. */
  queued: number;
  /** Queued callbacks dropped because the queue was full (the poller fell behind). */
  dropped: number;
}

const reply = (status: number, body: string, type = 'text/plain; charset=utf-8'): WebhookResponse => ({
  status,
  // nosniff: the challenge is sender-chosen text and must never be rendered as HTML.
  headers: { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' },
  body,
});

export interface SlackWebhookOptions {
  source: string;
  path: string;
  signingSecret: Secret;
  /** Where verified callbacks wait for the poll they wake (the poller drains it). */
  inbox: unknown[];
  wake: () => void;
  /** A user changed (user_change): cached users.info answers about them are stale. */
  userChanged?: (id: string) => void;
  logger: Logger | undefined;
  now?: Clock | undefined;
  stats?: SlackWebhookStats;
}

/**
 * Every request is verified before its body is even parsed. A verified callback is answered at once
 * (Slack wants a 2xx within 3 s and retries otherwise); the events worth keeping are queued and the
 * poll they wake delivers them, so a callback burst costs one poll per min_poll_interval.
 */
export function slackWebhookRoutes(opts: SlackWebhookOptions): WebhookRoute[] {
  const { source, logger, inbox } = opts;
  const now = opts.now ?? Date.now;
  const stats = opts.stats ?? { accepted: 0, rejected: 0, replayed: 0, queued: 0, dropped: 0 };
  const seen = new Map<string, number>();

  const replay = (signature: string, at: number): boolean => {
    for (const [k, t] of seen) {
      // Map order is insertion order: the first one still fresh ends the sweep.
      if (at - t <= 2 * SIGNATURE_WINDOW_MS) break;
      seen.delete(k);
    }
    const key = signature.trim().toLowerCase();
    if (seen.has(key)) return true;
    if (seen.size >= MAX_REMEMBERED) seen.delete(seen.keys().next().value!);
    seen.set(key, at);
    return false;
  };

  return [
    {
      method: 'POST',
      path: opts.path,
      maxBodyBytes: MAX_EVENT_BODY_BYTES,
      async handle(req: WebhookRequest) {
        const at = now();
        const signature = req.headers['x-slack-signature'];
        const check = verifySlackSignature(req.body, { signature, timestamp: req.headers['x-slack-request-timestamp'] }, opts.signingSecret, at);
        if (!check.ok) {
          stats.rejected++;
          logger?.warn({ source, remoteAddress: req.remoteAddress, reason: check.reason }, 'Slack request rejected.');
          return reply(401, 'invalid signature\n');
        }
        if (replay(signature!, at)) {
          stats.replayed++;
          logger?.warn({ source, remoteAddress: req.remoteAddress, retry: req.headers['x-slack-retry-num'] }, 'Slack request refused: its signature was already used.');
          return reply(401, 'replayed request\n');
        }
        let body: Record<string, unknown>;
        try {
          const parsed: unknown = JSON.parse(req.body.toString('utf8'));
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object');
          body = parsed as Record<string, unknown>;
        } catch {
          return reply(400, 'expected a JSON Events API body\n');
        }
        stats.accepted++;
        if (body.type === 'url_verification') {
          const challenge = body.challenge;
          if (typeof challenge !== 'string' || challenge === '' || challenge.length > MAX_CHALLENGE_CHARS) return reply(400, 'expected a challenge\n');
          logger?.info({ source }, 'Slack Events API URL verified.');
          return reply(200, JSON.stringify({ challenge }), 'application/json; charset=utf-8');
        }
        if (body.type === 'event_callback') {
          const event = body.event as { type?: unknown; user?: unknown } | undefined;
          const type = typeof event?.type === 'string' ? event.type : '';
          if (type === 'user_change' && event?.user && typeof (event.user as { id?: unknown }).id === 'string') opts.userChanged?.((event.user as { id: string }).id);
          if (NORMALIZED_EVENT_TYPES.has(type)) {
            if (inbox.length >= MAX_QUEUED_EVENTS) {
              inbox.shift();
              stats.dropped++;
              if (stats.dropped === 1 || stats.dropped % 1000 === 0) logger?.warn({ source, dropped: stats.dropped }, 'Slack event queue full; dropping the oldest callbacks.');
            }
            inbox.push(body);
            stats.queued++;
          }
          opts.wake();
        }
        return reply(200, '');
      },
    },
  ];
}
