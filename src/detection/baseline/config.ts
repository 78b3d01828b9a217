/** Config schema of the baseline detector: horizons, learning period, scoring and would-block thresholds, bounds. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

const horizonSchema = z.strictObject({
  /** Bucket length; buckets are aligned to the Unix epoch in UTC (days start at 00:00 UTC). */
  bucket: zDuration.refine((ms) => ms >= 60_000, 'bucket must be at least 1m'),
  /** Buckets the EWMA averages over: smoothing factor α = 2 / (span + 1). */
  span: z.number().int().min(2).max(10_000),
});

export const baselineConfigSchema = z.strictObject({
  /** Each horizon keeps its own EWMA of counts per bucket; a spike on any of them alerts. */
  horizons: z
    .array(horizonSchema)
    .min(1)
    .max(4)
    .default([
      { bucket: 3_600_000, span: 168 },
      { bucket: 86_400_000, span: 28 },
      { bucket: 604_800_000, span: 12 },
    ]),
  /** Per user, from that user's first event: no alerts before it ends, so new users are never flagged at first. */
  learning_period: zDuration.prefault('7d'),
  /** A horizon also needs this many buckets of the user's history before it scores. */
  min_buckets: z.number().int().min(1).default(3),
  /** Standard deviations above the user's mean that make a finding. */
  threshold: z.number().positive().default(4),
  /** Fewest events in a bucket that can make a finding, whatever the score (10 logins instead of 1 is not an incident). */
  min_count: z.number().positive().default(20),
  /** Floor of the standard deviation, so a perfectly regular user does not score infinity on one extra event. */
  min_sd: z.number().positive().default(1),
  /** A finding whose score and count reach both of these says the user would be blocked. */
  block_score: z.number().positive().default(10),
  block_min_count: z.number().positive().default(100),
  /** Past both block thresholds, block the user (blocked_users + audit log) instead of only saying it would. */
  auto_block: z.boolean().default(false),
  /** Actions counted (event.action); empty means every action. */
  actions: z.array(z.string().min(1)).default([]),
  /** Actions remembered per user (least recently seen dropped first); bounds the state to 2 KB. */
  max_actions: z.number().int().min(1).max(8).default(6),
  /** Users kept in memory; the least recently active are saved to the store and reloaded on return. */
  max_users: z.number().int().min(1).default(100_000),
  max_evidence: z.number().int().min(1).max(100).default(20),
  severity: zSeverity.default('medium'),
  /** Severity of a finding past the block thresholds. */
  block_severity: zSeverity.default('high'),
});

export type BaselineConfig = z.output<typeof baselineConfigSchema>;
