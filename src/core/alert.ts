/** Findings from detectors and the deduplicated alerts they become. */
import type { SecurityEvent } from './event.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export interface Entity {
  /** What kind of thing is suspicious: `ip`, `user`, `file`, ... */
  type: string;
  value: string;
}

/** A response a finding asks for; the pipeline carries it out once, when the alert is first raised. */
export interface FindingAction {
  type: 'block-user';
  user: string;
  reason: string;
}

/** What a detector reports; the pipeline turns it into an Alert with a dedup key. */
export interface Finding {
  /** Detector or rule id, kebab-case, e.g. `brute-force`. */
  rule: string;
  title: string;
  severity: Severity;
  entity: Entity;
  /** Window the finding covers, epoch ms. windowStart is part of the dedup key, so it must be deterministic. */
  windowStart: number;
  windowEnd: number;
  /** Event ids that support the finding (bounded by the detector). */
  evidence: string[];
  /** Human explanation: what was seen against what was expected. */
  description: string;
  observed?: Record<string, number>;
  expected?: Record<string, number>;
  /** Model score where a model produced the finding (e.g. isolation-forest anomaly score in 0..1). */
  score?: number;
  /** Features that drove a model score, most influential first. */
  features?: Array<{ name: string; value: number; contribution: number }>;
  /** Responses to carry out when the alert is first raised (recorded in blocked_users and the audit log). */
  actions?: FindingAction[];
}

export type AlertStatus = 'open' | 'acknowledged' | 'closed';

export interface Alert extends Finding {
  id: string;
  /** rule + entity + window start: the same attack seen twice is one alert. */
  dedupKey: string;
  status: AlertStatus;
  createdAt: string;
}

/** Deterministic dedup key for a finding. */
export function dedupKey(f: Pick<Finding, 'rule' | 'entity' | 'windowStart'>): string {
  return `${f.rule}|${f.entity.type}:${f.entity.value}|${new Date(f.windowStart).toISOString()}`;
}

/** Detectors see one event at a time (hot path, synchronous) and may emit findings. */
export interface Detector {
  readonly id: string;
  observe(event: SecurityEvent): Finding[];
  /** Called at the end of every batch and at shutdown; models that score closed windows report here. */
  flush(opts: { final: boolean }): Finding[];
  /** Loads persisted state (baselines, models) before the first event; see PluginDeps.state. */
  restore?(): Promise<void>;
  /** Finishes asynchronous work on events already observed (loading a user's saved state, then replaying them), so the next flush reports what they found. */
  settle?(): Promise<void>;
  /** Saves changed state; called before each batch commits (the pipeline commits the writes with it) and at shutdown. */
  persist?(): Promise<void>;
}
