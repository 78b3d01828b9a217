/** The Entra streams beyond interactive sign-ins (every sign-in kind, directory audits, Identity Protection), read through the Graph SDK from the fake into SQLite. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Secret, type Finding, type SecurityEvent, type Store } from '../../core/index.js';
import { BUILTIN_RULES_DIR } from '../../detection/sigma/config.js';
import { SigmaEngine } from '../../detection/sigma/engine.js';
import { loadRuleDirs } from '../../detection/sigma/loader.js';
import { FIRST_PARTY_APPS, signInRecord, type GraphSignIn } from '../../fakes/microsoft-graph/records.js';
import {
  asSignInKind,
  generateDirectoryAudits,
  generateRiskDetections,
  generateRiskyUsers,
  generateSignIns,
  generateUsers,
  seededRandom,
  startFakeGraph,
  type FakeGraph,
  type FakeGraphOptions,
} from '../../fakes/microsoft-graph/server.js';
import { silentLogger, type Logger } from '../../log.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { microsoftGraphConfigSchema, type MicrosoftGraphConfigInput, type StreamName } from './config.js';
import { normalizeRecord } from './normalize.js';
import { createGraphSdk } from './client.js';
import { decodeCursor } from './poller.js';
import { createMicrosoftGraphSource } from './source.js';

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Xy8Q~fake-client-secret-0123456789';
const HOUR = 3_600_000;
/** A Monday morning. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-entra-'));
let dbNo = 0;
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function rig(data: Omit<FakeGraphOptions, 'tenantId' | 'clientId' | 'clientSecret'>, config: Partial<MicrosoftGraphConfigInput>, opts: { fetch?: typeof fetch; logger?: Logger } = {}) {
  const fake = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, ...data });
  open.push(fake);
  const now = () => T0;
  const store = await openStore({ dialect: 'sqlite', path: join(tmp, `db-${++dbNo}.sqlite`), now });
  open.push(store);
  const pipeline = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now });
  const sleeps: number[] = [];
  const source = createMicrosoftGraphSource(
    'graph',
    microsoftGraphConfigSchema.parse({ tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, base_url: fake.url, login_url: fake.loginUrl, page_size: 10, window: '1d', ...config }),
    { now, once: true, logger: opts.logger ?? silentLogger, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...(opts.fetch ? { fetch: opts.fetch } : {}) },
  );
  const run = () => pipeline.ingest(source);
  return { fake, store, sleeps, run };
}

const idOf = (stream: StreamName, raw: unknown): string => {
  const r = normalizeRecord(stream, raw, iso(T0));
  if (!r.ok) throw new Error(r.reason);
  return r.event.event.id;
};

async function storedIds(store: Store): Promise<string[]> {
  return (await store.queryEvents({ limit: 10_000 })).map((e) => e.event.id).sort();
}

const graphCalls = (f: FakeGraph, path: string) => f.requests.filter((q) => q.path.endsWith(path) && q.method === 'GET');

describe('Entra sign-ins of every kind', () => {
  it('reads every sign-in kind from beta by signInEventTypes, interactive included, each once, workloads included', async () => {
    const base = generateSignIns({ count: 40, start: T0 - 10 * HOUR, spanMs: 8 * HOUR, seed: 21, failureRate: 0 });
    const interactive = base.slice(0, 10);
    const nonInteractive = base.slice(10, 25).map((s) => asSignInKind(s, 'nonInteractiveUser'));
    const sp = base.slice(25, 35).map((s) => asSignInKind(s, 'servicePrincipal', { id: '3e9b2f61-7c4d-4a8e-b015-6d2c9f8e7a43', name: 'Contoso Payroll Sync' }));
    const mi = base.slice(35).map((s) => asSignInKind(s, 'managedIdentity'));
    const streams = ['sign_ins', 'non_interactive_sign_ins', 'service_principal_sign_ins', 'managed_identity_sign_ins'] as const;
    const { fake, store, run } = await rig({ signIns: [...interactive, ...nonInteractive, ...sp, ...mi] }, { streams: [...streams] });
    const stats = await run();
    expect(stats).toMatchObject({ inserted: 40, duplicates: 0, deadLetters: 0 });
    expect(await storedIds(store)).toEqual([...interactive, ...nonInteractive, ...sp, ...mi].map((s) => idOf('sign_ins', s)).sort());
    const calls = graphCalls(fake, '/auditLogs/signIns').filter((q) => q.query.$skiptoken === undefined);
    expect(calls.map((q) => q.path)).toEqual(['/beta/auditLogs/signIns', '/beta/auditLogs/signIns', '/beta/auditLogs/signIns', '/beta/auditLogs/signIns']);
    const from = iso(T0 - 24 * HOUR);
    expect(calls[0]!.query.$filter).toBe(`createdDateTime ge ${from} and createdDateTime le ${iso(T0)} and signInEventTypes/any(t: t eq 'interactiveUser')`);
    expect(calls[1]!.query.$filter).toBe(`createdDateTime ge ${from} and createdDateTime le ${iso(T0)} and signInEventTypes/any(t: t eq 'nonInteractiveUser')`);
    expect(calls[2]!.query.$filter).toMatch(/signInEventTypes\/any\(t: t eq 'servicePrincipal'\)$/);
    // Paged at 10: the 15 non-interactive sign-ins took a nextLink, which stayed on beta.
    expect(graphCalls(fake, '/auditLogs/signIns').filter((q) => q.query.$skiptoken !== undefined).map((q) => q.path)).toEqual(['/beta/auditLogs/signIns']);
    const workloads = (await store.queryEvents({ limit: 100 })).filter((e) => e.user?.kind === 'service_principal');
    expect(workloads).toHaveLength(10);
    expect(workloads[0]!.user).toEqual({ kind: 'service_principal', id: '3e9b2f61-7c4d-4a8e-b015-6d2c9f8e7a43', name: 'Contoso Payroll Sync' });
    const cursor = decodeCursor(await store.getCursor('graph'));
    for (const s of streams) expect(cursor[s]).toBe(iso(T0));
  });
});

/** Findings of the built-in pack over `events`, in time order, as `[rule, entity]`. */
function builtinFindings(events: SecurityEvent[]): Array<[string, string]> {
  const engine = new SigmaEngine(loadRuleDirs([BUILTIN_RULES_DIR]));
  const findings: Finding[] = [];
  for (const e of [...events].sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']))) findings.push(...engine.observe(e));
  findings.push(...engine.flush({ final: true }));
  return findings.map((f) => [f.rule, f.entity.value]);
}

describe('interactive sign-in techniques (ROPC, device code, one session from two countries) reach the rules', () => {
  // Written from the beta signIn resource: an interactive sign-in carries its protocol and how its
  // authentication was transferred (authenticationProtocol, originalTransferMethod), which v1.0 does not serve.
  const users = generateUsers({ count: 4, seed: 61 });
  const exchange = FIRST_PARTY_APPS.find((a) => a[1] === 'Office 365 Exchange Online')!;
  const r = seededRandom(62);
  const ropc: GraphSignIn = {
    ...signInRecord(r, { user: users[0]!, createdMs: T0 - 3 * HOUR, app: exchange, clientAppUsed: 'Mobile Apps and Desktop clients' }),
    signInEventTypes: ['interactiveUser'],
    authenticationProtocol: 'ropc',
    originalTransferMethod: 'none',
    incomingTokenType: 'none',
  };
  const deviceCode: GraphSignIn = {
    ...signInRecord(r, { user: users[1]!, createdMs: T0 - 2 * HOUR, app: FIRST_PARTY_APPS[0]!, clientAppUsed: 'Mobile Apps and Desktop clients' }),
    signInEventTypes: ['interactiveUser'],
    authenticationProtocol: 'deviceCode',
    originalTransferMethod: 'deviceCodeFlow',
    incomingTokenType: 'none',
  };
  const plain: GraphSignIn = { ...signInRecord(r, { user: users[2]!, createdMs: T0 - HOUR, app: FIRST_PARTY_APPS[0]!, clientAppUsed: 'Browser' }), signInEventTypes: ['interactiveUser'], authenticationProtocol: 'none' };
  // One session token used from Seattle, then 20 minutes later from Lagos: what sessionId ties together.
  const session = '5e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b';
  const seattle = { city: 'Seattle', state: 'Washington', countryOrRegion: 'US', geoCoordinates: { altitude: null, latitude: 47.6062, longitude: -122.3321 } };
  const lagos = { city: 'Lagos', state: 'Lagos', countryOrRegion: 'NG', geoCoordinates: { altitude: null, latitude: 6.4531, longitude: 3.3958 } };
  const inSession = (createdMs: number, ip: string, location: typeof seattle): GraphSignIn => ({
    ...signInRecord(r, { user: users[3]!, createdMs, app: FIRST_PARTY_APPS[0]!, clientAppUsed: 'Browser' }),
    signInEventTypes: ['interactiveUser'],
    authenticationProtocol: 'none',
    ipAddress: ip,
    location,
    sessionId: session,
    incomingTokenType: 'primaryRefreshToken',
  });
  const replay = [inSession(T0 - 90 * 60_000, '198.51.100.23', seattle), inSession(T0 - 70 * 60_000, '203.0.113.54', lagos)];
  const all = [ropc, deviceCode, plain, ...replay];
  const techniques = (got: Array<[string, string]>) => got.filter(([rule]) => /ropc-sign-in|device-code-sign-in|session-distant-ips/.test(rule)).map(([rule, v]) => [rule, v.toLowerCase()]).sort();
  const expected = [
    ['rules/microsoft-graph/device-code-sign-in', users[1]!.userPrincipalName.toLowerCase()],
    ['rules/microsoft-graph/ropc-sign-in', users[0]!.userPrincipalName.toLowerCase()],
    ['rules/microsoft-graph/session-distant-ips', session],
  ];

  it('the sign_ins stream reads them from beta with their protocol, and the built-in rules match', async () => {
    const { fake, store, run } = await rig({ signIns: all }, { streams: ['sign_ins'] });
    expect(await run()).toMatchObject({ inserted: 5, deadLetters: 0 });
    const events = await store.queryEvents({ limit: 100 });
    const protocol = (s: GraphSignIn) => events.find((e) => e.event.id === idOf('sign_ins', s))?.labels?.authentication_protocol;
    expect([protocol(ropc), protocol(deviceCode), protocol(plain)]).toEqual(['ropc', 'deviceCode', 'none']);
    expect(techniques(builtinFindings(events))).toEqual(expected);
    expect(graphCalls(fake, '/auditLogs/signIns').map((q) => q.path)).toEqual(['/beta/auditLogs/signIns']);
  });

  it('read from v1.0 (the old path), the same sign-ins lack the beta-only properties and match none of these rules', async () => {
    const fake = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, signIns: all });
    open.push(fake);
    const { sdk } = createGraphSdk({ graphUrl: fake.url, loginUrl: fake.loginUrl, tenantId: TENANT, clientId: CLIENT, clientSecret: new Secret(SECRET) });
    const page = (await sdk.api('/auditLogs/signIns').version('v1.0').filter(`createdDateTime ge ${iso(T0 - 24 * HOUR)} and createdDateTime le ${iso(T0)}`).top(10).get()) as { value: Array<Record<string, unknown>> };
    expect(page.value).toHaveLength(5);
    for (const rec of page.value) {
      for (const beta of ['authenticationProtocol', 'originalTransferMethod', 'incomingTokenType', 'sessionId', 'signInEventTypes', 'userAgent']) expect(rec).not.toHaveProperty(beta);
      expect(rec).toHaveProperty('clientAppUsed');
    }
    const events = page.value.map((raw) => {
      const n = normalizeRecord('sign_ins', raw, iso(T0));
      if (!n.ok) throw new Error(n.reason);
      return n.event;
    });
    expect(events.filter((e) => e.labels?.authentication_protocol !== undefined || e.labels?.session_id !== undefined)).toEqual([]);
    expect(techniques(builtinFindings(events))).toEqual([]);
  });
});

describe('directory audits and Identity Protection', () => {
  it('pages directory audits with @odata.nextLink, filtering activityDateTime with ge/le as Graph documents', async () => {
    const audits = generateDirectoryAudits({ count: 23, start: T0 - 6 * HOUR, spanMs: 5 * HOUR, seed: 31 });
    const { fake, store, run } = await rig({ directoryAudits: audits }, { streams: ['directory_audits'] });
    expect(await run()).toMatchObject({ inserted: 23, deadLetters: 0 });
    expect(await storedIds(store)).toEqual(audits.map((a) => idOf('directory_audits', a)).sort());
    const calls = graphCalls(fake, '/auditLogs/directoryAudits');
    expect(calls).toHaveLength(3);
    expect(calls[0]!.query).toEqual({ $filter: `activityDateTime ge ${iso(T0 - 24 * HOUR)} and activityDateTime le ${iso(T0)}`, $top: '10' });
    expect(calls.slice(1).every((q) => q.query.$skiptoken !== undefined && q.status === 200)).toBe(true);
  });

  it('rides out 429s on risk detections honouring Retry-After, and caps $top at the 500 Identity Protection takes', async () => {
    const detections = generateRiskDetections({ count: 12, start: T0 - 3 * HOUR, spanMs: 2 * HOUR, seed: 41 });
    const { fake, store, sleeps, run } = await rig({ riskDetections: detections, faults: { rateLimited: 2, retryAfterSeconds: 4, rateLimitedOn: 'riskDetections' } }, { streams: ['risk_detections'], page_size: 1000 });
    expect(await run()).toMatchObject({ inserted: 12 });
    expect(await storedIds(store)).toEqual(detections.map((d) => idOf('risk_detections', d)).sort());
    expect(sleeps).toEqual([4000, 4000]);
    const calls = graphCalls(fake, '/identityProtection/riskDetections');
    expect(calls.map((q) => q.status)).toEqual([429, 429, 200]);
    expect(calls[2]!.query.$top).toBe('500');
    expect(calls[2]!.query.$filter).toMatch(/^detectedDateTime ge .* and detectedDateTime le /);
  });

  it('reads each version of a risky user as its own event', async () => {
    const users = generateRiskyUsers({ count: 6, start: T0 - 4 * HOUR, spanMs: 3 * HOUR, seed: 51 });
    // The first user's risk rose again an hour later: a new version of the same record.
    const again = { ...users[0]!, riskLevel: 'high' as const, riskLastUpdatedDateTime: new Date(T0 - HOUR).toISOString() };
    const { store, run } = await rig({ riskyUsers: [...users, again] }, { streams: ['risky_users'], page_size: 4 });
    expect(await run()).toMatchObject({ inserted: 7 });
    const events = await store.queryEvents({ limit: 100 });
    expect(events.filter((e) => e.user?.id === users[0]!.id).map((e) => e.labels?.risk_level).sort()).toEqual([users[0]!.riskLevel, 'high'].sort());
  });

  it('skips a stream whose permission is refused, says which one to grant, and stops only when every stream is refused', async () => {
    const users = generateRiskyUsers({ count: 2, start: T0 - HOUR, seed: 52 });
    const signIns = generateSignIns({ count: 4, start: T0 - 3 * HOUR, seed: 53 });
    const logged: Array<Record<string, any>> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const { fake, store, run } = await rig({ riskyUsers: users, signIns }, { streams: ['risky_users', 'sign_ins'] }, { logger });
    fake.denyPermissions('IdentityRiskyUser.Read.All');
    expect(await run()).toMatchObject({ inserted: 4 });
    const warned = logged.filter((l) => l.stream === 'risky_users');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.err).toMatchObject({ retryable: false, details: { status: 403 } });
    expect(warned[0]!.err.message).toMatch(/IdentityRiskyUser\.Read\.All.*risky_users/);
    const cursor = decodeCursor(await store.getCursor('graph'));
    expect(cursor.risky_users).toBeUndefined();
    expect(cursor.sign_ins).toBe(iso(T0));

    const alone = await rig({ riskyUsers: users }, { streams: ['risky_users'] });
    alone.fake.denyPermissions('IdentityRiskyUser.Read.All');
    const err = await alone.run().catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: false, details: { status: 403 } });
    expect((err as Error).message).toMatch(/IdentityRiskyUser\.Read\.All.*risky_users/);
  });

  it('reads sign-ins on when directory audits answer 403, and keeps the audits place', async () => {
    const audits = generateDirectoryAudits({ count: 5, start: T0 - 3 * HOUR, seed: 63 });
    const signIns = generateSignIns({ count: 5, start: T0 - 3 * HOUR, seed: 64 });
    let refuse = true;
    // A tenant without Entra ID P1 is refused the audit log with this answer.
    const refusing: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (refuse && url.includes('/auditLogs/directoryAudits')) {
        return new Response(JSON.stringify({ error: { code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', message: 'Neither tenant is B2C or tenant doesn\'t have premium license', innerError: { 'request-id': '5e8b2c4a-1f3d-4a6b-9c7e-2d1f0a9b8c7d' } } }), { status: 403, headers: { 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    };
    const { store, run } = await rig({ directoryAudits: audits, signIns }, { streams: ['directory_audits', 'sign_ins'] }, { fetch: refusing });
    expect(await run()).toMatchObject({ inserted: 5 });
    expect(await storedIds(store)).toEqual(signIns.map((s) => idOf('sign_ins', s)).sort());
    const cursor = decodeCursor(await store.getCursor('graph'));
    expect(cursor.directory_audits).toBeUndefined();
    expect(cursor.sign_ins).toBe(iso(T0));
    refuse = false;
    await run();
    expect(await store.countEvents()).toBe(10);
  });

  it('stops every stream when Graph refuses the access token itself', async () => {
    const refusing: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.includes('/auditLogs/')) {
        return new Response(JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure. Invalid audience.' } }), { status: 401, headers: { 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    };
    const { store, run } = await rig({ directoryAudits: generateDirectoryAudits({ count: 2, start: T0 - HOUR, seed: 65 }), signIns: generateSignIns({ count: 2, start: T0 - HOUR, seed: 66 }) }, { streams: ['directory_audits', 'sign_ins'] }, { fetch: refusing });
    const err = await run().catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: false, details: { status: 401 } });
    expect(await store.countEvents()).toBe(0);
  });

  it('lets the other streams carry on while directory audits are down, and keeps the audits place', async () => {
    const audits = generateDirectoryAudits({ count: 5, start: T0 - 3 * HOUR, seed: 61 });
    const signIns = generateSignIns({ count: 5, start: T0 - 3 * HOUR, seed: 62 });
    const { fake, store, run } = await rig({ directoryAudits: audits, signIns, faults: { serverErrors: 1_000, serverErrorsOn: 'directoryAudits' } }, { streams: ['directory_audits', 'sign_ins'], retry: { max_attempts: 2 } });
    const err = await run().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', details: { status: 503 } });
    expect(await storedIds(store)).toEqual(signIns.map((s) => idOf('sign_ins', s)).sort());
    const cursor = decodeCursor(await store.getCursor('graph'));
    expect(cursor.directory_audits).toBeUndefined();
    expect(cursor.sign_ins).toBe(iso(T0));
    fake.faults.serverErrors = 0;
    await run();
    expect(await store.countEvents()).toBe(10);
  });
});
