/**
 * Drive push notifications: the channels saaswatch opened (created, renewed before expiry, stopped),
 * and the `POST /webhooks/google-drive` route that verifies a notification and wakes the changes poll.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { drive_v3 } from '@googleapis/drive';
import type { Logger } from 'pino';
import type { DetectorState, Secret, WebhookRequest, WebhookResponse, WebhookRoute } from '../../core/index.js';
import { withRetry, type RetryOptions } from './request.js';

export const DRIVE_WEBHOOK_PATH = '/webhooks/google-drive';
/** Drive change notifications carry no body; anything large is not Google. */
const MAX_BODY_BYTES = 64 * 1024;

/** How far past the last accepted message number a notification may jump (drive.watch.max_message_jump). */
export const DEFAULT_MAX_MESSAGE_JUMP = 1_000_000;

/**
 * The one answer to a notification that does not prove its channel: unknown or expired channel, bad
 * token, other resource. Byte for byte the same, so a prober learns nothing about which ids exist.
 */
const REFUSED: WebhookResponse = Object.freeze({ status: 401, headers: Object.freeze({ 'content-type': 'text/plain; charset=utf-8' }), body: 'notification refused\n' });

/** What the cursor keeps about a channel: enough to verify its notifications and stop it after a restart. */
export interface ChannelState {
  id: string;
  /** Unknown between changes.watch being sent and answered (Google's `sync` may arrive first). */
  resourceId?: string;
  /** Epoch ms. */
  expiration: number;
}

interface KnownChannel extends ChannelState {
  /** Highest X-Goog-Message-Number accepted: a lower or equal one is a replay. */
  lastMessage: number;
}

export interface DriveChannelsOptions {
  address: string;
  token: Secret;
  ttlMs: number;
  renewBeforeMs: number;
  logger: Logger;
  now: () => number;
  /**
   * Where each channel's highest accepted message number is kept (written through, before the 200),
   * so a restart does not accept old notifications again; in memory only when absent.
   */
  state?: DetectorState | undefined;
  /** The state key (one per source): `{ channelId: lastMessage }` of the live channels. */
  stateKey?: string;
  /** A message number more than this past the last accepted one is refused (default 1,000,000). */
  maxMessageJump?: number;
}

/** Each channel's token is an HMAC of its id: per-channel secrets that survive a restart without being stored. */
export function channelToken(secret: Secret, channelId: string): string {
  return createHmac('sha256', secret.reveal()).update(`google-drive-channel:${channelId}`).digest('base64url');
}

/** Constant-time string comparison that also hides the expected length. */
function safeEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'cmp').update(a).digest();
  const hb = createHmac('sha256', 'cmp').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

const text = (status: number, body: string): WebhookResponse => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${body}\n` });

export class DriveChannels {
  readonly #opts: DriveChannelsOptions;
  readonly #known = new Map<string, KnownChannel>();
  #current: KnownChannel | undefined;
  #pending = false;
  #wake: (() => void) | undefined;
  /** Message numbers saved by an earlier run, per channel id; read once, at the first notification that proves its channel. */
  #saved: Promise<Map<string, number>> | undefined;
  /** Saves run one after another, each writing the newest numbers: a slow save never overwrites a newer one. */
  #saving: Promise<void> = Promise.resolve();
  /** Counters for tests and logs. */
  readonly stats = { accepted: 0, ignoredSync: 0, rejected: 0 };

  constructor(opts: DriveChannelsOptions) {
    this.#opts = opts;
  }

  /** The live channel, as the cursor should record it. */
  get current(): ChannelState | undefined {
    const c = this.#current;
    return c ? { id: c.id, ...(c.resourceId ? { resourceId: c.resourceId } : {}), expiration: c.expiration } : undefined;
  }

  /** Adopts the channel recorded in a committed cursor, so its notifications verify after a restart. */
  restore(ch: ChannelState | undefined): void {
    if (!ch || ch.expiration <= this.#opts.now()) return;
    const k: KnownChannel = { ...ch, lastMessage: 0 };
    this.#known.set(ch.id, k);
    this.#current = k;
  }

  /** Epoch ms at which the live channel must be replaced (now, when there is none). */
  renewAt(): number {
    return this.#current ? this.#current.expiration - this.#opts.renewBeforeMs : 0;
  }

  /** Takes the pending flag: true when a notification arrived since the last call. */
  takePending(): boolean {
    const p = this.#pending;
    this.#pending = false;
    return p;
  }

  hasPending(): boolean {
    return this.#pending;
  }

  /** Called when a notification arrives, so the poll loop wakes instead of sleeping out its interval. */
  onWake(fn: (() => void) | undefined): void {
    this.#wake = fn;
  }

  /**
   * Opens a new channel from `pageToken` when none is live or the live one is about to expire,
   * then stops the old one. The new channel is registered before the watch call returns because
   * Google's `sync` message can arrive first. Returns true when the channel changed.
   */
  async ensure(drive: drive_v3.Drive, pageToken: string, retry: RetryOptions): Promise<boolean> {
    const now = this.#opts.now();
    if (this.#current && this.renewAt() > now) return false;
    const old = this.#current;
    const id = randomUUID();
    const pendingChannel: KnownChannel = { id, expiration: now + this.#opts.ttlMs, lastMessage: 0 };
    this.#known.set(id, pendingChannel);
    let res;
    try {
      res = await withRetry(
        'drive changes.watch',
        () =>
          drive.changes.watch(
            {
              pageToken,
              supportsAllDrives: true,
              includeItemsFromAllDrives: true,
              requestBody: {
                id,
                type: 'web_hook',
                address: this.#opts.address,
                token: channelToken(this.#opts.token, id),
                expiration: String(now + this.#opts.ttlMs),
              },
            },
            { signal: retry.signal },
          ),
        retry,
      );
    } catch (err) {
      this.#known.delete(id);
      throw err;
    }
    // Google may grant a shorter life than asked; renewal follows what it granted.
    const granted = Number(res.data.expiration);
    if (Number.isFinite(granted) && granted > 0) pendingChannel.expiration = granted;
    if (res.data.resourceId) pendingChannel.resourceId = res.data.resourceId;
    this.#current = pendingChannel;
    this.#opts.logger.info({ channel: id, expiration: new Date(pendingChannel.expiration).toISOString() }, 'Drive notification channel opened.');
    if (old) await this.#stop(drive, old, retry);
    this.#forgetExpired();
    return true;
  }

  async #stop(drive: drive_v3.Drive, ch: KnownChannel, retry: RetryOptions): Promise<void> {
    if (!ch.resourceId) return;
    const resourceId = ch.resourceId;
    try {
      await withRetry('drive channels.stop', () => drive.channels.stop({ requestBody: { id: ch.id, resourceId } }, { signal: retry.signal }), retry);
    } catch (err) {
      // It expires on its own; its notifications still verify until then and only trigger a poll.
      this.#opts.logger.warn({ channel: ch.id, err }, 'Could not stop the replaced Drive channel.');
    }
  }

  #forgetExpired(): void {
    const now = this.#opts.now();
    for (const [id, ch] of this.#known) if (ch.expiration <= now && ch !== this.#current) this.#known.delete(id);
  }

  #reject(req: WebhookRequest, reason: string, answer: WebhookResponse): WebhookResponse {
    this.stats.rejected++;
    // The log may say why (the operator's view); the answer may not (the caller's).
    this.#opts.logger.warn({ path: req.path, remoteAddress: req.remoteAddress, channel: req.headers['x-goog-channel-id'], reason }, 'Drive notification rejected.');
    return answer;
  }

  /** The message numbers an earlier run saved, read once; a failed read is tried again by the next notification. */
  #savedNumbers(): Promise<Map<string, number>> {
    const state = this.#opts.state;
    if (!state || !this.#opts.stateKey) return Promise.resolve(new Map());
    this.#saved ??= state.getState(this.#opts.stateKey).then(
      (v) => {
        const out = new Map<string, number>();
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          for (const [id, n] of Object.entries(v)) if (Number.isSafeInteger(n) && (n as number) > 0) out.set(id, n as number);
        }
        return out;
      },
      (err: unknown) => {
        this.#saved = undefined;
        throw err;
      },
    );
    return this.#saved;
  }

  /** Writes every live channel's number, after any save still running (so the newest always lands last). */
  #save(saved: Map<string, number>): Promise<void> {
    const state = this.#opts.state;
    const key = this.#opts.stateKey;
    if (!state || !key) return Promise.resolve();
    const run = this.#saving.then(async () => {
      const marks: Record<string, number> = {};
      for (const ch of this.#known.values()) {
        const n = Math.max(ch.lastMessage, saved.get(ch.id) ?? 0);
        if (n > 0) marks[ch.id] = n;
      }
      await state.putState(key, marks);
    });
    this.#saving = run.catch(() => undefined);
    return run;
  }

  /**
   * Verifies one notification; `sync` is acknowledged and ignored, anything else queues a changes poll.
   * The message number is not covered by the token, so it is bounded: at most maxMessageJump past the
   * last accepted one (else one forged huge number would shut out every genuine push until the
   * channel renews), and never at or below it, across restarts.
   */
  async handle(req: WebhookRequest): Promise<WebhookResponse> {
    const h = req.headers;
    const id = h['x-goog-channel-id'] ?? '';
    // The token is checked against the id given, known or not, before anything is looked up: an
    // unknown channel costs the same HMAC and constant-time compare as a bad token, and gets the same answer.
    const tokenOk = safeEqual(h['x-goog-channel-token'] ?? '', channelToken(this.#opts.token, id));
    const ch = this.#known.get(id);
    const live = ch !== undefined && ch.expiration > this.#opts.now();
    const resourceOk = ch?.resourceId === undefined || h['x-goog-resource-id'] === ch.resourceId;
    if (!(tokenOk && live && resourceOk)) {
      return this.#reject(req, !live ? 'unknown or expired channel' : !tokenOk ? 'bad channel token' : 'resource id does not match the channel', REFUSED);
    }
    const raw = h['x-goog-message-number'];
    const n = raw !== undefined && /^\s*\d{1,16}\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) return this.#reject(req, 'missing or invalid X-Goog-Message-Number', text(400, 'missing or invalid X-Goog-Message-Number'));
    const saved = await this.#savedNumbers();
    // Read after the await: another notification of this channel may have moved it meanwhile.
    const last = Math.max(ch.lastMessage, saved.get(ch.id) ?? 0);
    // Refusing an old number loses nothing: the later notification already queued a poll that
    // reads every change since the stored page token.
    if (n <= last) return this.#reject(req, 'replayed message number', text(401, 'replayed message number'));
    const limit = this.#opts.maxMessageJump ?? DEFAULT_MAX_MESSAGE_JUMP;
    if (n - last > limit) return this.#reject(req, `message number jumps more than ${limit} past the last accepted one`, text(401, 'message number out of range'));
    ch.lastMessage = n;
    const sync = h['x-goog-resource-state'] === 'sync';
    if (sync) this.stats.ignoredSync++;
    else {
      this.stats.accepted++;
      this.#pending = true;
      this.#wake?.();
    }
    try {
      await this.#save(saved);
    } catch (err) {
      // The notification is genuine and its poll is queued; only the restart protection of this number is weaker.
      this.#opts.logger.warn({ err, channel: ch.id }, 'Could not save the Drive message number; a restart may accept it again.');
    }
    return { status: 200 };
  }

  route(): WebhookRoute {
    return {
      method: 'POST',
      path: DRIVE_WEBHOOK_PATH,
      maxBodyBytes: MAX_BODY_BYTES,
      handle: (req) => this.handle(req),
    };
  }
}
