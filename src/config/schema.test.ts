import { describe, expect, it } from 'vitest';
import { configErrorMap } from '../core/index.js';
import { alertingSchema, serverSchema, storageSchema } from './schema.js';

const DAY = 86_400_000;
const DEFAULTS = { events: 90 * DAY, dead_letters: 30 * DAY, alerts: 365 * DAY, deliveries: 30 * DAY, audit_log: 365 * DAY, actions: 365 * DAY };

function retention(value: unknown) {
  const r = storageSchema.safeParse({ type: 'sqlite', retention: value }, { error: configErrorMap });
  return r.success ? { ok: r.data.retention } : { problems: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}

describe('storage.retention', () => {
  it('takes a plain duration as the events period, as before there were others', () => {
    expect(retention('10d')).toEqual({ ok: { ...DEFAULTS, events: 10 * DAY } });
    expect(retention(3600)).toEqual({ ok: { ...DEFAULTS, events: 3_600_000 } });
    expect(retention(undefined)).toEqual({ ok: DEFAULTS });
  });

  it('takes a period per table, the rest keeping their defaults', () => {
    expect(retention({ dead_letters: '7d', audit_log: '2w' })).toEqual({ ok: { ...DEFAULTS, dead_letters: 7 * DAY, audit_log: 14 * DAY } });
    expect(retention({})).toEqual({ ok: DEFAULTS });
  });

  it('names the problem of the form given, and the key within a mapping', () => {
    expect(retention('forever')).toEqual({ problems: ['retention: expected a duration such as 30s, 5m, 1h or 7d, got "forever"'] });
    expect(retention({ events: 'forever', alerts: -1 })).toEqual({
      problems: ['retention: events: expected a duration such as 30s, 5m, 1h or 7d, got "forever"; alerts: expected a duration such as 30s, 5m, 1h or 7d, got -1'],
    });
    expect(retention({ evnts: '1d' })).toEqual({
      problems: ['retention: unknown key "evnts" in storage.retention (did you mean "events"?); allowed: events, dead_letters, alerts, deliveries, audit_log, actions'],
    });
  });
});

describe('alerting.mutes', () => {
  const parse = (mutes: unknown) => {
    const r = alertingSchema.safeParse({ mutes }, { error: configErrorMap });
    return r.success ? { ok: r.data.mutes } : { problems: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  };

  it('parses the entity into type and value and the end into epoch ms', () => {
    expect(parse([{ rule: 'brute-force', entity: 'user:*@contractor.example', until: '2026-12-31T00:00:00Z', reason: 'pen test' }, { entity: 'ip:2001:db8::1', reason: 'scanner' }])).toEqual({
      ok: [
        { rule: 'brute-force', entity: { type: 'user', value: '*@contractor.example' }, until: Date.parse('2026-12-31T00:00:00Z'), reason: 'pen test' },
        { entity: { type: 'ip', value: '2001:db8::1' }, reason: 'scanner' },
      ],
    });
    expect(alertingSchema.parse({})).toEqual({ group_window: 15 * 60_000, mutes: [] });
  });

  it('names the field and the fix for a mute without reason, pattern, a bad entity or end', () => {
    expect(parse([{ rule: 'x' }]).problems).toEqual(['mutes.0.reason: is required (text); add it']);
    expect(parse([{ reason: 'all' }]).problems).toEqual(['mutes.0: expected rule, entity or both: a mute with neither would silence every alert']);
    expect(parse([{ entity: 'alice', reason: 'r' }]).problems).toEqual(['mutes.0.entity: expected type:value such as user:alice@example.com or ip:203.0.113.7']);
    expect(parse([{ rule: 'x', until: 'tomorrow', reason: 'r' }]).problems).toEqual(['mutes.0.until: expected an ISO time such as 2026-12-31T00:00:00Z']);
  });
});

describe('server', () => {
  const parse = (server: unknown) => {
    const r = serverSchema.safeParse(server, { error: configErrorMap });
    return r.success ? { ok: r.data } : { problems: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  };

  it('takes TLS files and trusted proxies as addresses, CIDRs or proxy-addr names', () => {
    expect(parse({})).toMatchObject({ ok: { host: '127.0.0.1', port: 8080, trust_proxy: false } });
    expect(parse({})).not.toHaveProperty('ok.tls');
    expect(parse({ tls: { cert_file: 'c.pem', key_file: 'k.pem' }, trust_proxy: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'] })).toMatchObject({
      ok: { host: '127.0.0.1', port: 8080, tls: { cert_file: 'c.pem', key_file: 'k.pem' }, trust_proxy: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'] },
    });
    // true would believe the first X-Forwarded-For entry, which the client writes.
    expect(parse({ trust_proxy: true })).toEqual({ problems: [expect.stringMatching(/^trust_proxy: true would believe .* give the proxy addresses or CIDRs/)] });
  });

  it('refuses a proxy that is no address, a prefix out of range, and TLS without its key', () => {
    for (const bad of ['proxy.example', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '']) {
      expect(parse({ trust_proxy: [bad] }), bad).toMatchObject({ problems: [expect.stringMatching(/^trust_proxy\.0: expected an IP address or CIDR/)] });
    }
    expect(parse({ tls: { cert_file: 'c.pem' } })).toMatchObject({ problems: [expect.stringMatching(/^tls\.key_file: /)] });
  });
});
