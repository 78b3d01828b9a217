import { beforeAll, describe, expect, it } from 'vitest';
import { countryName, createGeoIpEnricher, ESTIMATED_RADIUS_KM, GeoIpDatabase } from './geoip.js';
import { makeEvent } from './testing.js';

let db: GeoIpDatabase;
beforeAll(async () => {
  db = await GeoIpDatabase.open();
});

describe('GeoIpDatabase on the shipped GeoLite2 city files', () => {
  it('places 8.8.8.8 in the United States at country level', () => {
    const g = db.lookup('8.8.8.8');
    expect(g).toMatchObject({ country_iso_code: 'US', country_name: 'United States', accuracy_radius_km: ESTIMATED_RADIUS_KM.country });
    expect(g?.city_name).toBeUndefined();
    expect(g?.location?.lat).toBeCloseTo(37.751, 2);
    expect(g?.location?.lon).toBeCloseTo(-97.822, 2);
  });

  it('gives a city, coordinates and a tighter radius where the database has them', () => {
    const g = db.lookup('81.2.69.142');
    expect(g).toMatchObject({ country_iso_code: 'GB', country_name: 'United Kingdom', city_name: 'Bracknell', accuracy_radius_km: ESTIMATED_RADIUS_KM.postcode });
    expect(g?.location?.lat).toBeCloseTo(51.4036, 3);
  });

  it('looks up IPv6 in the IPv6 file and mapped IPv4 in the IPv4 file', () => {
    expect(db.lookup('2001:4860:4860::8888')?.country_iso_code).toBe('US');
    expect(db.lookup('2a02:cf40::1')).toMatchObject({ country_iso_code: 'DK', country_name: 'Denmark' });
    expect(db.lookup('::ffff:81.2.69.142')?.city_name).toBe('Bracknell');
  });

  it('returns nothing for addresses it does not know', () => {
    expect(db.lookup('10.0.0.1')).toBeUndefined();
    expect(db.lookup('2001:db8::1')).toBeUndefined();
    expect(db.lookup('garbage')).toBeUndefined();
  });
});

describe('countryName', () => {
  it('names ISO codes in English and returns undefined for unknown ones', () => {
    expect(countryName('DE')).toBe('Germany');
    expect(countryName('NG')).toBe('Nigeria');
    expect(countryName('not a code')).toBeUndefined();
  });
});

describe('createGeoIpEnricher', () => {
  it('fills source.geo for public IPs only', () => {
    const enrich = createGeoIpEnricher(db);
    const pub = makeEvent({ source: { ip: '81.2.69.142' } });
    enrich(pub);
    expect(pub.source?.geo?.city_name).toBe('Bracknell');
    for (const ip of ['192.168.1.10', '127.0.0.1', '203.0.113.77', '198.51.100.1', '198.18.0.10', 'fc00::1', '::1']) {
      const e = makeEvent({ source: { ip } });
      enrich(e);
      expect(e.source?.geo, ip).toBeUndefined();
    }
  });

  it('replaces vendor geo when the database knows the IP and keeps it when it does not', () => {
    const enrich = createGeoIpEnricher(db);
    const known = makeEvent({ source: { ip: '8.8.8.8', geo: { city_name: 'Mountain View', country_iso_code: 'US' } } });
    enrich(known);
    expect(known.source?.geo?.city_name).toBeUndefined();
    expect(known.source?.geo?.country_name).toBe('United States');
    const unknown = makeEvent({ source: { ip: '10.1.1.1', geo: { city_name: 'Paris', country_iso_code: 'FR' } } });
    enrich(unknown);
    expect(unknown.source?.geo).toEqual({ city_name: 'Paris', country_iso_code: 'FR' });
  });

  it('gives each event its own geo object even when the answer comes from the cache', () => {
    const enrich = createGeoIpEnricher(db);
    const a = makeEvent({ source: { ip: '8.8.8.8' } });
    const b = makeEvent({ source: { ip: '8.8.8.8' } });
    enrich(a);
    enrich(b);
    a.source!.geo!.location!.lat = 0;
    expect(b.source?.geo?.location?.lat).toBeCloseTo(37.751, 2);
  });

  it('places synthetic ranges with CIDR overrides, most specific first, without a database', () => {
    const london = { country_iso_code: 'GB', country_name: 'United Kingdom', city_name: 'London', location: { lat: 51.5072, lon: -0.1276 }, accuracy_radius_km: 20 };
    const paris = { country_iso_code: 'FR', country_name: 'France', city_name: 'Paris', location: { lat: 48.8566, lon: 2.3522 }, accuracy_radius_km: 20 };
    const enrich = createGeoIpEnricher(undefined, { overrides: { '198.18.0.0/15': london, '198.18.4.0/24': paris, '2001:db8::/32': paris } });
    const cases: Array<[string, string | undefined]> = [['198.19.200.1', 'London'], ['198.18.4.11', 'Paris'], ['2001:db8::5', 'Paris'], ['8.8.8.8', undefined]];
    for (const [ip, city] of cases) {
      const e = makeEvent({ source: { ip } });
      enrich(e);
      expect(e.source?.geo?.city_name, ip).toBe(city);
    }
  });
});
