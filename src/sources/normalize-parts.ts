/** Small pieces every vendor normalizer assembles events from: labels from scalar vendor fields and the `related` lists. */
import type { SecurityEvent } from '../core/index.js';

/** Sets `labels[key]` from a scalar vendor value; empty strings, objects and absent values leave it unset. */
export function setLabel(labels: Record<string, string>, key: string, v: unknown): void {
  if (typeof v === 'string' && v !== '') labels[key] = v;
  else if (typeof v === 'number' || typeof v === 'boolean') labels[key] = String(v);
}

/** ECS `related.ip` / `related.user`: the distinct values given, or undefined when there are none. */
export function related(ips: Array<string | undefined>, users: Array<string | undefined>): SecurityEvent['related'] | undefined {
  const ip = [...new Set(ips.filter((x): x is string => !!x))];
  const user = [...new Set(users.filter((x): x is string => !!x))];
  if (!ip.length && !user.length) return undefined;
  return { ...(ip.length ? { ip } : {}), ...(user.length ? { user } : {}) };
}

/**
 * Milliseconds of a vendor's ISO 8601 time, read as UTC when it names no zone. The APIs all write UTC
 * (`Z`), but a record relayed by another collector may have lost the zone or the `T`
 * (`2023-04-18 18:54:15`), and Date.parse reads a zoneless date-time in the machine's zone: the
 * same record would land hours apart on two servers. Other forms go to Date.parse as they are.
 */
export function utcMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:?\d\d)?$/i.exec(s);
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`) : s === '' ? NaN : Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}
