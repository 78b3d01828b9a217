/** The documented, versioned JSON shape of an alert that every sink speaking JSON sends, so receivers parse one format. */
import type { Alert, Severity } from '../core/index.js';

/** Bumped only on incompatible changes; adding a field is not one. */
export const PAYLOAD_VERSION = 1 as const;

/**
 * One alert on the wire. Every key is always present (null when the detector gave no value), so
 * receivers can rely on the shape without probing for keys.
 */
export interface AlertPayload {
  id: string;
  dedup_key: string;
  rule: string;
  title: string;
  severity: Severity;
  entity: { type: string; value: string };
  /** ISO-8601 UTC. */
  window: { start: string; end: string };
  description: string;
  observed: Record<string, number> | null;
  expected: Record<string, number> | null;
  score: number | null;
  features: Array<{ name: string; value: number; contribution: number }> | null;
  /** Supporting event ids. */
  evidence: string[];
  created_at: string;
}

export function formatAlert(alert: Alert): AlertPayload {
  return {
    id: alert.id,
    dedup_key: alert.dedupKey,
    rule: alert.rule,
    title: alert.title,
    severity: alert.severity,
    entity: { type: alert.entity.type, value: alert.entity.value },
    window: { start: new Date(alert.windowStart).toISOString(), end: new Date(alert.windowEnd).toISOString() },
    description: alert.description,
    observed: alert.observed ?? null,
    expected: alert.expected ?? null,
    score: alert.score ?? null,
    features: alert.features?.map((f) => ({ name: f.name, value: f.value, contribution: f.contribution })) ?? null,
    evidence: [...alert.evidence],
    created_at: alert.createdAt,
  };
}
