import { describe, expect, it } from 'vitest';
import { createEnrichers, enrichConfigSchema, enrichOptionsFromConfig } from './index.js';
import { makeEvent } from './testing.js';

describe('createEnrichers', () => {
  it('runs identity, GeoIP, ASN and user agent over one event', async () => {
    const enrichers = await createEnrichers({ identities: { 'web-auth': { user_domain: 'example.com' } } });
    const e = makeEvent(
      { user: { name: 'jdoe' }, source: { ip: '8.8.8.8' }, user_agent: { original: 'curl/8.4.0' } },
      'web-auth',
    );
    for (const enrich of enrichers) enrich(e);
    expect(e.user?.email).toBe('jdoe@example.com');
    expect(e.source?.geo?.country_iso_code).toBe('US');
    expect(e.source?.as).toEqual({ number: 15169, organization: { name: 'Google LLC' } });
    expect(e.user_agent?.name).toBe('curl');
  });

  it('maps the demo range with overrides and loads no database when both are off', async () => {
    const enrichers = await createEnrichers({
      geoip: false,
      asn: false,
      userAgent: false,
      fileSensitivity: false,
      overrides: {
        geo: { '198.18.0.0/15': { country_iso_code: 'DE', country_name: 'Germany', city_name: 'Berlin', location: { lat: 52.52, lon: 13.405 }, accuracy_radius_km: 20 } },
        asn: { '198.18.0.0/15': { number: 3320, name: 'Deutsche Telekom AG' } },
      },
    });
    expect(enrichers).toHaveLength(3);
    const demo = makeEvent({ source: { ip: '198.19.0.7' } });
    const real = makeEvent({ source: { ip: '8.8.8.8' } });
    for (const e of [demo, real]) for (const enrich of enrichers) enrich(e);
    expect(demo.source?.geo?.city_name).toBe('Berlin');
    expect(demo.source?.as?.number).toBe(3320);
    expect(real.source?.geo).toBeUndefined();
    expect(real.source?.as).toBeUndefined();
  });

  it('refuses a malformed override key before loading anything', async () => {
    await expect(createEnrichers({ overrides: { asn: { '198.18.0.0/99': { number: 1, name: 'x' } } } })).rejects.toThrow(/198\.18\.0\.0\/99/);
  });
});

describe('enrichConfigSchema', () => {
  it('defaults everything on with no identities', () => {
    expect(enrichConfigSchema.parse({})).toEqual({ geoip: true, asn: true, user_agent: true, file_sensitivity: true, identities: {} });
  });

  it('maps snake_case config to options', () => {
    const c = enrichConfigSchema.parse({ user_agent: false, identities: { slack: { user_domain: 'example.com', user_map: { U1: 'alice' } } } });
    expect(enrichOptionsFromConfig(c)).toEqual({ geoip: true, asn: true, userAgent: false, fileSensitivity: true, identities: { slack: { user_domain: 'example.com', user_map: { U1: 'alice' } } } });
  });

  it.each([
    [{ geo_ip: true }, ''],
    [{ geoip: 'yes' }, 'geoip'],
    [{ identities: { slack: { user_domain: 'not a domain' } } }, 'identities.slack.user_domain'],
    [{ identities: { slack: { user_map: { U1: 'alice' } } } }, 'identities.slack.user_map.U1'],
    [{ identities: { slack: { domain: 'example.com' } } }, 'identities.slack'],
  ])('rejects %j at %s', (input, path) => {
    const r = enrichConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
