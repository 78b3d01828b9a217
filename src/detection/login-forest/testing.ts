/** Generated login histories for the login-forest tests: a commuter between home and office in one city, with the GeoIP jitter and habits of a real one. */
import type { SecurityEvent } from '../../core/index.js';
import { Rng } from '../random.js';
import { testEvent } from '../testing.js';

export interface Fix {
  city: string;
  country: string;
  lat: number;
  lon: number;
  asn: number;
}

/** Two GeoIP fixes each for home (consumer ISP) and office (business ISP): city databases place one address at more than one point. */
export const HOME: readonly Fix[] = [
  { city: 'Ivry-sur-Seine', country: 'FR', lat: 48.815, lon: 2.385, asn: 3215 },
  { city: 'Paris', country: 'FR', lat: 48.8566, lon: 2.3522, asn: 3215 },
];
export const OFFICE: readonly Fix[] = [
  { city: 'Puteaux', country: 'FR', lat: 48.885, lon: 2.238, asn: 5410 },
  { city: 'Nanterre', country: 'FR', lat: 48.8924, lon: 2.2071, asn: 5410 },
];
export const LAGOS: Fix = { city: 'Lagos', country: 'NG', lat: 6.4541, lon: 3.3947, asn: 29465 };
export const LYON: Fix = { city: 'Lyon', country: 'FR', lat: 45.764, lon: 4.8357, asn: 3215 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-10-05 00:00 UTC. */
export const MONDAY = Date.parse('2026-10-05T00:00:00.000Z');

export function loginAt(time: number, user: string, fix: Fix | undefined, agent: string | undefined, nonce = 0): SecurityEvent {
  const e = testEvent({ time, user, ip: `198.51.100.${fix ? fix.asn % 250 : 1}`, nonce: nonce || time });
  if (fix) {
    e.source = {
      ...e.source,
      geo: { city_name: fix.city, country_iso_code: fix.country, location: { lat: fix.lat, lon: fix.lon }, accuracy_radius_km: 20 },
      as: { number: fix.asn },
    };
  }
  if (agent !== undefined) e.user_agent = { name: agent };
  return e;
}

/**
 * `days` days of a commuter's logins from `from` (days after MONDAY), in UTC: on weekdays an early
 * login from home some days, one to three from the office during working hours (Chrome on the work
 * laptop), an evening one from home some days; at weekends a login from home now and then. At home
 * the user is on Safari (own laptop) or, less often, the work laptop's Chrome.
 */
export function commuter(user: string, days: number, seed: number, from = 0): SecurityEvent[] {
  const rng = new Rng(`${user}:${seed}`);
  const out: SecurityEvent[] = [];
  const home = (t: number) => out.push(loginAt(t, user, rng.pick(HOME), rng.chance(0.7) ? 'Safari' : 'Chrome'));
  for (let d = from; d < from + days; d++) {
    const day = MONDAY + d * DAY;
    const weekday = (new Date(day).getUTCDay() + 6) % 7;
    if (weekday >= 5) {
      if (rng.chance(0.35)) home(day + rng.uniform(9, 19) * HOUR);
      continue;
    }
    if (rng.chance(0.35)) home(day + rng.uniform(6, 7.5) * HOUR);
    const atOffice = 1 + rng.int(3);
    for (let k = 0; k < atOffice; k++) out.push(loginAt(day + rng.uniform(7.5 + 3 * k, 10 + 3 * k) * HOUR, user, rng.pick(OFFICE), 'Chrome'));
    if (rng.chance(0.3)) home(day + rng.uniform(18, 21.5) * HOUR);
  }
  return out;
}
