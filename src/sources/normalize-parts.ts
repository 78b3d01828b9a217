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
