import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/index.js';
import { asSignInKind, directoryUser, generateAlerts, generateDirectoryAudits, generateRiskyUsers, generateReportedMessages, generateSignIns, generateUsers, legacyAlert, startFakeGraph, type FakeGraph, type FakeGraphOptions, type LegacyAlertSpec } from './server.js';

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'fake-secret';
const MAILBOX = 'phish-reports@contoso.com';
const START = Date.parse('2024-05-06T00:00:00Z');
const fakes: FakeGraph[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(opts: Partial<FakeGraphOptions> = {}): Promise<FakeGraph> {
  const f = await startFakeGraph({ tenantId: TENANT, tenantDomain: 'contoso.onmicrosoft.com', clientId: CLIENT, clientSecret: SECRET, ...opts });
  fakes.push(f);
  return f;
}

async function tokenRequest(f: FakeGraph, form: Record<string, string>, tenant = TENANT) {
  const res = await fetch(`${f.loginUrl}/${tenant}/oauth2/v2.0/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: res.status, json: (await res.json()) as any };
}

const grant = { client_id: CLIENT, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' };

async function token(f: FakeGraph): Promise<string> {
  return (await tokenRequest(f, grant)).json.access_token;
}

async function get(f: FakeGraph, pathOrUrl: string, bearer?: string, headers: Record<string, string> = {}) {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${f.url}${pathOrUrl}`;
  const res = await fetch(url, { headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), 'client-request-id': 'c0ffee00-0000-4000-8000-000000000000', ...headers } });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe('generators', () => {
  it('make distinct, realistic, seeded records', () => {
    const signIns = generateSignIns({ count: 300, start: START, spanMs: 6 * 3_600_000, seed: 4 });
    expect(new Set(signIns.map(canonicalJson)).size).toBe(300);
    expect(generateSignIns({ count: 300, start: START, spanMs: 6 * 3_600_000, seed: 4 })).toEqual(signIns);
    const codes = new Set(signIns.map((s) => s.status!.errorCode));
    expect(codes.has(0) && codes.has(50126)).toBe(true);
    for (const s of signIns) {
      expect(s.createdDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(s.userPrincipalName).toMatch(/^[a-z]+\.[a-z]+@contoso\.com$/);
      expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(s).toMatchObject({ appDisplayName: expect.any(String), ipAddress: expect.any(String), conditionalAccessStatus: expect.any(String), location: { countryOrRegion: expect.any(String) } });
    }
    const alerts = generateAlerts({ count: 20, start: START, seed: 2 });
    expect(alerts[0]!.evidence?.[0]).toMatchObject({ '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { userPrincipalName: expect.stringMatching(/@contoso\.com$/) } });
    const reports = generateReportedMessages({ count: 9, start: START, mailbox: MAILBOX, seed: 3 });
    expect(reports.map((m) => m.hasAttachments)).toEqual([true, true, false, true, true, false, true, true, false]);
    expect(reports[1]!.subject).toMatch(/^3\|[0-9a-f-]{36}\|192\.0\.2\.\d+\|[^|]+@[^|]+\|\(.+\)$/);
    expect(reports[0]!.attachments?.[0]).toMatchObject({ '@odata.type': '#microsoft.graph.itemAttachment', item: { from: { emailAddress: { address: expect.any(String) } } } });
  });
});

describe('fake Entra token endpoint', () => {
  it('issues a bearer token for the client credentials grant', async () => {
    const f = await fake();
    const r = await tokenRequest(f, grant);
    expect(r).toMatchObject({ status: 200, json: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/) } });
    const claims = JSON.parse(Buffer.from(r.json.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', tid: TENANT, appid: CLIENT, roles: ['AuditLog.Read.All', 'SecurityAlert.Read.All', 'Mail.Read', 'User.Read.All', 'User.EnableDisableAccount.All', 'User.RevokeSessions.All', 'IdentityRiskEvent.Read.All', 'IdentityRiskyUser.Read.All'] });
    // The tenant may be named by a verified domain too.
    expect((await tokenRequest(f, grant, 'contoso.onmicrosoft.com')).status).toBe(200);
  });

  it('refuses with AADSTS errors in Entra\'s shape', async () => {
    const f = await fake();
    const badSecret = await tokenRequest(f, { ...grant, client_secret: 'nope' });
    expect(badSecret).toMatchObject({ status: 401, json: { error: 'invalid_client', error_codes: [7000215], error_description: expect.stringMatching(/^AADSTS7000215: Invalid client secret provided\..*\r\nTrace ID: /s), trace_id: expect.any(String), correlation_id: expect.any(String), timestamp: expect.any(String) } });
    expect(await tokenRequest(f, { ...grant, client_id: '00000000-0000-0000-0000-000000000000' })).toMatchObject({ status: 400, json: { error: 'unauthorized_client', error_codes: [700016] } });
    expect(await tokenRequest(f, grant, 'fabrikam.com')).toMatchObject({ status: 400, json: { error: 'invalid_request', error_codes: [90002] } });
    expect(await tokenRequest(f, { ...grant, scope: 'User.Read' })).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
    expect(await tokenRequest(f, { ...grant, grant_type: 'password' })).toMatchObject({ status: 400, json: { error: 'unsupported_grant_type' } });
    f.faults.tokenServerErrors = 1;
    expect(await tokenRequest(f, grant)).toMatchObject({ status: 503, json: { error: 'temporarily_unavailable' } });
  });
});

describe('fake Graph', () => {
  it('answers 401 with Graph\'s error envelope without a valid bearer token', async () => {
    const f = await fake();
    const none = await get(f, '/v1.0/auditLogs/signIns');
    expect(none).toMatchObject({ status: 401, json: { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.', innerError: { date: expect.any(String), 'request-id': expect.any(String), 'client-request-id': 'c0ffee00-0000-4000-8000-000000000000' } } } });
    expect((await get(f, '/v1.0/auditLogs/signIns', 'made-up')).json.error.code).toBe('InvalidAuthenticationToken');
    const t = await token(f);
    f.revokeTokens();
    expect((await get(f, '/v1.0/auditLogs/signIns', t)).status).toBe(401);
  });

  it('filters sign-ins on createdDateTime, serves newest first and pages with $skiptoken', async () => {
    const signIns = generateSignIns({ count: 50, start: START, spanMs: 5 * 3_600_000, seed: 1 });
    const f = await fake({ signIns });
    const t = await token(f);
    const from = new Date(START + 3_600_000).toISOString();
    const to = new Date(START + 4 * 3_600_000).toISOString();
    const expected = signIns.filter((s) => Date.parse(s.createdDateTime!) >= Date.parse(from) && Date.parse(s.createdDateTime!) <= Date.parse(to));
    const seen: any[] = [];
    // Graph documents eq, ge and le on createdDateTime; lt is refused, as on directory audits.
    expect(await get(f, `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(`createdDateTime ge ${from} and createdDateTime lt ${to}`)}`, t)).toMatchObject({ status: 400 });
    let page = await get(f, `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(`createdDateTime ge ${from} and createdDateTime le ${to}`)}&$top=7`, t);
    seen.push(...page.json.value);
    while (page.json['@odata.nextLink']) {
      expect(page.json['@odata.nextLink']).toMatch(new RegExp(`^${f.url}/v1\\.0/auditLogs/signIns\\?\\$top=7&\\$filter=.*&\\$skiptoken=[\\w-]+$`));
      page = await get(f, page.json['@odata.nextLink'], t);
      seen.push(...page.json.value);
    }
    expect(seen.map((s) => s.id).sort()).toEqual(expected.map((s) => s.id).sort());
    const times = seen.map((s) => Date.parse(s.createdDateTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(page.json['@odata.context']).toMatch(/\$metadata#auditLogs\/signIns$/);
  });

  it('writes late sign-ins once the first listing has been read to its end', async () => {
    const onTime = generateSignIns({ count: 4, start: START + 3_600_000, seed: 1 });
    const late = generateSignIns({ count: 2, start: START, seed: 2 });
    const f = await fake({ signIns: onTime, late: { signIns: late } });
    const t = await token(f);
    let page = await get(f, '/v1.0/auditLogs/signIns?$top=3', t);
    expect(page.json.value).toHaveLength(3);
    page = await get(f, page.json['@odata.nextLink'], t);
    expect(page.json.value).toHaveLength(1);
    const again = await get(f, '/v1.0/auditLogs/signIns', t);
    expect(again.json.value.map((x: any) => x.id).sort()).toEqual([...onTime, ...late].map((x) => x.id).sort());
  });

  it('rejects a bad $filter or $top like Graph', async () => {
    const f = await fake({ signIns: generateSignIns({ count: 5, start: START, seed: 1 }) });
    const t = await token(f);
    expect(await get(f, `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent('userDisplayName eq \'x\'')}`, t)).toMatchObject({ status: 400, json: { error: { code: 'BadRequest', message: expect.stringMatching(/Invalid filter clause/) } } });
    expect(await get(f, '/v1.0/auditLogs/signIns?$top=5000', t)).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/between 1 and 1000/) } } });
    expect(await get(f, '/v1.0/auditLogs/signInz', t)).toMatchObject({ status: 400, json: { error: { message: "Resource not found for the segment 'signInz'." } } });
  });

  it('serves the other sign-in kinds on beta only, by signInEventTypes, and v1.0 the interactive ones', async () => {
    const base = generateSignIns({ count: 6, start: START, seed: 9 });
    const signIns = [base[0]!, base[1]!, asSignInKind(base[2]!, 'nonInteractiveUser'), asSignInKind(base[3]!, 'nonInteractiveUser'), asSignInKind(base[4]!, 'servicePrincipal'), asSignInKind(base[5]!, 'managedIdentity')];
    const f = await fake({ signIns });
    const t = await token(f);
    const ids = (r: { json: { value: Array<{ id: string }> } }) => r.json.value.map((x) => x.id).sort();
    expect(ids(await get(f, '/v1.0/auditLogs/signIns', t))).toEqual([signIns[0]!.id, signIns[1]!.id].sort());
    // beta without the filter is the interactive log too.
    expect(ids(await get(f, '/beta/auditLogs/signIns', t))).toEqual([signIns[0]!.id, signIns[1]!.id].sort());
    const kind = (k: string) => `$filter=${encodeURIComponent(`createdDateTime ge ${new Date(START).toISOString()} and signInEventTypes/any(t: t eq '${k}')`)}`;
    expect(ids(await get(f, `/beta/auditLogs/signIns?${kind('nonInteractiveUser')}`, t))).toEqual([signIns[2]!.id, signIns[3]!.id].sort());
    expect(ids(await get(f, `/beta/auditLogs/signIns?${kind('servicePrincipal')}`, t))).toEqual([signIns[4]!.id]);
    expect(ids(await get(f, `/beta/auditLogs/signIns?${kind('managedIdentity')}`, t))).toEqual([signIns[5]!.id]);
    expect(await get(f, `/v1.0/auditLogs/signIns?${kind('nonInteractiveUser')}`, t)).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/signInEventTypes/) } } });
    expect(await get(f, '/beta/security/alerts', t)).toMatchObject({ status: 400 });
  });

  it('leaves the beta-only sign-in properties out on v1.0 and serves them on beta, interactive kind included', async () => {
    const [base] = generateSignIns({ count: 1, start: START, seed: 12, failureRate: 0 });
    const ropc = { ...base!, signInEventTypes: ['interactiveUser' as const], authenticationProtocol: 'ropc', originalTransferMethod: 'none', incomingTokenType: 'none', sessionId: '3f1c2a9e-5b7d-4e8a-9c6f-0d2b4a8e1f37', uniqueTokenIdentifier: 'mT3kq8ZbQ0ixyWn1VtLpAA' };
    const f = await fake({ signIns: [ropc] });
    const t = await token(f);
    const v1 = await get(f, '/v1.0/auditLogs/signIns', t);
    expect(v1.json['@odata.context']).toMatch(/\/v1\.0\/\$metadata#auditLogs\/signIns$/);
    const served = v1.json.value[0];
    for (const p of ['authenticationProtocol', 'originalTransferMethod', 'incomingTokenType', 'sessionId', 'uniqueTokenIdentifier', 'signInEventTypes', 'userAgent']) expect(served).not.toHaveProperty(p);
    // What v1.0 does document stays: the legacy-auth rule (clientAppUsed) still sees v1.0 records.
    expect(served).toMatchObject({ id: ropc.id, clientAppUsed: ropc.clientAppUsed, ipAddress: ropc.ipAddress, status: { errorCode: 0 }, location: ropc.location });
    const interactive = `$filter=${encodeURIComponent(`createdDateTime ge ${new Date(START).toISOString()} and signInEventTypes/any(t: t eq 'interactiveUser')`)}`;
    const beta = await get(f, `/beta/auditLogs/signIns?${interactive}`, t);
    expect(beta.json['@odata.context']).toMatch(/\/beta\/\$metadata#auditLogs\/signIns$/);
    expect(beta.json.value).toEqual([ropc]);
  });

  it('takes only ge/le on directoryAudits and Identity Protection times, and their own page limits', async () => {
    const f = await fake({ directoryAudits: generateDirectoryAudits({ count: 3, start: START, seed: 3 }), riskyUsers: generateRiskyUsers({ count: 2, start: START, seed: 4 }) });
    const t = await token(f);
    const at = new Date(START + 3_600_000).toISOString();
    expect((await get(f, `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDateTime ge ${new Date(START).toISOString()} and activityDateTime le ${at}`)}`, t)).json.value).toHaveLength(3);
    expect(await get(f, `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDateTime lt ${at}`)}`, t)).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/operator 'lt'/) } } });
    expect(await get(f, '/v1.0/identityProtection/riskyUsers?$top=501', t)).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/between 1 and 500/) } } });
    f.denyPermissions('IdentityRiskyUser.Read.All');
    expect(await get(f, '/v1.0/identityProtection/riskyUsers', t)).toMatchObject({ status: 403 });
  });

  it('filters alerts_v2 on lastUpdateDateTime', async () => {
    const alerts = generateAlerts({ count: 10, start: START, spanMs: 10 * 60_000, seed: 1 });
    const f = await fake({ alerts });
    const t = await token(f);
    const from = alerts[5]!.lastUpdateDateTime!;
    const r = await get(f, `/v1.0/security/alerts_v2?$filter=${encodeURIComponent(`lastUpdateDateTime ge ${from}`)}`, t);
    expect(r.json.value.map((a: any) => a.id).sort()).toEqual(alerts.slice(5).map((a) => a.id).sort());
  });

  it('throttles with 429 and Retry-After, and fails with 503, when told to', async () => {
    const f = await fake({ faults: { rateLimited: 1, retryAfterSeconds: 4, serverErrors: 1 } });
    const t = await token(f);
    const throttled = await get(f, '/v1.0/auditLogs/signIns', t);
    expect(throttled).toMatchObject({ status: 429, json: { error: { code: 'TooManyRequests' } } });
    expect(throttled.headers.get('retry-after')).toBe('4');
    expect(await get(f, '/v1.0/auditLogs/signIns', t)).toMatchObject({ status: 503, json: { error: { code: 'serviceNotAvailable' } } });
    expect((await get(f, '/v1.0/auditLogs/signIns', t)).status).toBe(200);
  });

  describe('legacy /security/alerts', () => {
    const legacy = (i: number, spec: Partial<LegacyAlertSpec> = {}) =>
      legacyAlert({ id: `L${i}`, tenantId: TENANT, title: 'Port scan', description: 'd', category: 'network', severity: 'low', eventMs: START + i * 60_000, vendor: { provider: 'Palo Alto Networks', subProvider: 'NGFW', vendor: 'Palo Alto Networks' }, ...spec });
    const q = (filter: string, top?: number) => `/v1.0/security/alerts?$filter=${encodeURIComponent(filter)}${top ? `&$top=${top}` : ''}`;

    it('serves v1 records newest first, filtered with any() lambdas on the state collections, paged by $top', async () => {
      const records = [
        legacy(0, { connections: [{ sourceAddress: '203.0.113.9', destinationDomain: 'evil.example' }] }),
        legacy(1, { hosts: [{ netBiosName: "o'brien-pc", fqdn: 'obrien.contoso.com' }] }),
        legacy(2, { files: [{ name: 'a.exe', path: 'C:\\a.exe', sha256: 'ab'.repeat(32) }], users: [{ userPrincipalName: 'x@contoso.com' }] }),
        legacy(3, { connections: [{ destinationAddress: '203.0.113.9' }] }),
      ];
      const f = await fake({ legacyAlerts: records });
      const t = await token(f);
      const all = await get(f, '/v1.0/security/alerts', t);
      expect(all.json.value.map((a: any) => a.id)).toEqual(['L3', 'L2', 'L1', 'L0']);
      expect(all.json.value[0]).toMatchObject({ vendorInformation: { provider: 'Palo Alto Networks' }, hostStates: [], sourceMaterials: [], confidence: null });
      const ids = async (filter: string) => (await get(f, q(filter), t)).json.value.map((a: any) => a.id);
      expect(await ids("networkConnections/any(x: x/sourceAddress eq '203.0.113.9' or x/destinationAddress eq '203.0.113.9')")).toEqual(['L3', 'L0']);
      expect(await ids("networkConnections/any(x:x/destinationDomain eq 'evil.example')")).toEqual(['L0']);
      expect(await ids("hostStates/any(h:h/netBiosName eq 'o''brien-pc')")).toEqual(['L1']);
      expect(await ids("hostStates/any(h:h/netBiosName eq 'o')")).toEqual([]);
      expect(await ids(`fileStates/any(x:x/fileHash/hashValue eq '${'ab'.repeat(32)}')`)).toEqual(['L2']);
      expect(await ids("userStates/any(x:x/userPrincipalName eq 'x@contoso.com') and vendorInformation/provider eq 'Palo Alto Networks'")).toEqual(['L2']);
      const page1 = await get(f, q("vendorInformation/provider eq 'Palo Alto Networks'", 3), t);
      expect(page1.json.value).toHaveLength(3);
      const page2 = await get(f, page1.json['@odata.nextLink'], t);
      expect(page2.json.value.map((a: any) => a.id)).toEqual(['L0']);
      expect(page2.json['@odata.nextLink']).toBeUndefined();
    });

    it('answers 400 BadRequest for what Graph cannot parse or filter on', async () => {
      const f = await fake({ legacyAlerts: [legacy(0)] });
      const t = await token(f);
      for (const bad of [
        "networkConnections/any(x:x/sourceAddress eq 'a''",
        "networkConnections/any(x:x/colour eq 'red')",
        "processes/any(x:x/name eq 'a')",
        "networkConnections/any(x:x/sourceAddress ne 'a')",
        "networkConnections/any(x:y/sourceAddress eq 'a')",
        "networkConnections/any(x:x/sourceAddress eq 'a') or severity eq 'high'",
        "startswith(title,'a')",
        "description eq 'a'",
      ]) {
        expect(await get(f, q(bad), t), bad).toMatchObject({ status: 400, json: { error: { code: 'BadRequest' } } });
      }
      expect(await get(f, '/v1.0/security/alerts?$top=1001', t)).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/between 1 and 1000/) } } });
    });

    it('alerts_v2 cannot filter on evidence: Graph refuses it', async () => {
      const f = await fake({ alerts: generateAlerts({ count: 2, start: START, seed: 1 }) });
      const t = await token(f);
      const r = await get(f, `/v1.0/security/alerts_v2?$filter=${encodeURIComponent("evidence/any(e:e/ipAddress eq '203.0.113.9')")}`, t);
      expect(r).toMatchObject({ status: 400, json: { error: { code: 'BadRequest' } } });
    });

    it('aims faults at one API: 401, 404, 429 and 503 on the legacy alerts leave alerts_v2 alone', async () => {
      const f = await fake({ legacyAlerts: [legacy(0)], alerts: [] });
      const t = await token(f);
      const both = async () => [(await get(f, '/v1.0/security/alerts', t)).status, (await get(f, '/v1.0/security/alerts_v2', t)).status];
      Object.assign(f.faults, { unauthorized: 1, unauthorizedOn: 'legacyAlerts' });
      expect(await both()).toEqual([401, 200]);
      Object.assign(f.faults, { notFound: 1, notFoundOn: 'legacyAlerts' });
      expect(await both()).toEqual([404, 200]);
      Object.assign(f.faults, { rateLimited: 1, rateLimitedOn: 'legacyAlerts' });
      expect(await both()).toEqual([429, 200]);
      Object.assign(f.faults, { serverErrors: 1, serverErrorsOn: 'legacyAlerts' });
      expect(await both()).toEqual([503, 200]);
      Object.assign(f.faults, { serverErrors: 1, serverErrorsOn: 'alerts' });
      expect(await both()).toEqual([200, 503]);
      expect(await both()).toEqual([200, 200]);
    });

    it('pages below $top when told to, as Graph may', async () => {
      const f = await fake({ legacyAlerts: [legacy(0), legacy(1), legacy(2)], maxPageSize: 2 });
      const t = await token(f);
      const r = await get(f, '/v1.0/security/alerts?$top=3', t);
      expect(r.json.value).toHaveLength(2);
      expect(r.json['@odata.nextLink']).toMatch(/\$top=3&\$skiptoken=/);
    });
  });

  it('answers 403 when the app lacks the permission', async () => {
    const f = await fake({ permissions: ['Mail.Read'], mailbox: { address: MAILBOX } });
    const t = await token(f);
    expect(await get(f, '/v1.0/auditLogs/signIns', t)).toMatchObject({ status: 403, json: { error: { code: 'Authorization_RequestDenied' } } });
    expect(await get(f, '/v1.0/security/alerts_v2', t)).toMatchObject({ status: 403, json: { error: { message: expect.stringMatching(/SecurityAlert\.Read\.All/) } } });
  });

  describe('messages delta', () => {
    const deltaPath = `/v1.0/users/${encodeURIComponent(MAILBOX)}/mailFolders/inbox/messages/delta`;

    it('pages a round with nextLinks ($skiptoken), ends it with a deltaLink ($deltatoken), then reports only changes', async () => {
      const messages = generateReportedMessages({ count: 7, start: START, mailbox: MAILBOX, seed: 5 });
      const f = await fake({ mailbox: { address: MAILBOX, messages } });
      const t = await token(f);
      const first = await get(f, `${deltaPath}?$select=subject,from`, t, { Prefer: 'odata.maxpagesize=3' });
      expect(first.headers.get('preference-applied')).toBe('odata.maxpagesize=3');
      expect(first.json.value).toHaveLength(3);
      expect(Object.keys(first.json.value[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'from', 'id', 'subject']);
      expect(first.json['@odata.nextLink']).toMatch(/\/mailFolders\('AQMk[\w]+'\)\/messages\/delta\?\$skiptoken=/);
      const second = await get(f, first.json['@odata.nextLink'], t, { Prefer: 'odata.maxpagesize=3' });
      const third = await get(f, second.json['@odata.nextLink'], t, { Prefer: 'odata.maxpagesize=3' });
      expect(third.json.value).toHaveLength(1);
      expect(third.json['@odata.nextLink']).toBeUndefined();
      const deltaLink: string = third.json['@odata.deltaLink'];
      expect(deltaLink).toMatch(/\$deltatoken=/);

      expect((await get(f, deltaLink, t)).json.value).toEqual([]);
      f.markRead(messages[0]!.id!);
      f.removeMessage(messages[1]!.id!);
      f.addMessages(generateReportedMessages({ count: 1, start: START + 3_600_000, mailbox: MAILBOX, seed: 6 }));
      const changes = await get(f, deltaLink, t);
      expect(changes.json.value.map((m: any) => (m['@removed'] ? `removed ${m.id}` : m.id))).toEqual([messages[0]!.id, `removed ${messages[1]!.id}`, expect.any(String)]);
      // The round's $select sticks to its tokens.
      expect(Object.keys(changes.json.value[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'from', 'id', 'subject']);
      expect(changes.json.value[1]['@removed']).toEqual({ reason: 'deleted' });
    });

    it('filters the first round on receivedDateTime', async () => {
      const messages = generateReportedMessages({ count: 6, start: START, spanMs: 6 * 3_600_000, mailbox: MAILBOX, seed: 7 });
      const f = await fake({ mailbox: { address: MAILBOX, messages } });
      const t = await token(f);
      const from = messages[4]!.receivedDateTime!;
      const r = await get(f, `${deltaPath}?$filter=${encodeURIComponent(`receivedDateTime ge ${from}`)}`, t);
      expect(r.json.value.map((m: any) => m.id)).toEqual([messages[4]!.id, messages[5]!.id]);
      // Listings never carry attachments; a full read omits nothing else.
      expect(r.json.value[0].attachments).toBeUndefined();
      expect(r.json.value[0].body).toBeDefined();
    });

    it('answers 410 SyncStateNotFound for an expired token, in Graph\'s envelope', async () => {
      const f = await fake({ mailbox: { address: MAILBOX, messages: generateReportedMessages({ count: 2, start: START, mailbox: MAILBOX, seed: 8 }) } });
      const t = await token(f);
      const link = (await get(f, deltaPath, t)).json['@odata.deltaLink'];
      f.expireDeltaTokens();
      const gone = await get(f, link, t);
      expect(gone).toMatchObject({ status: 410, json: { error: { code: 'SyncStateNotFound', message: expect.stringMatching(/^The sync state generation is not found/), innerError: { 'request-id': expect.any(String) } } } });
      f.faults.deltaGoneCode = 'resyncRequired';
      expect((await get(f, link, t)).json.error.code).toBe('resyncRequired');
    });

    it('serves attachments, expanding the attached original with $expand', async () => {
      const [m] = generateReportedMessages({ count: 1, start: START, mailbox: MAILBOX, seed: 9 });
      const f = await fake({ mailbox: { address: MAILBOX, messages: [m!] } });
      const t = await token(f);
      const path = `/v1.0/users/${encodeURIComponent(MAILBOX)}/messages/${encodeURIComponent(m!.id!)}/attachments`;
      const plain = await get(f, path, t);
      expect(plain.json.value[0]).toMatchObject({ '@odata.type': '#microsoft.graph.itemAttachment', name: expect.any(String) });
      expect(plain.json.value[0].item).toBeUndefined();
      const expanded = await get(f, `${path}?$expand=microsoft.graph.itemAttachment/item`, t);
      expect(expanded.json.value[0].item).toMatchObject({ '@odata.type': '#microsoft.graph.message', from: { emailAddress: { address: expect.any(String) } } });
      expect(await get(f, `/v1.0/users/${encodeURIComponent(MAILBOX)}/messages/nope/attachments`, t)).toMatchObject({ status: 404, json: { error: { code: 'ErrorItemNotFound' } } });
    });

    it('knows only its mailbox and folder', async () => {
      const f = await fake({ mailbox: { address: MAILBOX } });
      const t = await token(f);
      expect(await get(f, '/v1.0/users/someone%40contoso.com/mailFolders/inbox/messages/delta', t)).toMatchObject({ status: 404, json: { error: { code: 'ErrorInvalidUser' } } });
      expect(await get(f, `/v1.0/users/${encodeURIComponent(MAILBOX)}/mailFolders/archive/messages/delta`, t)).toMatchObject({ status: 404, json: { error: { code: 'ErrorItemNotFound' } } });
    });
  });
});

describe('fake Graph users', () => {
  const [ann, ben] = generateUsers({ count: 2, seed: 8 });

  async function send(f: FakeGraph, method: string, path: string, bearer: string, body?: unknown) {
    const res = await fetch(`${f.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as any) };
  }

  it('reads a user by id or userPrincipalName: the default properties leave accountEnabled out, $select brings it', async () => {
    const f = await fake({ users: [directoryUser(ann!), directoryUser(ben!, false)] });
    const t = await token(f);
    const plain = await get(f, `/v1.0/users/${ann!.id}`, t);
    expect(plain.json).toEqual({
      '@odata.context': `${f.url}/v1.0/$metadata#users/$entity`,
      businessPhones: [], displayName: ann!.displayName, givenName: null, jobTitle: null, mail: ann!.userPrincipalName, mobilePhone: null,
      officeLocation: null, preferredLanguage: null, surname: null, userPrincipalName: ann!.userPrincipalName, id: ann!.id,
    });
    const sel = await get(f, `/v1.0/users/${encodeURIComponent(ben!.userPrincipalName.toUpperCase())}?$select=id,accountenabled`, t);
    expect(sel.json).toEqual({ '@odata.context': `${f.url}/v1.0/$metadata#users(id,accountEnabled)/$entity`, id: ben!.id, accountEnabled: false });
    expect((await get(f, `/v1.0/users/${ann!.id}?$select=id,favouriteColour`, t)).json.error).toMatchObject({ code: 'Request_BadRequest', message: "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'." });
    const byMail = await get(f, `/v1.0/users?$filter=${encodeURIComponent(`mail eq '${ben!.userPrincipalName.toUpperCase()}'`)}&$select=id,accountEnabled`, t);
    expect(byMail.json).toEqual({ '@odata.context': `${f.url}/v1.0/$metadata#users(id,accountEnabled)`, value: [{ id: ben!.id, accountEnabled: false }] });
    expect((await get(f, `/v1.0/users?$filter=${encodeURIComponent("mail eq 'nobody@contoso.com'")}`, t)).json.value).toEqual([]);
    expect((await get(f, `/v1.0/users?$filter=${encodeURIComponent("startswith(mail,'a')")}`, t)).json.error.code).toBe('Request_UnsupportedQuery');
    expect(await get(f, '/v1.0/users/nobody@contoso.com', t)).toMatchObject({
      status: 404,
      json: { error: { code: 'Request_ResourceNotFound', message: "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present." } },
    });
  });

  it('PATCH accountEnabled answers 204 and the state changes; revokeSignInSessions answers the Boolean and moves sessions forward', async () => {
    const f = await fake({ users: [directoryUser(ann!)] });
    const t = await token(f);
    expect(await send(f, 'PATCH', `/v1.0/users/${ann!.userPrincipalName}`, t, { accountEnabled: false })).toEqual({ status: 204, json: undefined });
    expect(f.user(ann!.id)).toMatchObject({ accountEnabled: false, sessionRevocations: 0, signInSessionsValidFromDateTime: undefined });
    expect((await send(f, 'PATCH', `/v1.0/users/${ann!.id}`, t, { accountEnabled: 'no' })).json.error.code).toBe('Request_BadRequest');
    expect((await send(f, 'PATCH', `/v1.0/users/${ann!.id}`, t, '{')).status).toBe(400);
    expect(await send(f, 'POST', `/v1.0/users/${ann!.id}/revokeSignInSessions`, t)).toEqual({ status: 200, json: { '@odata.context': `${f.url}/v1.0/$metadata#Edm.Boolean`, value: true } });
    expect(f.user(ann!.userPrincipalName)).toMatchObject({ sessionRevocations: 1, signInSessionsValidFromDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect((await send(f, 'GET', `/v1.0/users/${ann!.id}/revokeSignInSessions`, t)).status).toBe(405);
    expect((await send(f, 'POST', '/v1.0/users/nobody@contoso.com/revokeSignInSessions', t)).status).toBe(404);
  });

  it('has everyone the sign-ins name as an enabled user, and refuses each operation without its permission', async () => {
    const signIns = generateSignIns({ count: 3, start: START, seed: 6 });
    const f = await fake({ signIns });
    expect(f.user(signIns[0]!.userPrincipalName!)).toMatchObject({ id: signIns[0]!.userId, accountEnabled: true });
    f.denyPermissions('User.EnableDisableAccount.All', 'User.RevokeSessions.All');
    const t = await token(f);
    const denied = { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } };
    expect(await send(f, 'PATCH', `/v1.0/users/${signIns[0]!.userId}`, t, { accountEnabled: false })).toMatchObject({ status: 403, json: denied });
    expect(await send(f, 'POST', `/v1.0/users/${signIns[0]!.userId}/revokeSignInSessions`, t)).toMatchObject({ status: 403, json: denied });
    expect((await get(f, `/v1.0/users/${signIns[0]!.userId}?$select=accountEnabled`, t)).status).toBe(200);
    f.denyPermissions('User.Read.All');
    expect(await get(f, `/v1.0/users/${signIns[0]!.userId}`, t)).toMatchObject({ status: 403, json: denied });
    expect(f.permissions).toEqual(['AuditLog.Read.All', 'SecurityAlert.Read.All', 'Mail.Read', 'IdentityRiskEvent.Read.All', 'IdentityRiskyUser.Read.All']);
    expect(f.user(signIns[0]!.userId!)!.accountEnabled).toBe(true);
  });
});
