import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGraph, type FakeGraph, type FakeGraphOptions, type GraphAlert } from '../../../fakes/microsoft-graph/server.js';
import { makeTestTls } from '../../../fakes/smtp/cert.js';
import { fetchTrusting } from '../../../fakes/tls-fetch.js';
import type { GraphCredentials, Observable, SightingResult } from '../types.js';
import { createGraphSightings, type GraphSightingsOptions } from './client.js';
import { legacyFilter } from './filters.js';
import {
  ATTACKER_IP, AWKWARD_FILE, C2_DOMAIN, C2_URL, LEGACY_ALERTS, LEGACY_FILES, LEGACY_FIREWALL, LEGACY_ODD, LEGACY_SIGN_IN, MIMIKATZ_SHA256, MSSENSE_SHA256,
  QUOTED_HOST, T0, TENANT, V2_ALERTS, V2_DEVICE, V2_IDENTITY, VICTIM_UPN, manyLegacy, manyV2,
} from './fixtures/alerts.js';

const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Xy8Q~relay-graph-test-secret';
const CREDS: GraphCredentials = { tenant_id: TENANT, application_id: CLIENT, client_secret: SECRET };

/** Graph and Entra speak HTTPS: so does the fake, with a private CA the client under test trusts. */
const TLS = makeTestTls();
const trusting = fetchTrusting(TLS.ca);

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function fake(opts: Partial<FakeGraphOptions> = {}): Promise<FakeGraph> {
  const f = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, alerts: V2_ALERTS, legacyAlerts: LEGACY_ALERTS, tls: TLS, ...opts });
  closers.push(() => f.close());
  return f;
}

const relay = (f: FakeGraph, extra: Partial<GraphSightingsOptions> = {}) =>
  createGraphSightings({ graphUrl: f.url, loginUrl: f.loginUrl, legacyAlerts: true, now: () => T0, retryAfterMaxMs: 0, v2CacheMs: 0, fetch: trusting, ...extra });

const ids = (r: SightingResult) => r.sightings.map((s) => s.external_ids[0]);
const graphRequests = (f: FakeGraph, path: string) => f.requests.filter((r) => r.path === `/v1.0/security/${path}`);
/** Nothing a caller sees may carry the secret or an access token. */
function expectNoCredentials(f: FakeGraph, r: unknown): void {
  const text = JSON.stringify(r);
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
  expect(f.tokensIssued).toBeGreaterThanOrEqual(0);
}

describe('sightings per observable type, from alerts_v2 and legacy alerts', () => {
  const cases: Array<[Observable, string[]]> = [
    // alerts_v2 first (newest update first), then legacy (newest event first).
    [{ type: 'ip', value: ATTACKER_IP }, [V2_IDENTITY.id!, V2_DEVICE.id!, LEGACY_SIGN_IN.id!, LEGACY_FIREWALL.id!]],
    [{ type: 'ipv6', value: 'fe80::1' }, [V2_DEVICE.id!]],
    [{ type: 'domain', value: C2_DOMAIN }, [V2_IDENTITY.id!, LEGACY_FIREWALL.id!]],
    [{ type: 'hostname', value: 'lap-douglasf' }, [LEGACY_FIREWALL.id!]],
    [{ type: 'hostname', value: 'lap-megan.contoso.com' }, [V2_DEVICE.id!]],
    [{ type: 'url', value: C2_URL }, [V2_IDENTITY.id!, LEGACY_FIREWALL.id!]],
    [{ type: 'email', value: VICTIM_UPN }, [V2_IDENTITY.id!, LEGACY_SIGN_IN.id!]],
    [{ type: 'user', value: 'aldom' }, [LEGACY_FILES.id!]],
    [{ type: 'user', value: VICTIM_UPN }, [V2_IDENTITY.id!, LEGACY_SIGN_IN.id!]],
    [{ type: 'file_name', value: 'mimikatz.exe' }, [LEGACY_FILES.id!]],
    [{ type: 'file_name', value: 'MsSense.exe' }, [V2_DEVICE.id!]],
    [{ type: 'file_path', value: 'C:\\Users\\aldom\\Downloads\\mimikatz.exe' }, [LEGACY_FILES.id!]],
    [{ type: 'sha256', value: MIMIKATZ_SHA256 }, [LEGACY_FILES.id!]],
    [{ type: 'sha256', value: MSSENSE_SHA256 }, [V2_DEVICE.id!]],
    // A quote in the value travels as data; the query string's own characters too.
    [{ type: 'hostname', value: QUOTED_HOST }, [LEGACY_ODD.id!]],
    [{ type: 'file_name', value: AWKWARD_FILE }, [LEGACY_FILES.id!]],
    [{ type: 'domain', value: 'nothing.example' }, []],
  ];
  it.each(cases)('%j', async (o, want) => {
    const f = await fake();
    const r = await relay(f).observe(o, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([]);
    expect(ids(r)).toEqual(want);
    for (const s of r.sightings) expect(s.observables).toEqual([{ type: o.type, value: o.value }]);
    // Graph received exactly the filter we meant: the value's quotes doubled, nothing cut or added.
    const legacy = graphRequests(f, 'alerts');
    expect(legacy).toHaveLength(1);
    expect(legacy[0]!.query).toEqual({ $filter: legacyFilter(o), $top: '100' });
    expect(graphRequests(f, 'alerts_v2')[0]!.query).toEqual({ $filter: 'lastUpdateDateTime ge 2026-01-31T09:00:00.000Z', $top: '500' });
  });

  it('a value that tries to close the quote and add a clause finds nothing and breaks nothing', async () => {
    const f = await fake();
    const r = await relay(f).observe({ type: 'hostname', value: `x') or networkConnections/any(y:y/sourceAddress eq '${ATTACKER_IP}` }, { credentials: CREDS, limit: 100 });
    expect(r).toEqual({ sightings: [], errors: [] });
    expect(graphRequests(f, 'alerts')[0]!.status).toBe(200);
  });

  it('maps what Graph returns with the mapping rules (one sighting checked whole elsewhere; here the wire)', async () => {
    const f = await fake();
    const r = await relay(f).observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100 });
    const fw = r.sightings.find((s) => s.external_ids[0] === LEGACY_FIREWALL.id)!;
    expect(fw).toMatchObject({ sensor: 'network.firewall', severity: 'High', confidence: 'High', relations: [{ relation: 'Connected_To' }] });
    const dev = r.sightings.find((s) => s.external_ids[0] === V2_DEVICE.id)!;
    expect(dev.targets![0]!.observables).toContainEqual({ type: 'hostname', value: 'lap-megan' });
  });

  it('without legacy_alerts only alerts_v2 is asked', async () => {
    const f = await fake();
    const r = await relay(f, { legacyAlerts: false }).observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100 });
    expect(ids(r)).toEqual([V2_IDENTITY.id, V2_DEVICE.id]);
    expect(graphRequests(f, 'alerts')).toHaveLength(0);
  });

  it('alerts_v2 older than the look-back are not searched', async () => {
    const old = { ...V2_IDENTITY, id: 'old', lastUpdateDateTime: '2025-12-01T00:00:00Z' } as GraphAlert;
    const f = await fake({ alerts: [old, V2_IDENTITY] });
    const r = await relay(f, { legacyAlerts: false }).observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100 });
    expect(ids(r)).toEqual([V2_IDENTITY.id]);
  });
});

describe('limits and paging', () => {
  const IP = '198.51.100.200';

  it('follows @odata.nextLink until the limit, and no further', async () => {
    const noise = manyV2(7, '192.0.2.1').map((a) => ({ ...a, id: `noise-${a.id}` }));
    const f = await fake({ alerts: [...manyV2(25, IP), ...noise], legacyAlerts: manyLegacy(25, IP), maxPageSize: 4 });
    const r = await relay(f, { v2PageSize: 4 }).observe({ type: 'ip', value: IP }, { credentials: CREDS, limit: 10 });
    expect(r.errors).toEqual([]);
    expect(ids(r)).toEqual([...Array.from({ length: 10 }, (_, i) => `bulk-v2-${i}`), ...Array.from({ length: 10 }, (_, i) => `bulk-legacy-${i}`)]);
    // 4 + 4 + 2 of 4: three pages each, the third cut at the limit.
    expect(graphRequests(f, 'alerts')).toHaveLength(3);
    expect(graphRequests(f, 'alerts')[0]!.query.$top).toBe('10');
    expect(graphRequests(f, 'alerts')[1]!.query.$skiptoken).toBeDefined();
    // alerts_v2 pages interleave the noise: 17 records hold the first 10 matches, read in 5 pages of 4.
    expect(graphRequests(f, 'alerts_v2')).toHaveLength(5);
  });

  it('stops at the end of the listing when fewer than the limit exist', async () => {
    const f = await fake({ legacyAlerts: manyLegacy(6, IP), alerts: [], maxPageSize: 4 });
    const r = await relay(f).observe({ type: 'ip', value: IP }, { credentials: CREDS, limit: 100 });
    expect(ids(r)).toHaveLength(6);
    expect(graphRequests(f, 'alerts')).toHaveLength(2);
  });

  it('reads at most the scan limit of alerts_v2 records', async () => {
    const f = await fake({ alerts: manyV2(30, '192.0.2.1'), legacyAlerts: [] });
    const r = await relay(f, { v2PageSize: 4, v2ScanLimit: 8 }).observe({ type: 'ip', value: IP }, { credentials: CREDS, limit: 100 });
    expect(r).toEqual({ sightings: [], errors: [] });
    expect(graphRequests(f, 'alerts_v2')).toHaveLength(2);
  });

  it('the limit is per call: concurrent calls with different limits do not interfere', async () => {
    const f = await fake({ alerts: manyV2(20, IP), legacyAlerts: manyLegacy(20, IP) });
    const g = relay(f);
    const [a, b, c] = await Promise.all([3, 7, 1].map((limit) => g.observe({ type: 'ip', value: IP }, { credentials: CREDS, limit })));
    expect([a!.sightings.length, b!.sightings.length, c!.sightings.length]).toEqual([6, 14, 2]);
    expect(graphRequests(f, 'alerts').map((r) => r.query.$top).sort()).toEqual(['1', '3', '7']);
    // One token for all three: the client is per credentials, not per call.
    expect(f.tokensIssued).toBe(1);
  });
});

describe('one alerts_v2 read shared by the observables of a request', () => {
  const IP = '198.51.100.200';
  const observables: Observable[] = [
    { type: 'ip', value: ATTACKER_IP },
    { type: 'ip', value: IP },
    { type: 'email', value: VICTIM_UPN },
    { type: 'sha256', value: MSSENSE_SHA256 },
    { type: 'url', value: C2_URL },
  ];

  it('concurrent observables read alerts_v2 once; the read serves until the cache time has passed', async () => {
    const f = await fake({ alerts: [...V2_ALERTS, ...manyV2(3, IP)] });
    let t = T0;
    const g = relay(f, { legacyAlerts: false, v2CacheMs: 30_000, now: () => t });
    const all = () => Promise.all(observables.map((o) => g.observe(o, { credentials: CREDS, limit: 100 })));
    const first = await all();
    expect(first.map((r) => r.sightings.length)).toEqual([2, 3, 1, 1, 1]);
    expect(graphRequests(f, 'alerts_v2')).toHaveLength(1);
    t += 29_999;
    expect((await all()).map((r) => ids(r))).toEqual(first.map((r) => ids(r)));
    expect(graphRequests(f, 'alerts_v2')).toHaveLength(1);
    t += 1;
    f.addAlerts(manyV2(1, IP).map((a) => ({ ...a, id: 'new-one' })));
    const third = await all();
    expect(graphRequests(f, 'alerts_v2')).toHaveLength(2);
    expect(ids(third[1]!)).toContain('new-one');
  });

  it('pages are read as far as the furthest reader needs, once', async () => {
    const f = await fake({ alerts: manyV2(20, IP), legacyAlerts: [] });
    const g = relay(f, { legacyAlerts: false, v2CacheMs: 30_000, v2PageSize: 4 });
    const [a, b] = await Promise.all([1, 10].map((limit) => g.observe({ type: 'ip', value: IP }, { credentials: CREDS, limit })));
    expect([a!.sightings.length, b!.sightings.length]).toEqual([1, 10]);
    expect(graphRequests(f, 'alerts_v2')).toHaveLength(3);
  });

  it('a failed read is not reused', async () => {
    const f = await fake({ faults: { serverErrors: 1, serverErrorsOn: 'alerts' } });
    const g = relay(f, { legacyAlerts: false, v2CacheMs: 30_000 });
    expect((await g.observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100 })).errors.map((e) => e.code)).toEqual(['service unavailable']);
    const r = await g.observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([]);
    expect(ids(r)).toHaveLength(2);
  });

  it('a nextLink to another origin is not followed (the token stays home); what was read stays', async () => {
    const f = await fake({ alerts: manyV2(6, IP), legacyAlerts: manyLegacy(6, IP), maxPageSize: 4 });
    const asked: string[] = [];
    const rewriting: typeof fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      asked.push(new URL(url).origin);
      const res = await trusting(input, init);
      if (!url.includes('/security/')) return res;
      const body = (await res.json()) as Record<string, unknown>;
      if (typeof body['@odata.nextLink'] === 'string') body['@odata.nextLink'] = String(body['@odata.nextLink']).replace(f.url, 'https://graph.attacker.example');
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const r = await relay(f, { fetch: rewriting, v2PageSize: 4 }).observe({ type: 'ip', value: IP }, { credentials: CREDS, limit: 100 });
    expect(r.sightings).toHaveLength(8);
    expect(r.errors).toEqual([
      { type: 'fatal', code: 'unknown', message: expect.stringMatching(/alerts_v2.*next link outside graph_url/) },
      { type: 'fatal', code: 'unknown', message: expect.stringMatching(/alerts\b.*next link outside graph_url/) },
    ]);
    expect(new Set(asked)).toEqual(new Set([f.url]));
  });
});

describe('errors per API, reported, never thrown', () => {
  const IP = { type: 'ip', value: ATTACKER_IP } as const;

  it('404 is no sightings, not an error', async () => {
    const f = await fake();
    f.faults.notFound = 1;
    f.faults.notFoundOn = 'legacyAlerts';
    const r = await relay(f).observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([]);
    expect(ids(r)).toEqual([V2_IDENTITY.id, V2_DEVICE.id]);
    f.faults.notFound = 2;
    f.faults.notFoundOn = 'all';
    expect(await relay(f).observe(IP, { credentials: CREDS, limit: 100 })).toEqual({ sightings: [], errors: [] });
  });

  it('429 → too many requests for that API, the other still answers (partial)', async () => {
    const f = await fake({ faults: { rateLimited: 1, rateLimitedOn: 'legacyAlerts', retryAfterSeconds: 30 } });
    const r = await relay(f, { retryAfterMaxMs: 2000 }).observe(IP, { credentials: CREDS, limit: 100 });
    expect(ids(r)).toEqual([V2_IDENTITY.id, V2_DEVICE.id]);
    expect(r.errors).toEqual([{ type: 'fatal', code: 'too many requests', message: expect.stringMatching(/\/security\/alerts.*Retry-After 30 s/) }]);
  });

  it('after a 429, that API answers too many requests until its Retry-After has passed, without asking Graph', async () => {
    let t = T0;
    const f = await fake({ faults: { rateLimited: 1, rateLimitedOn: 'legacyAlerts', retryAfterSeconds: 30 } });
    const g = relay(f, { now: () => t });
    expect((await g.observe(IP, { credentials: CREDS, limit: 100 })).errors.map((e) => e.code)).toEqual(['too many requests']);
    expect(graphRequests(f, 'alerts')).toHaveLength(1);
    t += 10_000;
    const later = await g.observe({ type: 'domain', value: C2_DOMAIN }, { credentials: CREDS, limit: 100 });
    expect(later.errors).toEqual([{ type: 'fatal', code: 'too many requests', message: 'Too many requests to Microsoft Graph /security/alerts have been made (Retry-After 20 s). Please try again later.' }]);
    // alerts_v2 was not throttled and still answers.
    expect(ids(later)).toEqual([V2_IDENTITY.id]);
    expect(graphRequests(f, 'alerts')).toHaveLength(1);
    t += 20_000;
    const after = await g.observe(IP, { credentials: CREDS, limit: 100 });
    expect(after.errors).toEqual([]);
    expect(graphRequests(f, 'alerts')).toHaveLength(2);
  });

  it('a short Retry-After is waited out once, then the page is read', async () => {
    const waits: number[] = [];
    const f = await fake({ faults: { rateLimited: 1, rateLimitedOn: 'alerts', retryAfterSeconds: 1 } });
    const r = await relay(f, { retryAfterMaxMs: 2000, sleep: async (ms) => void waits.push(ms) }).observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([]);
    expect(ids(r)).toHaveLength(4);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[0]).toBeLessThanOrEqual(1000);
  });

  it('a second 429 is reported, not waited out again', async () => {
    const waits: number[] = [];
    const f = await fake({ faults: { rateLimited: 2, rateLimitedOn: 'alerts', retryAfterSeconds: 1 } });
    const r = await relay(f, { retryAfterMaxMs: 2000, sleep: async (ms) => void waits.push(ms) }).observe(IP, { credentials: CREDS, limit: 100 });
    expect(waits).toHaveLength(1);
    expect(r.errors.map((e) => e.code)).toEqual(['too many requests']);
    expect(ids(r)).toEqual([LEGACY_SIGN_IN.id, LEGACY_FIREWALL.id]);
  });

  it('503 → service unavailable for that API, the other still answers', async () => {
    const f = await fake({ faults: { serverErrors: 1, serverErrorsOn: 'alerts' } });
    const r = await relay(f).observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([{ type: 'fatal', code: 'service unavailable', message: 'Microsoft Graph /security/alerts_v2 is temporarily unavailable. Please try again later.' }]);
    expect(ids(r)).toEqual([LEGACY_SIGN_IN.id, LEGACY_FIREWALL.id]);
  });

  it('another status → unknown, naming it', async () => {
    const f = await fake({ faults: { serverErrors: 1, serverErrorsOn: 'legacyAlerts', serverErrorStatus: 500 } });
    const r = await relay(f).observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([{ type: 'fatal', code: 'unknown', message: expect.stringMatching(/^Unexpected response 500 from Microsoft Graph \/security\/alerts: /) }]);
  });

  it('403 → permission denied, naming the permission', async () => {
    const f = await fake();
    f.denyPermissions('SecurityAlert.Read.All');
    const r = await relay(f).observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.sightings).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual(['permission denied', 'permission denied']);
    expect(r.errors[0]!.message).toMatch(/SecurityAlert\.Read\.All/);
  });

  it('a 401 on a cached token is refreshed once and the request retried', async () => {
    const f = await fake();
    const g = relay(f);
    await g.observe(IP, { credentials: CREDS, limit: 100 });
    expect(f.tokensIssued).toBe(1);
    f.revokeTokens();
    const r = await g.observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([]);
    expect(ids(r)).toHaveLength(4);
    expect(f.tokensIssued).toBe(2);
  });

  it('a 401 that survives the refresh → authorization error, without the secret or the token', async () => {
    const f = await fake();
    const g = relay(f, { legacyAlerts: false });
    await g.observe(IP, { credentials: CREDS, limit: 100 });
    f.faults.unauthorized = 10;
    const r = await g.observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.sightings).toEqual([]);
    expect(r.errors).toEqual([{ type: 'fatal', code: 'authorization error', message: expect.stringMatching(/^Authorization failed: Microsoft Graph \/security\/alerts_v2: .*401/) }]);
    // One refresh, not a loop.
    expect(f.tokensIssued).toBe(2);
    expect(graphRequests(f, 'alerts_v2').filter((q) => q.status === 401)).toHaveLength(2);
    expectNoCredentials(f, r);
  });

  it('a refused grant → authorization error naming the key, never the secret', async () => {
    const f = await fake();
    const wrong = { ...CREDS, client_secret: 'Wr0ng~secret-value-123' };
    const r = await relay(f).observe(IP, { credentials: wrong, limit: 100 });
    expect(r).toEqual({ sightings: [], errors: [{ type: 'fatal', code: 'authorization error', message: expect.stringMatching(/^Authorization failed: .*client_secret/) }] });
    expect(JSON.stringify(r)).not.toContain('Wr0ng~secret-value-123');
    expect(graphRequests(f, 'alerts_v2')).toHaveLength(0);
  });

  it('a wrong secret never rides the token cached for the right one', async () => {
    const f = await fake();
    const g = relay(f);
    expect((await g.observe(IP, { credentials: CREDS, limit: 100 })).errors).toEqual([]);
    const r = await g.observe(IP, { credentials: { ...CREDS, client_secret: 'guess-guess-guess' }, limit: 100 });
    expect(r.errors.map((e) => e.code)).toEqual(['authorization error']);
  });

  it('credentials of another tenant get their own token', async () => {
    const f = await fake({ tenantDomain: 'contoso.onmicrosoft.com' });
    const g = relay(f);
    await g.observe(IP, { credentials: CREDS, limit: 1 });
    await g.observe(IP, { credentials: { ...CREDS, tenant_id: 'contoso.onmicrosoft.com' }, limit: 1 });
    await g.observe(IP, { credentials: CREDS, limit: 1 });
    expect(f.tokensIssued).toBe(2);
  });

  it('Entra down → service unavailable; Graph unreachable → connection error', async () => {
    const f = await fake({ faults: { tokenServerErrors: 1 } });
    const r = await relay(f).observe(IP, { credentials: CREDS, limit: 100 });
    expect(r.errors.map((e) => e.code)).toEqual(['service unavailable']);

    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r2 = await relay(f, { graphUrl: `http://127.0.0.1:${port}` }).observe(IP, { credentials: CREDS, limit: 100 });
    expect(r2.errors.map((e) => e.code)).toEqual(['connection error', 'connection error']);
  });
});

describe('inputs', () => {
  it('a type Graph has nothing for asks nothing; a limit that is not a number is the default', async () => {
    const f = await fake();
    const g = relay(f);
    expect(await g.observe({ type: 'md5' as never, value: 'x' }, { credentials: CREDS, limit: 100 })).toEqual({ sightings: [], errors: [] });
    expect(f.requests).toHaveLength(0);
    const r = await g.observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: Number.NaN });
    expect(r.sightings).toHaveLength(4);
    expect(graphRequests(f, 'alerts')[0]!.query.$top).toBe('100');
    await g.observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 0 });
    expect(graphRequests(f, 'alerts')[1]!.query.$top).toBe('1');
  });

  it('an aborted request is reported, never thrown', async () => {
    const f = await fake();
    const g = relay(f);
    await g.observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 1 });
    const r = await g.observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100, signal: AbortSignal.abort() });
    expect(r.sightings).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual(['connection error', 'connection error']);
  });
});

describe('TLS', () => {
  it('the fake is HTTPS, and a certificate the client does not trust is a connection error, not a sighting', async () => {
    const f = await fake();
    expect(f.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await createGraphSightings({ graphUrl: f.url, loginUrl: f.loginUrl, legacyAlerts: true, now: () => T0 }).observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100 });
    expect(r.sightings).toEqual([]);
    expect(r.errors).toEqual([{ type: 'fatal', code: 'connection error', message: expect.stringMatching(/Microsoft Entra token endpoint.*(SELF_SIGNED|UNABLE_TO|CERT)/) }]);
    expect(f.tokensIssued).toBe(0);
  });
});

describe('health', () => {
  it('gets a token and reads one alert', async () => {
    const f = await fake();
    expect(await relay(f).health({ credentials: CREDS })).toBeUndefined();
    expect(graphRequests(f, 'alerts_v2').at(-1)!.query).toEqual({ $top: '1' });
  });

  it('reports what fails', async () => {
    const f = await fake();
    expect(await relay(f).health({ credentials: { ...CREDS, application_id: '00000000-0000-0000-0000-000000000000' } })).toMatchObject({ type: 'fatal', code: 'authorization error', message: expect.stringMatching(/client_id/) });
    f.faults.serverErrors = 1;
    expect(await relay(f).health({ credentials: CREDS })).toMatchObject({ code: 'service unavailable' });
    f.denyPermissions('SecurityAlert.Read.All');
    expect(await relay(f).health({ credentials: CREDS })).toMatchObject({ code: 'permission denied' });
  });
});

describe('hostile records', () => {
  /** Records of every wrong shape JSON allows, where alerts and evidence entries belong. */
  const JUNK: unknown[] = [42, null, 'alert', ['a', 'b'], true, {}];
  const badType = (t: unknown) => ({ '@odata.type': t, ipAddress: ATTACKER_IP, url: C2_URL, userAccount: { userPrincipalName: VICTIM_UPN } });
  const HOSTILE_V2 = {
    ...V2_IDENTITY,
    id: 'hostile-v2',
    lastUpdateDateTime: '2026-03-02T06:10:00.0000000Z',
    title: 42,
    severity: ['high'],
    alertWebUrl: { href: 'x' },
    // Evidence whose type is not a string never matches, and never stops the read.
    evidence: [badType(42), badType(null), badType(['#microsoft.graph.security.ipEvidence']), badType({}), null, 7, [1, 2], 'ipEvidence'],
  } as unknown as GraphAlert;
  const ODD_BUT_MATCHING = {
    ...V2_IDENTITY,
    id: 'odd-v2',
    lastUpdateDateTime: '2026-03-02T06:07:00.0000000Z',
    createdDateTime: 12,
    firstActivityDateTime: [],
    evidence: [badType(7), { '@odata.type': '#microsoft.graph.security.deviceEvidence', hostName: 5, ipInterfaces: [null, 3], loggedOnUsers: 'nobody' }, ...V2_IDENTITY.evidence!],
  } as unknown as GraphAlert;
  const HOSTILE_LEGACY = {
    ...LEGACY_SIGN_IN,
    id: 'hostile-legacy',
    eventDateTime: '2026-03-02T06:30:00.0000000Z',
    title: 7,
    severity: {},
    confidence: 'very',
    vendorInformation: [1],
    hostStates: 'nope',
    fileStates: [null, 3, ['x'], { fileHash: 'sha' }],
    userStates: 5,
    sourceMaterials: { url: 'x' },
  } as unknown as (typeof LEGACY_ALERTS)[number];

  /** The fake's answers with junk added to each page's value array, as a broken or hostile server might send. */
  const junkFetch: typeof fetch = async (input, init) => {
    const res = await trusting(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (!/\/security\/alerts/.test(url) || res.status !== 200) return res;
    const body = (await res.json()) as { value: unknown[] };
    body.value = [...JUNK, ...body.value, ...JUNK];
    return new Response(JSON.stringify(body), { status: 200, headers: res.headers });
  };

  it('skips records and evidence of the wrong shape in both APIs, and answers the rest', async () => {
    const f = await fake({ alerts: [HOSTILE_V2, ODD_BUT_MATCHING, V2_IDENTITY], legacyAlerts: [HOSTILE_LEGACY, LEGACY_SIGN_IN] });
    const r = await relay(f, { fetch: junkFetch }).observe({ type: 'ip', value: ATTACKER_IP }, { credentials: CREDS, limit: 100 });
    expect(r.errors).toEqual([]);
    expect(ids(r)).toEqual(['odd-v2', V2_IDENTITY.id, 'hostile-legacy', LEGACY_SIGN_IN.id]);
    const odd = r.sightings[0]!;
    // Times that are not strings fall back (to the last update); the device with no usable values is no target.
    expect(odd.timestamp).toBe('2026-03-02T06:07:00.0000000Z');
    expect(odd.targets).toEqual([]);
    expect(r.sightings[2]).toMatchObject({ severity: 'Unknown', confidence: 'Unknown', targets: [], relations: [{ relation: 'Connected_To' }] });
    expect(r.sightings[2]!.title).toBeUndefined();
    // The same junk for the other evidence kinds.
    for (const o of [{ type: 'url', value: C2_URL }, { type: 'email', value: VICTIM_UPN }, { type: 'file_name', value: 'mimikatz.exe' }, { type: 'hostname', value: 'x' }] as Observable[]) {
      const other = await relay(f, { fetch: junkFetch }).observe(o, { credentials: CREDS, limit: 100 });
      expect(other.errors, o.type).toEqual([]);
      expect(ids(other), o.type).not.toContain('hostile-v2');
    }
  });
});
