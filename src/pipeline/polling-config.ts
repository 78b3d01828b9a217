/** The config field group every poller shares (backfill, settle, page_size, poll_interval, base_url, timeout, retry), and the old names it still accepts. */
import { z } from 'zod';
import { parseDuration, unknownKeysMessage, zDuration, zHttpUrl, zStrictObject } from '../core/index.js';
import type { CallRetry, PollingSourceOptions, PollingSourceSpec } from './polling.js';

/** Where a first poll starts: a look-back from now, or a fixed instant. */
export type BackfillStart = { lookbackMs: number } | { atMs: number };

/** The instant a first poll (no cursor) starts from. */
export function backfillFrom(b: BackfillStart, now: number): number {
  return 'atMs' in b ? b.atMs : now - b.lookbackMs;
}

/** `backfill`: `7d` (look back from now) or an ISO time (`2024-05-01T00:00:00Z`); `maxLookback` is what the API still keeps. */
export function zBackfill(def: string, maxLookback?: { ms: number; says: string }) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx): BackfillStart => {
      if (typeof v === 'string' && /^\d{4}-\d\d-\d\d/.test(v.trim())) {
        const at = Date.parse(v.trim());
        if (Number.isFinite(at)) return { atMs: at };
      } else {
        const ms = parseDuration(v);
        if (ms !== undefined && ms > 0 && (maxLookback === undefined || ms <= maxLookback.ms)) return { lookbackMs: ms };
        if (ms !== undefined && ms <= 0) {
          ctx.addIssue({ code: 'custom', message: 'backfill must be greater than zero (how far back the first poll reaches)' });
          return z.NEVER;
        }
        if (ms !== undefined && maxLookback) {
          ctx.addIssue({ code: 'custom', message: `backfill must be at most ${maxLookback.says}: the API keeps nothing older` });
          return z.NEVER;
        }
      }
      ctx.addIssue({ code: 'custom', message: `expected a look-back such as 1d or 7d, or an ISO time such as 2024-05-01T00:00:00Z, got ${JSON.stringify(v)}` });
      return z.NEVER;
    })
    .prefault(def);
}

export const zPollInterval = (def = '5m') => zDuration.prefault(def).refine((ms) => ms >= 1000, { message: 'poll_interval must be at least 1s' });

/** `base_url`: where requests go instead of the vendor's API root (national clouds, proxies, the local fakes). */
export const zBaseUrl = (example: string) => zHttpUrl(example);

/** `retry`: attempts per request for 429, 5xx and network failures, and the backoff when the server gives no Retry-After. */
export function zRetry(maxAttempts: number) {
  return zStrictObject(
    {
      max_attempts: z.number().int().min(1).max(20).default(maxAttempts).describe('Attempts per request, the first included, before the poll fails and waits for the next interval.'),
      initial_backoff: zDuration.prefault('1s').describe('Ceiling of the first retry delay when the server gives no Retry-After (full jitter below it).'),
      max_backoff: zDuration.prefault('60s').describe('The retry delay never grows past this (a Retry-After is honoured as given).'),
    },
    'retry',
  )
    .prefault({})
    .describe('Retries of one request on 429, 5xx and network failures.');
}

export type PollerRetryConfig = z.output<ReturnType<typeof zRetry>>;

/** The shared fields, with each poller's own defaults. */
export function pollerFields(o: { backfill: ReturnType<typeof zBackfill>; settle: string; pageSize: { max: number; default: number }; baseUrl: string; maxAttempts: number; pollInterval?: string }) {
  return {
    backfill: o.backfill.describe('How far back the first poll (no saved cursor yet) reaches: a look-back such as `1d`, or an ISO time.'),
    // The vendor delivers late, and a duplicate (dropped by dedupe) is cheaper than a gap.
    settle: zDuration.prefault(o.settle).describe('Each poll re-reads this much before where the last one stopped, for records the vendor delivers late.'),
    page_size: z.number().int().min(1).max(o.pageSize.max).default(o.pageSize.default).describe('Records asked for per page.'),
    poll_interval: zPollInterval(o.pollInterval).describe('Time between polls; a webhook notification, where the source has one, polls at once (see min_poll_interval).'),
    // A notification is a request for a poll, not a poll: a burst or a replay storm must not cost one call each.
    min_poll_interval: zDuration
      .prefault('10s')
      .describe('Least time between the starts of two polls asked for by webhook notifications: all notifications within it (or during a poll) come down to one poll at its end. `0s` polls at once on each quiet-time notification.'),
    base_url: zBaseUrl(o.baseUrl).optional().describe(`API root replacing the vendor's (national clouds, proxies, the local fakes), such as ${o.baseUrl}.`),
    timeout: zDuration.prefault('60s').describe('Per-request timeout, connect to last byte.'),
    retry: zRetry(o.maxAttempts),
  };
}

/** The retry a source runs with: the config's, unless the CLI or a test overrides it. */
export function callRetry(retry: PollerRetryConfig, opts: Pick<PollingSourceOptions, 'maxAttempts' | 'backoff'> = {}): CallRetry {
  return {
    maxAttempts: opts.maxAttempts ?? retry.max_attempts,
    initialMs: opts.backoff?.initialMs ?? retry.initial_backoff,
    maxMs: opts.backoff?.maxMs ?? retry.max_backoff,
  };
}

/** An old key that was read under its new name. */
export interface DeprecatedKey {
  old: string;
  new: string;
}

const DEPRECATED = Symbol.for('saaswatch.deprecatedKeys');
/** The key under which withRenames passes the old names it met to its transform; never part of the documented schema. */
export const DEPRECATION_MARK = '#deprecated';
const MARK = DEPRECATION_MARK;

/** The old keys a parsed config was written with (empty when none): config load and plugins warn about them. */
export function deprecationsOf(config: unknown): readonly DeprecatedKey[] {
  return (config !== null && typeof config === 'object' && (config as Record<symbol, DeprecatedKey[] | undefined>)[DEPRECATED]) || [];
}

/**
 * A strict object that also reads old key names, each as its new one (`retry.max_attempts` for a
 * nested one), remembering which it met so the warning names both. The new name wins when both
 * are given; the unknown-key error lists only the new names.
 */
export function withRenames<T extends z.ZodRawShape>(given: T, renames: Record<string, string>, where: string) {
  const allowed = Object.keys(given);
  // The reference (docs/config.md) names each field's old name on the field itself.
  const shape = { ...given } as unknown as Record<string, z.ZodType>;
  for (const [old, to] of Object.entries(renames)) {
    const [head, leaf] = to.split('.') as [string, string | undefined];
    const field = shape[head];
    if (!field) continue;
    const said = field.description ? `${field.description} ` : '';
    const was = leaf ? `\`${to}\` used to be the top-level \`${old}\`` : `Old name: \`${old}\``;
    shape[head] = field.describe(`${said}${was} (still read, with a warning).`);
  }
  const inner = z
    .strictObject({ ...shape, [MARK]: z.array(z.object({ old: z.string(), new: z.string() })).optional() }, {
      error: (iss) =>
        iss.code === 'unrecognized_keys' ? unknownKeysMessage(iss.keys, allowed, where) : undefined,
    })
    .transform((c) => {
      const { [MARK]: used, ...rest } = c as Record<string, unknown> & { [MARK]?: DeprecatedKey[] };
      if (used?.length) Object.defineProperty(rest, DEPRECATED, { value: used, enumerable: true });
      return rest as z.output<z.ZodObject<T>>;
    });
  const renamed = z.preprocess((input) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
    const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    delete out[MARK];
    const used: DeprecatedKey[] = [];
    for (const [old, to] of Object.entries(renames)) {
      if (!(old in out)) continue;
      const value = out[old];
      delete out[old];
      used.push({ old, new: to });
      const [head, leaf] = to.split('.') as [string, string | undefined];
      if (leaf === undefined) {
        if (!(head in out)) out[head] = value;
      } else {
        const group = out[head] !== null && typeof out[head] === 'object' ? { ...(out[head] as Record<string, unknown>) } : {};
        if (!(leaf in group)) group[leaf] = value;
        out[head] = group;
      }
    }
    if (used.length) out[MARK] = used;
    return out;
  }, inner);
  return renamed as unknown as z.ZodType<z.output<z.ZodObject<T>>, z.input<z.ZodObject<T>> & { [old: string]: unknown }>;
}

/** The parts of a polling source's spec that come from its config's field group and the run's options. */
export function pollerSpec(
  config: { poll_interval: number; min_poll_interval: number; retry: PollerRetryConfig },
  opts: PollingSourceOptions,
): Pick<PollingSourceSpec<unknown>, 'config' | 'pollInterval' | 'minPollInterval' | 'retry' | 'logger' | 'now' | 'once' | 'sleep' | 'idle' | 'random'> {
  return {
    config,
    pollInterval: config.poll_interval,
    minPollInterval: config.min_poll_interval,
    retry: callRetry(config.retry, opts),
    logger: opts.logger,
    now: opts.now,
    once: opts.once,
    sleep: opts.sleep,
    idle: opts.idle,
    random: opts.random,
  };
}
