/**
 * Drive push notifications: the channels saaswatch opened (created, renewed before expiry, stopped),
 * and the `POST /webhooks/google-drive` route that verifies a notification and wakes the changes poll.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { drive_v3 } from '@googleapis/drive';
import type { Logger } from 'pino';
import type { Secret, WebhookRequest, WebhookResponse, WebhookRoute } from '../../core/index.js';
import { withRetry, type RetryOptions } from './request.js';

export const DRIVE_WEBHOOK_PATH = '/webhooks/google-drive';
/** Drive change notifications carry no body; anything large is not Google. */
const MAX_BODY_BYTES = 64 * 1024;

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

export class DriveChannels {
  readonly #opts: DriveChannelsOptions;
  readonly #known = new Map<string, KnownChannel>();
  #current: KnownChannel | undefined;
  #pending = false;
  #wake: (() => void) | undefined;
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

  #reject(req: WebhookRequest, status: number, reason: string): WebhookResponse {
    this.stats.rejected++;
    this.#opts.logger.warn(
      { path: req.path, remoteAddress: req.remoteAddress, channel: req.headers['x-goog-channel-id'], reason },
      'Drive notification rejected.',
    );
    return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${reason}\n` };
  }

  /** Verifies one notification; `sync` is acknowledged and ignored, anything else queues a changes poll. */
  handle(req: WebhookRequest): WebhookResponse {
    const h = req.headers;
    const id = h['x-goog-channel-id'];
    const ch = id ? this.#known.get(id) : undefined;
    // Unknown and forged look the same from outside: neither tells a prober which channel ids exist.
    if (!ch || ch.expiration <= this.#opts.now()) return this.#reject(req, 401, 'unknown or expired channel');
    const token = h['x-goog-channel-token'];
    if (token === undefined || !safeEqual(token, channelToken(this.#opts.token, ch.id))) return this.#reject(req, 401, 'bad channel token');
    if (ch.resourceId !== undefined && h['x-goog-resource-id'] !== ch.resourceId) return this.#reject(req, 401, 'resource id does not match the channel');
    const n = Number(h['x-goog-message-number']);
    if (!Number.isSafeInteger(n) || n < 1) return this.#reject(req, 400, 'missing or invalid X-Goog-Message-Number');
    // Refusing an old number loses nothing: the later notification already queued a poll that
    // reads every change since the stored page token.
    if (n <= ch.lastMessage) return this.#reject(req, 401, 'replayed message number');
    ch.lastMessage = n;
    if (h['x-goog-resource-state'] === 'sync') {
      this.stats.ignoredSync++;
      return { status: 200 };
    }
    this.stats.accepted++;
    this.#pending = true;
    this.#wake?.();
    return { status: 200 };
  }

  route(): WebhookRoute {
    return {
      method: 'POST',
      path: DRIVE_WEBHOOK_PATH,
      maxBodyBytes: MAX_BODY_BYTES,
      handle: async (req) => this.handle(req),
    };
  }
}
