/** Impossible-travel detector: consecutive successful logins of a user too far apart for the time between them. */
import { eventTime, type Finding, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { isLoginAttempt, userOf } from '../fields.js';
import { PerUserDetector } from '../state.js';
import type { ImpossibleTravelConfig } from './config.js';

export const IMPOSSIBLE_TRAVEL_RULE = 'impossible-travel';

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance in km (haversine; accurate to well under GeoIP's own error). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** The last located login of a user. */
export interface TravelState {
  t: number;
  lat: number;
  lon: number;
  /** Accuracy radius, km. */
  r: number;
  place: string;
  id: string;
}

interface Located {
  lat: number;
  lon: number;
  r: number;
  place: string;
}

function locate(e: SecurityEvent): Located | undefined {
  const g = e.source?.geo;
  const loc = g?.location;
  if (!loc || !Number.isFinite(loc.lat) || !Number.isFinite(loc.lon)) return undefined;
  const r = g.accuracy_radius_km;
  const place = g.city_name ? `${g.city_name}, ${g.country_iso_code ?? '?'}` : (g.country_iso_code ?? `${loc.lat.toFixed(2)},${loc.lon.toFixed(2)}`);
  // Cut so one odd GeoIP name cannot push the saved state over its 2 KB bound.
  return { lat: loc.lat, lon: loc.lon, r: r !== undefined && Number.isFinite(r) && r > 0 ? r : 0, place: place.slice(0, 64) };
}

/**
 * The distance used is the great-circle distance minus both accuracy radii (never below 0): the
 * user could have been anywhere inside each circle, and a speed must hold for the nearest points.
 * Logins from ignored ASNs neither alert nor move the user's last position, since their location
 * is the relay's, not the user's. A login older than the last one is ignored (order matters here).
 */
export class ImpossibleTravelDetector extends PerUserDetector<TravelState | { t: number; none: true }> {
  readonly id: string = IMPOSSIBLE_TRAVEL_RULE;
  readonly #c: ImpossibleTravelConfig;
  readonly #ignore: ReadonlySet<number>;

  constructor(config: ImpossibleTravelConfig, deps: Pick<PluginDeps, 'state'> = {}) {
    super(
      {
        create: () => ({ t: Number.NEGATIVE_INFINITY, none: true }),
        encode: (s) => ('none' in s ? null : s),
        decode: (v) => decode(v),
      },
      { prefix: IMPOSSIBLE_TRAVEL_RULE, maxUsers: config.max_users, store: deps.state },
    );
    this.#c = config;
    this.#ignore = new Set(config.ignore_asns);
  }

  protected accept(e: SecurityEvent): string | undefined {
    if (e.event.outcome !== 'success' || !isLoginAttempt(e)) return undefined;
    const asn = e.source?.as?.number;
    if (asn !== undefined && this.#ignore.has(asn)) return undefined;
    const user = userOf(e);
    return user === undefined || !Number.isFinite(eventTime(e)) || !locate(e) ? undefined : user;
  }

  /** Mutates the state in place: UserStates holds the object, so it is updated rather than replaced. */
  protected applyEvent(user: string, state: TravelState | { t: number; none: true }, e: SecurityEvent): Finding[] {
    const s = state as TravelState & { none?: true };
    const t = eventTime(e);
    const here = locate(e)!;
    if (t < s.t) return [];
    let out: Finding[] = [];
    if (!s.none) {
      const raw = haversineKm(s.lat, s.lon, here.lat, here.lon);
      const km = Math.max(0, raw - s.r - here.r);
      const hours = (t - s.t) / 3_600_000;
      const speed = hours > 0 ? km / hours : km > 0 ? Number.POSITIVE_INFINITY : 0;
      if (km >= this.#c.min_distance_km && speed > this.#c.max_speed_kmh) out = [this.#finding(user, s, here, e, t, raw, km, speed)];
    }
    delete s.none;
    Object.assign(s, { t, lat: here.lat, lon: here.lon, r: here.r, place: here.place, id: e.event.id });
    return out;
  }

  #finding(user: string, prev: TravelState, here: Located, e: SecurityEvent, t: number, raw: number, km: number, speed: number): Finding {
    const minutes = Math.round((t - prev.t) / 60_000);
    const gap = minutes >= 120 ? `${(minutes / 60).toFixed(minutes % 60 === 0 ? 0 : 1)} h` : `${minutes} min`;
    const kmh = Number.isFinite(speed) ? `${fmtInt(speed)} km/h` : 'an instant';
    return {
      rule: IMPOSSIBLE_TRAVEL_RULE,
      title: `Impossible travel for ${user}: ${prev.place} → ${here.place} in ${gap}`,
      severity: this.#c.severity as Severity,
      entity: { type: 'user', value: user },
      windowStart: prev.t,
      windowEnd: t,
      evidence: [prev.id, e.event.id],
      description:
        `${user} logged in from ${here.place} ${gap} after ${prev.place}: ${fmtInt(km)} km ` +
        `(${fmtInt(raw)} km less accuracy radii ${fmtInt(prev.r)} + ${fmtInt(here.r)} km) at ${kmh} > ${fmtInt(this.#c.max_speed_kmh)} km/h.`,
      observed: { distance_km: Math.round(km), raw_distance_km: Math.round(raw), minutes, speed_kmh: Number.isFinite(speed) ? Math.round(speed) : -1 },
      expected: { max_speed_kmh: this.#c.max_speed_kmh, min_distance_km: this.#c.min_distance_km },
    };
  }
}

function fmtInt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function decode(v: unknown): TravelState | { t: number; none: true } | undefined {
  if (v === null) return { t: Number.NEGATIVE_INFINITY, none: true };
  if (typeof v !== 'object' || v === undefined) return undefined;
  const s = v as Partial<TravelState>;
  if (![s.t, s.lat, s.lon, s.r].every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  if (typeof s.place !== 'string' || typeof s.id !== 'string') return undefined;
  return { t: s.t!, lat: s.lat!, lon: s.lon!, r: s.r!, place: s.place, id: s.id };
}
