/** Login events with the GeoIP, ASN and user-agent fields enrichment fills, for the novelty and impossible-travel tests. */
import type { SecurityEvent } from '../../core/index.js';
import { testEvent } from '../testing.js';

export interface Place {
  city: string;
  country: string;
  lat: number;
  lon: number;
  asn: number;
  /** GeoIP accuracy radius in km. */
  radius?: number;
  /** The network's registered name (source.as.organization.name), as the ASN enricher writes it. */
  asName?: string;
}

export const PARIS: Place = { city: 'Paris', country: 'FR', lat: 48.8566, lon: 2.3522, asn: 3215, radius: 20 };
export const LONDON: Place = { city: 'London', country: 'GB', lat: 51.5074, lon: -0.1278, asn: 2856, radius: 20 };
export const LAGOS: Place = { city: 'Lagos', country: 'NG', lat: 6.5244, lon: 3.3792, asn: 37148, radius: 50 };
export const BERLIN: Place = { city: 'Berlin', country: 'DE', lat: 52.52, lon: 13.405, asn: 3320, radius: 20 };
export const NEW_YORK: Place = { city: 'New York', country: 'US', lat: 40.7128, lon: -74.006, asn: 7922, radius: 20, asName: 'Comcast Cable Communications, LLC' };
export const TOKYO: Place = { city: 'Tokyo', country: 'JP', lat: 35.6762, lon: 139.6503, asn: 2516, radius: 20, asName: 'KDDI Corporation' };
export const BUCHAREST: Place = { city: 'Bucharest', country: 'RO', lat: 44.4268, lon: 26.1025, asn: 9009, radius: 50, asName: 'M247 Europe SRL' };
export const HANOI: Place = { city: 'Hanoi', country: 'VN', lat: 21.0278, lon: 105.8342, asn: 7552, radius: 50, asName: 'Viettel Group' };

export function login(time: number, user: string, place: Place, opts: { ua?: string; outcome?: 'success' | 'failure'; nonce?: number; radius?: number } = {}): SecurityEvent {
  const e = testEvent({ time, user, ip: `198.51.100.${place.asn % 250}`, outcome: opts.outcome ?? 'success', nonce: opts.nonce ?? time });
  e.source = {
    ...e.source,
    geo: { city_name: place.city, country_iso_code: place.country, location: { lat: place.lat, lon: place.lon }, accuracy_radius_km: opts.radius ?? place.radius ?? 10 },
    as: place.asName ? { number: place.asn, organization: { name: place.asName } } : { number: place.asn },
  };
  e.user_agent = { name: opts.ua ?? 'Chrome' };
  return e;
}
