/** Config schema of the login-forest detector: learning, history bounds, forest size, thresholds. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

export const loginForestConfigSchema = z
  .strictObject({
    learning_period: zDuration.prefault('7d').describe('Per user, from the first successful login: nothing is scored before it ends.'),
    min_logins: z.number().int().min(8).max(96).default(20).describe('Logins in the user\'s history before the first one is scored (and after the learning period).'),
    max_history: z.number().int().min(16).max(96).default(64).describe('Recent logins the model learns from; with the logins since the last refit it bounds the state (≤ 2 KB).'),
    refit_every: z.number().int().min(1).max(32).default(8).describe('The cached forest (the cheap first pass) is refitted after this many new logins.'),
    n_trees: z.number().int().min(10).max(500).default(100).describe('Trees in the forest.'),
    sample_size: z.number().int().min(8).max(128).default(64).describe('Subsample size ψ per tree; the scored login is in every subsample.'),
    /**
     * Anomaly score from which a login is reported. Tuned on generated commuters (detector.test.ts):
     * ordinary logins reached 0.76 with a young history and 0.71 with a full one; a login from another
     * continent scored 0.78 and up even with the usual browser at a usual hour.
     */
    threshold: z.number().gt(0.5).max(1).default(0.77).describe('Anomaly score from which a login is reported.'),
    /**
     * Cheap first pass: a login inside the range of the cached forest's training logins on every
     * feature, scoring below this on that forest, is not rescored exactly. 0 rescores every login.
     */
    prescreen: z.number().min(0).max(1).default(0.6).describe('Cheap first pass: a login within the cached forest\'s training range scoring below this is not rescored exactly; 0 rescores every login.'),
    seed: z.number().int().min(0).max(0xffffffff).default(1).describe('Seed of the forest\'s random choices, so a run is reproducible.'),
    max_users: z.number().int().min(1).default(100_000).describe('Users whose state is kept in memory; the least recently active are saved and reloaded on return.'),
    max_cached_forests: z.number().int().min(0).default(128).describe('Fitted forests cached in memory (about 0.4 MB each at the defaults); a miss refits from the saved state.'),
    severity: zSeverity.default('medium').describe('Severity of the alerts this detector raises.'),
  })
  .refine((c) => c.min_logins <= c.max_history, { message: 'min_logins must not exceed max_history', path: ['min_logins'] })
  .refine((c) => c.prescreen < c.threshold, { message: 'prescreen must be below threshold', path: ['prescreen'] });

export type LoginForestConfig = z.output<typeof loginForestConfigSchema>;
