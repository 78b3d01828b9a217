/** Findings from detectors and the deduplicated alerts they become. */
import type { SecurityEvent } from './event.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export interface Entity {
  /** What kind of thing is suspicious: `ip`, `user`, `file`, ... */
  type: string;
  value: string;
}

/** A response a finding asks for; the responder carries it out once, as a policy its detector's config switched on (baseline.auto_block). */
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
  /** Responses to carry out when the alert is first raised (queued by the responder, recorded in the action log and the audit log). */
  actions?: FindingAction[];
  /** Labels routes filter on: Sigma tags (`attack.t1110`), a detector's family. */
  tags?: string[];
  /** The source (connection name) whose events raised it, when one did; the pipeline fills it from the evidence. */
  source?: string;
  /**
   * Facts a person acts on, named in ECS style where one exists (`user.email`, `source.geo.country_iso_code`,
   * `email.from.address`, `email.message_id`, `email.reporters`), so sinks can show them and map them to
   * ticket fields without reading events. Bounded by the detector: short values, short lists.
   */
  details?: Record<string, AlertDetail>;
}

/** One fact of a finding: text, a number, or a short list of texts. */
export type AlertDetail = string | number | boolean | string[];

export type AlertStatus = 'open' | 'acknowledged' | 'closed';

export interface Alert extends Finding {
  id: string;
  /** rule + entity + window start: the same attack seen twice is one alert. */
  dedupKey: string;
  status: AlertStatus;
  createdAt: string;
  /**
   * The notification group it belongs to (alerting.group_window): alerts on the same entity close in
   * time go out as one notification, updated as the group grows. The group's first alert's id.
   */
  groupId?: string;
  /** Who is on it (an account's email), as the triage queue assigned it. */
  assignee?: string;
}

/** Deterministic dedup key for a finding. */
export function dedupKey(f: Pick<Finding, 'rule' | 'entity' | 'windowStart'>): string {
  return `${f.rule}|${f.entity.type}:${f.entity.value}|${new Date(f.windowStart).toISOString()}`;
}

export interface FlushOptions {
  /** The run is ending (its sources are exhausted or it was stopped). */
  final: boolean;
  /**
   * Event time (epoch ms) before which every event has been observed, as far as the sources have
   * promised (each within its declared lateness): windowed detectors judge only what lies before it,
   * so arrival order cannot change what they find. +∞: everything observed is complete. Absent:
   * the same, for tools and tests that drive a detector by hand, in order (the pipeline always gives one).
   */
  watermark?: number;
}

/**
 * Detectors see one event at a time (hot path, synchronous) and may emit findings.
 *
 * The invariant: for a set of events, the findings (rule, entity, window start) do not depend on
 * the order in which events arrive before the watermark passes them, on batch boundaries, on
 * restarts, or on the wall clock. A detector whose verdict depends on order (a sliding window, a
 * first-seen set) therefore decides only in flush(), over what the watermark has passed, in
 * (time, id) order (see detection/event-order.ts).
 */
export interface Detector {
  readonly id: string;
  observe(event: SecurityEvent): Finding[];
  /** Called at the end of every batch and at shutdown with the sources' watermark; windowed detectors report here. */
  flush(opts: FlushOptions): Finding[];
  /** Loads persisted state (baselines, models) before the first event; see PluginDeps.state. */
  restore?(): Promise<void>;
  /**
   * After restore: the event time from which the stored events must be handed back (see replay),
   * because at the last save the detector still held them unjudged, waiting for the watermark;
   * undefined when it held none. Why: those events are in the store already, committed with the
   * state that had not yet counted them, so the store is their queue across a restart.
   */
  resumeFrom?(): number | undefined;
  /** Takes back one stored event from resumeFrom on, in (time, id) order, as it was observed before the restart; reports nothing. */
  replay?(event: SecurityEvent): void;
  /**
   * Finishes asynchronous work on events already observed, up to the watermark the flush that
   * follows will be given (loading a user's saved state, then replaying them), so that flush reports
   * what they found.
   */
  settle?(opts?: { watermark?: number }): Promise<void>;
  /** Saves changed state; called before each batch commits (the pipeline commits the writes with it) and at shutdown. */
  persist?(): Promise<void>;
}
