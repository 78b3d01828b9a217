/** Config schema of the isolation-forest detector: entity, windowing, forest size, thresholds, bounds. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

export const isolationForestConfigSchema = z
  .strictObject({
    entity: z.string().min(1).default('source.ip').describe('Field whose values are the entities compared with each other (`source.ip`, `user`, any dotted path).'),
    window: zDuration.prefault('1h').refine((ms) => ms > 0, 'window must be longer than 0').describe('Tumbling window the features are counted in, aligned to the epoch.'),
    grace: zDuration.prefault('5m').describe('How long after its end a window still accepts late events before it is closed and scored.'),
    n_trees: z.number().int().min(1).max(1000).default(100).describe('Trees in the forest.'),
    sample_size: z.number().int().min(2).max(4096).default(256).describe('Subsample size ψ per tree.'),
    min_samples: z.number().int().min(2).default(200).describe('Closed windows needed before the model is fitted; earlier windows wait and are scored then.'),
    reservoir_size: z.number().int().min(2).max(1_000_000).default(4096).describe('Closed windows remembered (the latest ones) as the population the forest learns from; a restart rebuilds them from the stored events.'),
    threshold: z.number().gt(0.5).max(1).default(0.75).describe('Anomaly score from which a window is reported.'),
    /**
     * Cheap first pass: a window whose score under a forest fitted on the reservoir alone is below
     * this is not rescored exactly. Out-of-sample scores of windows that reach 0.7 in sample were
     * measured at 0.63 and up, so keep it 0.1–0.15 under threshold; 0 rescores every window.
     */
    prescreen: z.number().min(0).max(1).default(0.6).describe('Cheap first pass: a window scoring below this on the reservoir-only forest is not rescored exactly; 0 rescores every window. Keep it 0.1–0.15 under threshold.'),
    min_events: z.number().int().min(1).default(10).describe('Windows with fewer events are neither learned from nor scored.'),
    min_count: z.number().int().min(1).default(10).describe('A window is reported only when a count among its top three drivers (failed logins, events, users) reaches this.'),
    severity: zSeverity.default('medium').describe('Severity of the alerts this detector raises.'),
    seed: z.number().int().min(0).max(0xffffffff).default(1).describe('Seed of the forest\'s random choices, so a run is reproducible.'),
    max_entities: z.number().int().min(1).default(100_000).describe('Entities tracked per open window; events for further entities in that window are dropped.'),
    max_pending: z.number().int().min(1).default(10_000).describe('Closed windows kept waiting for a trainable model; the oldest are dropped beyond this.'),
    max_evidence: z.number().int().min(1).max(100).default(20).describe('Event ids kept as evidence per finding.'),
  })
  .refine((c) => c.prescreen < c.threshold, { message: 'prescreen must be below threshold', path: ['prescreen'] })
  .refine((c) => c.reservoir_size >= c.min_samples, {
    message: 'reservoir_size must be at least min_samples, or the model never becomes trainable',
    path: ['reservoir_size'],
  });

export type IsolationForestConfig = z.output<typeof isolationForestConfigSchema>;
