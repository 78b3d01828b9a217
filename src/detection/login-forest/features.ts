/** Login context as numbers for the per-user forest: quantized logins, their 7-character packing, and the vectors the trees split on. */

/** Human names of the feature groups, in the order findings list them when contributions tie. */
export const GROUPS = ['location', 'asn', 'agent', 'hour'] as const;
export type Group = (typeof GROUPS)[number];

/**
 * Group of each model dimension. The trees draw a dimension uniformly, so a group's weight is its
 * number of dimensions: location (x, y, z) and hour (two circles) get more draws than ASN and agent,
 * which is deliberate: a new ASN or browser alone is common and benign (a phone on mobile data, an
 * updated laptop), a far location or a night-time login much less so.
 */
export const DIM_GROUP: readonly Group[] = ['location', 'location', 'location', 'asn', 'agent', 'hour', 'hour', 'hour', 'hour'];
export const DIMS = DIM_GROUP.length;

/** Dictionary slots per categorical attribute; index FORGOTTEN marks a value that was pushed out. */
export const MAX_VALUES = 15;
export const FORGOTTEN = 15;

/** Five-minute slots in a week: the time precision kept per login. */
export const SLOTS_PER_WEEK = 2016;
export const SLOTS_PER_DAY = 288;

/**
 * One login as stored: 42 bits. Coordinates are kept in tenths of a degree (about 11 km, the size
 * of a GeoIP city fix anyway), ASN and agent as indexes into the user's small dictionaries, time as
 * the 5-minute slot of the UTC week starting Monday 00:00.
 */
export interface LoginPoint {
  /** Tenths of a degree, −900..900. */
  lat: number;
  /** Tenths of a degree, −1800..1799. */
  lon: number;
  /** Index into the user's ASN dictionary, or FORGOTTEN. */
  asn: number;
  /** Index into the user's agent-family dictionary, or FORGOTTEN. */
  agent: number;
  slot: number;
}

export function quantizeLat(lat: number): number {
  return Math.max(-900, Math.min(900, Math.round(lat * 10)));
}

export function quantizeLon(lon: number): number {
  const q = Math.round(lon * 10);
  return ((((q + 1800) % 3600) + 3600) % 3600) - 1800;
}

/** 5-minute slot of the UTC week, Monday 00:00 = 0. */
export function weekSlot(t: number): number {
  const d = new Date(t);
  const weekday = (d.getUTCDay() + 6) % 7;
  return Math.floor((weekday * 1440 + d.getUTCHours() * 60 + d.getUTCMinutes()) / 5);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((ch, i) => [ch, i]));
export const PACKED_LENGTH = 7;

/** Packs logins into 7 base64url characters each (42 bits: 11 lat, 12 lon, 4 asn, 4 agent, 11 slot). */
export function packLogins(logins: readonly LoginPoint[]): string {
  let out = '';
  for (const p of logins) {
    // 42 bits exceed the 32-bit bitwise operators, so the fields are combined with exact float arithmetic (< 2^53).
    let v = (p.lat + 900) * 2 ** 31 + (p.lon + 1800) * 2 ** 19 + p.asn * 2 ** 15 + p.agent * 2 ** 11 + p.slot;
    const chars: string[] = [];
    for (let i = 0; i < PACKED_LENGTH; i++) {
      chars.push(B64[v % 64]!);
      v = Math.floor(v / 64);
    }
    out += chars.reverse().join('');
  }
  return out;
}

/** Inverse of packLogins; undefined when the text is not a valid packing. */
export function unpackLogins(text: string): LoginPoint[] | undefined {
  if (text.length % PACKED_LENGTH !== 0) return undefined;
  const out: LoginPoint[] = [];
  for (let i = 0; i < text.length; i += PACKED_LENGTH) {
    let v = 0;
    for (let j = i; j < i + PACKED_LENGTH; j++) {
      const d = B64_INDEX.get(text[j]!);
      if (d === undefined) return undefined;
      v = v * 64 + d;
    }
    const slot = v % 2048;
    v = Math.floor(v / 2048);
    const agent = v % 16;
    v = Math.floor(v / 16);
    const asn = v % 16;
    v = Math.floor(v / 16);
    const lon = (v % 4096) - 1800;
    const lat = Math.floor(v / 4096) - 900;
    if (slot >= SLOTS_PER_WEEK || lon >= 1800 || lat > 900) return undefined;
    out.push({ lat, lon, asn, agent, slot });
  }
  return out;
}

/** Point on the unit sphere: nearby places are near each other across the antimeridian and at the poles, which raw lat/lon are not. */
export function unitVector(lat10: number, lon10: number): [number, number, number] {
  const phi = ((lat10 / 10) * Math.PI) / 180;
  const lambda = ((lon10 / 10) * Math.PI) / 180;
  return [Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi)];
}

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance between two stored locations. */
export function distanceKm(a: Pick<LoginPoint, 'lat' | 'lon'>, b: Pick<LoginPoint, 'lat' | 'lon'>): number {
  const [ax, ay, az] = unitVector(a.lat, a.lon);
  const [bx, by, bz] = unitVector(b.lat, b.lon);
  return EARTH_RADIUS_KM * Math.acos(Math.max(-1, Math.min(1, ax * bx + ay * by + az * bz)));
}

/** How often each dictionary value occurs among a set of logins. */
export interface ValueCounts {
  n: number;
  asn: Int32Array;
  agent: Int32Array;
}

export function countValues(logins: readonly LoginPoint[]): ValueCounts {
  const asn = new Int32Array(MAX_VALUES + 1);
  const agent = new Int32Array(MAX_VALUES + 1);
  for (const p of logins) {
    asn[p.asn]!++;
    agent[p.agent]!++;
  }
  return { n: logins.length, asn, agent };
}

/**
 * Familiarity of a categorical value: log2(1 + k) / log2(1 + n) for a value seen k times among n
 * other logins, 0 for a value never seen (or forgotten), 1 for a value on every other login. This is
 * the "one-hot by frequency" idea folded into one dimension: the trees split between min and max, so
 * the dimension only has to order values by how usual they are, and a new value sits alone at 0.
 * The logarithm spreads the low end: on a linear share, a browser used on 30% of logins and a new one
 * are 0.3 apart out of a range of 0.7; here they are 0.72 apart out of 0.92, so a split lands between
 * them far more often, and a value seen once (0.17) is still told apart from a new one.
 */
function familiarity(k: number, n: number): number {
  return n > 0 ? Math.log2(1 + k) / Math.log2(1 + n) : 0;
}

/**
 * The 9 model dimensions of login p, compared with the logins counted in `ref`. `member` says p is
 * one of them: its own occurrence is then left out (leave-one-out), so a training login and a new
 * login with the same value history get the same familiarity.
 *
 * Hour is two circles, sin/cos of the time of day and sin/cos of the hour of the week. Hour of the
 * week alone puts 03:00 and 09:00 of the same Tuesday 13° apart on a circle where Monday and Friday
 * are 170° apart, so a night login on a working day would look ordinary; the daily circle separates
 * times of day, the weekly one keeps weekends apart from weekdays.
 */
export function vectorOf(p: LoginPoint, ref: ValueCounts, member: boolean): Float64Array {
  const self = member ? 1 : 0;
  const others = ref.n - self;
  const [x, y, z] = unitVector(p.lat, p.lon);
  const asnK = p.asn === FORGOTTEN ? 0 : ref.asn[p.asn]! - self;
  const agentK = p.agent === FORGOTTEN ? 0 : ref.agent[p.agent]! - self;
  const day = (2 * Math.PI * (p.slot % SLOTS_PER_DAY)) / SLOTS_PER_DAY;
  const week = (2 * Math.PI * p.slot) / SLOTS_PER_WEEK;
  return Float64Array.of(x, y, z, familiarity(asnK, others), familiarity(agentK, others), Math.sin(day), Math.cos(day), Math.sin(week), Math.cos(week));
}

/** Sums per-dimension contributions into the human groups. */
export function groupContributions(contributions: readonly number[]): Record<Group, number> {
  const out: Record<Group, number> = { location: 0, asn: 0, agent: 0, hour: 0 };
  DIM_GROUP.forEach((g, i) => {
    out[g] += contributions[i] ?? 0;
  });
  return out;
}

/** Whole percentages that add up to exactly 100 (largest remainder), so a description never reads 99% or 101%. */
export function percentages(shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return shares.map(() => 0);
  const exact = shares.map((s) => (s / total) * 100);
  const out = exact.map(Math.floor);
  let left = 100 - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}
