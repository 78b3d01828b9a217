/** Config schema of the baseline detector: horizons, learning period, scoring and would-block thresholds, bounds. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

const horizonSchema = z.strictObject({
  bucket: zDuration.refine((ms) => ms >= 60_000, 'bucket must be at least 1m').describe('Bucket length; buckets are aligned to the Unix epoch in UTC (days start at 00:00 UTC).'),
  span: z.number().int().min(2).max(10_000).describe('Buckets the EWMA averages over: smoothing factor α = 2 / (span + 1).'),
});

export const baselineConfigSchema = z.strictObject({
  /** Each horizon keeps its own EWMA of counts per bucket; a spike on any of them alerts. */
  horizons: z
    .array(horizonSchema)
    .min(1)
    .max(4)
    // prefault: the default goes through the schema, so it is written (and documented) as config is.
    .prefault([
      { bucket: '1h', span: 168 },
      { bucket: '1d', span: 28 },
      { bucket: '1w', span: 12 },
    ])
    .describe('Each horizon keeps its own EWMA of counts per bucket; a spike on any of them alerts.'),
  learning_period: zDuration.prefault('7d').describe('Per user, from that user\'s first event: no alerts before it ends, so new users are never flagged at first.'),
  min_buckets: z.number().int().min(1).default(3).describe('A horizon also needs this many buckets of the user\'s history before it scores.'),
  threshold: z.number().positive().default(4).describe('Standard deviations above the user\'s mean that make a finding.'),
  min_count: z.number().positive().default(20).describe('Fewest events in a bucket that can make a finding, whatever the score (10 logins instead of 1 is not an incident).'),
  min_sd: z.number().positive().default(1).describe('Floor of the standard deviation, so a perfectly regular user does not score infinity on one extra event.'),
  block_score: z.number().positive().default(10).describe('A finding whose score and count reach both of these says the user would be blocked.'),
  block_min_count: z.number().positive().default(100).describe('Fewest events in the bucket for a finding to say the user would be blocked (with block_score).'),
  auto_block: z.boolean().default(false).describe('Past both block thresholds, block the user (blocked_users + audit log) instead of only saying it would.'),
  actions: z.array(z.string().min(1)).default([]).describe('Actions counted (event.action); empty means every action.'),
  max_actions: z.number().int().min(1).max(8).default(6).describe('Actions remembered per user (the least active, by its decayed rate on the longest horizon, dropped first); bounds the state to 2 KB.'),
  max_users: z.number().int().min(1).default(100_000).describe('Users kept in memory; the least recently active are saved to the store and reloaded on return.'),
  max_evidence: z.number().int().min(1).max(100).default(20).describe('Event ids kept as evidence per finding (drawn from the recent_evidence latest events of the user).'),
  recent_evidence: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(10)
    .describe(
      "Latest event ids remembered per user and saved with the state (24 bytes each). A finding's evidence is those in its action's bucket, so the first alert of a spike carries the events that led up to it. 0 keeps none.",
    ),
  severity: zSeverity.default('medium').describe('Severity of the alerts this detector raises.'),
  block_severity: zSeverity.default('high').describe('Severity of a finding past the block thresholds.'),
});

export type BaselineConfig = z.output<typeof baselineConfigSchema>;
