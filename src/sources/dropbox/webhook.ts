/** Dropbox webhook routes: the GET challenge echo, and signed POST notifications that ask the poller for a poll. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, Secret, WebhookRequest, WebhookResponse, WebhookRoute } from '../../core/index.js';

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

/** A notification signed like one seen this recently is counted as seen again (a replay, or the same accounts changing again). */
export const REPEAT_WINDOW_MS = 10 * 60_000;
/** Signatures remembered for that; the oldest go first, so a flood of distinct bodies costs bounded memory. */
const MAX_REMEMBERED = 1024;
/** Repeats are logged per period, with counts, never per request. */
export const REPEAT_LOG_PERIOD_MS = 60_000;
/** Repeats within one period from which it is worth a warning: Dropbox itself does not send this many. */
export const REPEAT_STORM = 100;

/** What the POST route has seen, for tests and status output. */
export interface DropboxWebhookStats {
  /** Signed notifications answered 200, repeats included: each only asked for a poll. */
  accepted: number;
  /** Of those, how many had the body and signature of one accepted within REPEAT_WINDOW_MS. */
  repeated: number;
  /** Unsigned or badly signed: 401. */
  rejected: number;
}

/**
 * Notices signed notifications seen again. They are accepted all the same: Dropbox sends the same
 * body whenever the same accounts change again, and a replay costs nothing anyway (the runtime
 * coalesces the polls they ask for). What a replay storm may not do is fill the log: one debug line
 * when repeats start in a period, one warning when they reach REPEAT_STORM, one summary after.
 */
class RepeatTally {
  readonly #seen = new Map<string, number>();
  #periodStart = Number.NEGATIVE_INFINITY;
  #inPeriod = 0;
  #distinct = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly logger: Logger | undefined,
  ) {}

  /** True when `signature` was accepted within the window; remembers it either way. */
  note(signature: string, now: number): boolean {
    const key = signature.trim().toLowerCase();
    const first = this.#seen.get(key);
    const repeat = first !== undefined && now - first < REPEAT_WINDOW_MS;
    if (!repeat) {
      // Re-inserted so the Map's order stays oldest-first for eviction.
      this.#seen.delete(key);
      if (this.#seen.size >= MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value!);
      this.#seen.set(key, now);
      return false;
    }
    if (now - this.#periodStart >= REPEAT_LOG_PERIOD_MS) {
      if (this.#inPeriod > 1) {
        this.logger?.debug({ source: this.source, repeats: this.#inPeriod, distinct: this.#distinct.size, periodMs: REPEAT_LOG_PERIOD_MS }, 'Dropbox notifications seen again in the last period.');
      }
      this.#periodStart = now;
      this.#inPeriod = 0;
      this.#distinct = new Set();
    }
    this.#inPeriod++;
    if (this.#distinct.size < MAX_REMEMBERED) this.#distinct.add(key);
    if (this.#inPeriod === 1) {
      this.logger?.debug({ source: this.source, repeats: 1 }, 'Dropbox notification seen again; accepted, costs no extra poll; further repeats are counted.');
    } else if (this.#inPeriod === REPEAT_STORM) {
      this.logger?.warn(
        { source: this.source, repeats: this.#inPeriod, distinct: this.#distinct.size, periodMs: REPEAT_LOG_PERIOD_MS },
        'Dropbox notifications replayed in bulk; accepted, at most one poll per min_poll_interval.',
      );
    }
    return true;
  }
}

const text = (status: number, body: string): WebhookResponse => ({
  status,
  // nosniff: the challenge is attacker-chosen text and must never be rendered as HTML.
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
  body,
});

/**
 * `wake` only asks for a poll: the polling runtime coalesces every request made during a poll or
 * within min_poll_interval of its start into one poll, so neither a burst nor a replay storm costs
 * more than one team_log poll per interval. "Per account" is per source: one source is one team
 * token and one team_log, and a notification (whichever member accounts it lists) asks that one log.
 */
export function dropboxWebhookRoutes(opts: {
  source: string;
  appSecret: Secret;
  wake: () => void;
  logger: Logger | undefined;
  now?: Clock | undefined;
  stats?: DropboxWebhookStats;
}): WebhookRoute[] {
  const { source, appSecret, wake, logger } = opts;
  const now = opts.now ?? Date.now;
  const stats = opts.stats ?? { accepted: 0, repeated: 0, rejected: 0 };
  const repeats = new RepeatTally(source, logger);
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
        if (signature === undefined || !verifyDropboxSignature(req.body, signature, appSecret)) {
          stats.rejected++;
          logger?.warn(
            { source, remoteAddress: req.remoteAddress, reason: signature === undefined ? 'missing signature' : 'bad signature' },
            'Dropbox webhook rejected.',
          );
          return text(401, 'invalid signature\n');
        }
        // The notification only says "something changed"; the poll reads what. Answer at once:
        // Dropbox expects a response within 10 s and backs off on slow receivers. A repeat gets the
        // same 200: refusing it would gain nothing (the poll is coalesced) and could refuse Dropbox.
        stats.accepted++;
        if (repeats.note(signature, now())) stats.repeated++;
        wake();
        return text(200, '');
      },
    },
  ];
}
