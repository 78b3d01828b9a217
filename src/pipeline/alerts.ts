/** Turns detector findings into alerts with deterministic ids and dedup keys. */
import { dedupKey, sha256Hex, type Alert, type Finding } from '../core/index.js';

export function findingToAlert(f: Finding, now: Date = new Date()): Alert {
  const key = dedupKey(f);
  return { ...f, id: sha256Hex(key).slice(0, 24), dedupKey: key, status: 'open', createdAt: now.toISOString() };
}

/** One alert per dedup key per batch; a later finding for the same key carries the fresher counts. */
export function findingsToAlerts(findings: Finding[], now: Date = new Date()): Alert[] {
  const byKey = new Map<string, Alert>();
  for (const f of findings) {
    const a = findingToAlert(f, now);
    byKey.set(a.dedupKey, a);
  }
  return [...byKey.values()];
}
