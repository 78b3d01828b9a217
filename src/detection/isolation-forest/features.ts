/** Per-entity window features for the isolation forest: raw counts people read, model values the trees split on. */

/** Raw values in the order of FEATURES; what findings report as observed and expected. */
export interface WindowCounts {
  failedLogins: number;
  successfulLogins: number;
  totalEvents: number;
  distinctUsers: number;
  distinctActions: number;
}

export interface FeatureDef {
  name: string;
  raw(c: WindowCounts): number;
  /** Value the forest sees. */
  model(raw: number): number;
  /** An absolute count (not a ratio or rate), so `min_count` can judge whether it is worth reporting. */
  count?: boolean;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
const identity = (x: number): number => x;

/**
 * Counts go through log1p: the trees split uniformly between min and max, and on a linear scale one
 * huge window would leave every other split between 0 and a sliver of the range. The per-user rates
 * describe how each user behind the entity behaves, so a shared office NAT (many users, each
 * ordinary) differs from its neighbours on size only, while a spray (many users, all failing)
 * differs on behaviour as well.
 */
export const FEATURES: readonly FeatureDef[] = [
  { name: 'failed_logins', raw: (c) => c.failedLogins, model: Math.log1p, count: true },
  { name: 'successful_logins', raw: (c) => c.successfulLogins, model: Math.log1p, count: true },
  { name: 'total_events', raw: (c) => c.totalEvents, model: Math.log1p, count: true },
  { name: 'distinct_users', raw: (c) => c.distinctUsers, model: Math.log1p, count: true },
  { name: 'distinct_actions', raw: (c) => c.distinctActions, model: identity },
  { name: 'failure_ratio', raw: (c) => ratio(c.failedLogins, c.failedLogins + c.successfulLogins), model: identity },
  { name: 'failed_logins_per_user', raw: (c) => ratio(c.failedLogins, c.distinctUsers), model: Math.log1p },
  { name: 'events_per_user', raw: (c) => ratio(c.totalEvents, c.distinctUsers), model: Math.log1p },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

export function rawFeatures(c: WindowCounts): Float64Array {
  const out = new Float64Array(FEATURES.length);
  for (let i = 0; i < FEATURES.length; i++) out[i] = FEATURES[i]!.raw(c);
  return out;
}

export function modelFeatures(raw: ArrayLike<number>): Float64Array {
  const out = new Float64Array(FEATURES.length);
  for (let i = 0; i < FEATURES.length; i++) out[i] = FEATURES[i]!.model(raw[i]!);
  return out;
}

/** Median of each column; what "expected" means in a finding. */
export function columnMedians(rows: ReadonlyArray<ArrayLike<number>>, dims: number): number[] {
  const out: number[] = [];
  const col = new Float64Array(rows.length);
  for (let j = 0; j < dims; j++) {
    for (let i = 0; i < rows.length; i++) col[i] = rows[i]![j]!;
    col.sort();
    const n = col.length;
    out.push(n === 0 ? 0 : n % 2 === 1 ? col[(n - 1) / 2]! : (col[n / 2 - 1]! + col[n / 2]!) / 2);
  }
  return out;
}
